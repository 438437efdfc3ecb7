"""Sparse hourly sums bin exactly as the dense hourly matrix does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lca.plant.series import IntervalSeries, hourly_matrix, hourly_sums


def test_hourly_sums_known_answer() -> None:
    """Meter a: 1 kWh 00:00-00:15 and 2 kWh 00:15-00:30 (hour 0: 3); meter b: 9 kWh from 01:30
    to 03:00, 1.5 hours, so 3 kWh in hour 1 and 6 in hour 2; a zero reading still marks its
    hour (meter b, hour 5)."""
    series = IntervalSeries(
        ("a", "b"),
        np.array([0, 0, 1, 1]),
        np.array([0, 900, 5400, 18000]),
        np.array([900, 1800, 10800, 18900]),
        np.array([1.0, 2.0, 9.0, 0.0]),
    )
    meter, hour, value = hourly_sums(series)
    assert meter.tolist() == [0, 1, 1, 1]
    assert hour.tolist() == [0, 1, 2, 5]
    assert value.tolist() == [3.0, 3.0, 6.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(0, 40 * 3600),
            st.integers(1, 9 * 3600),
            st.floats(0, 1e3),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_hourly_sums_equal_the_dense_matrix(rows: list[tuple[int, int, int, float]]) -> None:
    meter, start, length, value = (np.array(c) for c in zip(*rows, strict=True))
    series = IntervalSeries(
        ("a", "b", "c"),
        meter.astype(np.int64),
        start.astype(np.int64),
        (start + length).astype(np.int64),
        value.astype(np.float64),
    )
    dense = hourly_matrix(series, ["a", "b", "c"], 0, 50)
    sparse = np.zeros_like(dense)
    m, h, v = hourly_sums(series)
    sparse[m, h] = v
    np.testing.assert_allclose(sparse, dense, rtol=1e-12, atol=1e-9)
    assert len(set(zip(m.tolist(), h.tolist(), strict=True))) == m.size
