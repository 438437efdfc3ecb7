"""Pull historised meter variables from an OPC UA server into the plant core's readings.

Each meter is a variable on the server (``MeterNode``: its node id and the unit it holds); its
history between two instants is read with HistoryRead (raw, no bounds) and handed to
:func:`lca.plant.readings.normalise`, so pulled readings are checked and converted exactly like an
uploaded file. Values whose status is not Good are left out and counted per meter. Connection and
server errors become :class:`OpcUaPullError` with the endpoint stripped of any user and password.

Needs the optional ``plant`` extra (``asyncua``). Used by ``cellcarbon plant opcua`` and the
``plant.opcua_pull`` job of stored sources (:mod:`app.plants.opcua_sources`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from lca.plant.model import Plant
from lca.plant.readings import QualityReport, RawReadings, normalise
from lca.plant.series import IntervalSeries


class OpcUaPullError(RuntimeError):
    """The OPC UA server could not be reached or refused a history read."""


@dataclass(frozen=True)
class MeterNode:
    meter_id: str
    node_id: str  # e.g. "ns=2;s=Plant/Main/ActiveEnergy"
    unit: str  # unit of the variable's values, e.g. "kWh" or "m^3"


@dataclass(frozen=True)
class PullResult:
    series: IntervalSeries
    report: QualityReport
    values_read: int
    not_good: dict[str, int] = field(default_factory=dict)  # meter id → values left out


async def pull_readings(
    url: str,
    nodes: Sequence[MeterNode],
    plant: Plant,
    start: datetime,
    end: datetime,
    *,
    interval_s: int | None = None,
    timeout_s: float = 10.0,
) -> PullResult:
    """History of every node between ``start`` and ``end`` (aware datetimes), as core readings."""
    from asyncua import Client  # the optional ``plant`` extra; imported where it is needed

    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes (UTC or with an offset)")
    raw = RawReadings([], [], [], [], [])
    not_good: dict[str, int] = {}
    try:
        async with Client(url=url, timeout=timeout_s) as client:
            for node in nodes:
                history = await client.get_node(node.node_id).read_raw_history(
                    start.astimezone(UTC), end.astimezone(UTC), return_bounds=False
                )
                for value in history:
                    if value.StatusCode is not None and not value.StatusCode.is_good():
                        not_good[node.meter_id] = not_good.get(node.meter_id, 0) + 1
                        continue
                    moment = value.SourceTimestamp or value.ServerTimestamp
                    if moment is None or value.Value is None:
                        not_good[node.meter_id] = not_good.get(node.meter_id, 0) + 1
                        continue
                    if moment.tzinfo is None:
                        moment = moment.replace(tzinfo=UTC)  # OPC UA times are UTC
                    raw.row.append(len(raw.row))
                    raw.meter.append(node.meter_id)
                    raw.timestamp.append(moment.isoformat())
                    raw.value.append(value.Value.Value)
                    raw.unit.append(node.unit)
    except (OSError, TimeoutError) as exc:
        raise OpcUaPullError(
            f"cannot reach {safe_endpoint(url)}: {exc.__class__.__name__}"
        ) from None
    except Exception as exc:  # asyncua's status errors (ua.UaStatusCodeError and kin)
        if exc.__class__.__module__.startswith("asyncua"):
            raise OpcUaPullError(f"{safe_endpoint(url)} refused the history read: {exc}") from None
        raise
    series, report = normalise(raw, plant, interval_s=interval_s)
    return PullResult(series, report, len(raw.row), not_good)


def safe_endpoint(url: str) -> str:
    """The endpoint without user and password, fit for a message or a log line."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
