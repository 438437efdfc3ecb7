"""The matrix engine: one factorisation per background version, then every footprint is a product.

The technosphere matrix ``A`` (products × activities), biosphere matrix ``B`` (flows × activities)
and the characterisation factors come from bw2calc and the Brightway datapackages. One LU
factorisation of ``A`` serves both directions:

* adjoint, ``Aᵀ U = Bᵀ C`` — ``U[p, k]`` is the cradle-to-gate score of one unit of product ``p`` in
  indicator ``k``; any demand's scores are ``fᵀ U``, and a batch of demands is ``D U``;
* forward, ``A s = f`` — the supply vector of one demand, for contributions by upstream activity.

Arrays are persisted (``save``/``load``) so a restart needs no factorisation for footprints; the
factorisation is redone lazily, once, when a supply vector is first needed. Instances are
read-only after construction and safe to share between threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

ARRAY_FILE = "engine.npz"
META_FILE = "engine.json"


@dataclass(frozen=True)
class Contribution:
    """One upstream activity's share of a demand's score."""

    activity_id: int
    amount: float  # supply of the activity's reference product, in its unit
    score: float
    share: float


@dataclass(frozen=True)
class TreeNode:
    """A node of an upstream tree: ``amount`` of ``product_id`` and its cradle-to-gate score."""

    product_id: int
    amount: float
    score: float
    direct_score: float
    children: tuple[TreeNode, ...]


def characterisation_factors(method_package: Any) -> dict[int, float]:
    """Flow id → factor, read from a method's datapackage exactly as bw2calc reads it.

    bw2data stores matrix data as float32; reading factors here rather than from ``Method.load()``
    keeps our scores equal to bw2calc's to the last bits.
    """
    arrays = {
        r["kind"]: method_package.get_resource(r["name"])[0] for r in method_package.resources
    }
    factors: dict[int, float] = {}
    for row, value in zip(arrays["indices"]["row"], arrays["data"], strict=True):
        factors[int(row)] = factors.get(int(row), 0.0) + float(value)
    return factors


class MatrixEngine:
    """Matrices, unit scores and (lazily) the LU factorisation of one background."""

    def __init__(
        self,
        *,
        technosphere: sp.csc_matrix,
        biosphere: sp.csr_matrix,
        indicators: sp.csr_matrix,
        indicator_names: Sequence[str],
        product_ids: np.ndarray,
        activity_ids: np.ndarray,
        flow_ids: np.ndarray,
        unit_scores: np.ndarray | None = None,
        scores_only: bool = False,
    ) -> None:
        # A scenario view prices a changed system with the original matrices: its scores are
        # right, a supply vector from those matrices would not be.
        self.scores_only = scores_only
        self.technosphere = sp.csc_matrix(technosphere)
        self.biosphere = sp.csr_matrix(biosphere)
        self.indicators = sp.csr_matrix(indicators)
        self.indicator_names = tuple(indicator_names)
        self.product_ids = np.asarray(product_ids, dtype=np.int64)
        self.activity_ids = np.asarray(activity_ids, dtype=np.int64)
        self.flow_ids = np.asarray(flow_ids, dtype=np.int64)
        self.product_index = {int(p): i for i, p in enumerate(self.product_ids)}
        self.activity_index = {int(a): i for i, a in enumerate(self.activity_ids)}
        self._lock = threading.Lock()
        self._lu: Any = None
        # Characterised direct emissions of each activity, per indicator (activities × k).
        self.direct_scores = np.asarray((self.biosphere.T @ self.indicators).todense())
        if unit_scores is None:
            unit_scores = self._solve(self.direct_scores, transpose=True)
        self.unit_scores = np.ascontiguousarray(unit_scores, dtype=np.float64)
        for array in (self.unit_scores, self.direct_scores, self.product_ids, self.activity_ids):
            array.setflags(write=False)

    # --- construction --------------------------------------------------------------------

    @classmethod
    def from_datapackages(
        cls,
        data_objs: Sequence[Any],
        indicator_factors: Mapping[str, Mapping[int, float]],
        any_product_id: int,
    ) -> MatrixEngine:
        """Build the matrices with bw2calc from ``data_objs`` (no method packages among them)."""
        import bw2calc

        lca = bw2calc.LCA({any_product_id: 1.0}, data_objs=list(data_objs))
        lca.load_lci_data()
        flow_rows = lca.dicts.biosphere
        names = list(indicator_factors)
        matrix = sp.lil_matrix((len(flow_rows), len(names)))
        for column, name in enumerate(names):
            for flow_id, factor in indicator_factors[name].items():
                if flow_id in flow_rows:  # characterised, but emitted by no activity: no row
                    matrix[flow_rows[flow_id], column] = factor
        return cls(
            technosphere=lca.technosphere_matrix,
            biosphere=lca.biosphere_matrix,
            indicators=matrix.tocsr(),
            indicator_names=names,
            product_ids=_ids_in_order(lca.dicts.product),
            activity_ids=_ids_in_order(lca.dicts.activity),
            flow_ids=_ids_in_order(flow_rows),
        )

    def save(self, directory: Path) -> None:
        """Write arrays and metadata (atomically: a half-written cache is never read)."""
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{ARRAY_FILE}.tmp.npz"
        arrays = {
            "unit_scores": self.unit_scores,
            "product_ids": self.product_ids,
            "activity_ids": self.activity_ids,
            "flow_ids": self.flow_ids,
            **_sparse_arrays("technosphere", self.technosphere),
            **_sparse_arrays("biosphere", self.biosphere),
            **_sparse_arrays("indicators", self.indicators),
        }
        np.savez(temporary, **arrays)  # type: ignore[arg-type]  # numpy's stub fears allow_pickle
        temporary.replace(directory / ARRAY_FILE)
        (directory / META_FILE).write_text(json.dumps({"indicators": self.indicator_names}))

    @classmethod
    def load(cls, directory: Path) -> MatrixEngine:
        meta = json.loads((directory / META_FILE).read_text())
        with np.load(directory / ARRAY_FILE) as arrays:
            return cls(
                technosphere=_sparse_from(arrays, "technosphere", sp.csc_matrix),
                biosphere=_sparse_from(arrays, "biosphere", sp.csr_matrix),
                indicators=_sparse_from(arrays, "indicators", sp.csr_matrix),
                indicator_names=meta["indicators"],
                product_ids=arrays["product_ids"],
                activity_ids=arrays["activity_ids"],
                flow_ids=arrays["flow_ids"],
                unit_scores=arrays["unit_scores"],
            )

    def with_unit_scores(self, unit_scores: np.ndarray) -> MatrixEngine:
        """A copy priced with ``unit_scores`` (for scenario views; no new factorisation)."""
        return MatrixEngine(
            technosphere=self.technosphere,
            biosphere=self.biosphere,
            indicators=self.indicators,
            indicator_names=self.indicator_names,
            product_ids=self.product_ids,
            activity_ids=self.activity_ids,
            flow_ids=self.flow_ids,
            unit_scores=unit_scores,
            scores_only=True,
        )

    def nbytes(self) -> int:
        """Bytes held by the arrays, and by the LU factors once computed (for residency budgets,
        see lca.imports.resident)."""
        arrays = (self.unit_scores, self.direct_scores, self.product_ids, self.activity_ids)
        total = sum(a.nbytes for a in arrays) + self.flow_ids.nbytes
        matrices = [self.technosphere, self.biosphere, self.indicators]
        if self._lu is not None:
            matrices += [self._lu.L, self._lu.U]
            total += self._lu.perm_c.nbytes + self._lu.perm_r.nbytes
        for matrix in matrices:
            total += matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
        return int(total)

    @staticmethod
    def is_saved(directory: Path) -> bool:
        return (directory / ARRAY_FILE).exists() and (directory / META_FILE).exists()

    # --- solving ---------------------------------------------------------------------------

    def factorised(self) -> Any:
        """The LU factorisation of ``A`` (computed once, on first use)."""
        if self._lu is None:
            with self._lock:
                if self._lu is None:
                    # Minimum-degree ordering on Aᵀ+A: on an ecoinvent-like 20,000-activity
                    # system it leaves 5× less fill-in than SuperLU's default COLAMD and
                    # factorises twice as fast (benchmarks/RESULTS.md).
                    self._lu = spla.splu(self.technosphere, permc_spec="MMD_AT_PLUS_A")
        return self._lu

    def _solve(self, rhs: np.ndarray, *, transpose: bool = False) -> np.ndarray:
        solution = self.factorised().solve(
            np.asarray(rhs, dtype=np.float64), trans="T" if transpose else "N"
        )
        return np.asarray(solution)

    def demand_vector(self, demand: Mapping[int, float]) -> np.ndarray:
        vector = np.zeros(len(self.product_ids))
        for product_id, amount in demand.items():
            vector[self.product_index[product_id]] += amount
        return vector

    def supply(self, demand: Mapping[int, float]) -> np.ndarray:
        """Supply vector ``s = A⁻¹ f``: how much each activity runs to deliver ``demand``."""
        if self.scores_only:
            raise ValueError("a scenario view has scores only; it has no supply vector")
        return self._solve(self.demand_vector(demand))

    # --- scores ----------------------------------------------------------------------------

    def indicator(self, name: str) -> int:
        return self.indicator_names.index(name)

    def scores(self, demand: Mapping[int, float]) -> np.ndarray:
        """Scores of one demand in every indicator (``fᵀ U``)."""
        rows = [self.product_index[p] for p in demand]
        return np.asarray(list(demand.values())) @ self.unit_scores[rows]

    def batch_scores(self, demands: sp.csr_matrix) -> np.ndarray:
        """Scores of many demands at once: ``demands`` is (n_demands × n_products), in product
        order of :attr:`product_ids`; the result is (n_demands × n_indicators)."""
        return np.asarray(demands @ self.unit_scores)

    def demand_matrix(self, demands: Sequence[Sequence[tuple[int, float]]]) -> sp.csr_matrix:
        """Sparse (n_demands × n_products) matrix of demands given as (product id, amount) lists."""
        indptr = np.zeros(len(demands) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in demands], out=indptr[1:])
        columns = np.fromiter(
            (self.product_index[p] for d in demands for p, _ in d), dtype=np.int64, count=indptr[-1]
        )
        values = np.fromiter((a for d in demands for _, a in d), dtype=np.float64, count=indptr[-1])
        return sp.csr_matrix((values, columns, indptr), shape=(len(demands), len(self.product_ids)))

    def upstream_contributions(
        self,
        demand: Mapping[int, float],
        indicator: str = "gwp100",
        *,
        top: int = 10,
        cutoff: float = 0.0,
    ) -> tuple[list[Contribution], float]:
        """The ``top`` activities whose own emissions contribute most to ``demand``'s score.

        Contribution of activity j = supply s_j × its characterised direct emissions; the
        contributions of all activities sum to the total. Returns the list (activities below
        ``cutoff`` × |total| left out) and the total of everything not listed.
        """
        supply = self.supply(demand)
        contributions = supply * self.direct_scores[:, self.indicator(indicator)]
        total = float(contributions.sum())
        count = min(top, len(contributions))
        candidates = np.argpartition(-np.abs(contributions), count - 1)[:count]
        ordered = candidates[np.argsort(-np.abs(contributions[candidates]))]
        listed = [
            Contribution(
                activity_id=int(self.activity_ids[j]),
                amount=float(supply[j]),
                score=float(contributions[j]),
                share=float(contributions[j] / total) if total else 0.0,
            )
            for j in ordered
            if abs(contributions[j]) >= cutoff * abs(total) and contributions[j] != 0
        ]
        rest = total - sum(c.score for c in listed)
        return listed, rest

    def upstream_tree(
        self,
        product_id: int,
        amount: float,
        indicator: str = "gwp100",
        *,
        max_depth: int = 3,
        cutoff: float = 0.01,
    ) -> TreeNode:
        """The supply chain of ``amount`` of ``product_id`` as a tree of cradle-to-gate scores.

        Children scoring below ``cutoff`` × the root's |score| and nodes deeper than ``max_depth``
        are not expanded; each node's score is exact (from the unit scores), so a node's score
        equals its direct score plus its children's scores plus whatever was cut off.
        """
        column = self.indicator(indicator)
        root_score = amount * self.unit_scores[self.product_index[product_id], column]
        threshold = abs(root_score) * cutoff
        return self._tree_node(product_id, amount, column, max_depth, threshold)

    def _tree_node(
        self, product_id: int, amount: float, column: int, depth: int, threshold: float
    ) -> TreeNode:
        row = self.product_index[product_id]
        activity = self.activity_index[product_id]
        start, end = self.technosphere.indptr[activity], self.technosphere.indptr[activity + 1]
        rows = self.technosphere.indices[start:end]
        values = self.technosphere.data[start:end]
        production = float(values[rows == row].sum())
        scale = amount / production
        children: list[TreeNode] = []
        if depth > 0:
            for input_row, value in zip(rows, values, strict=True):
                if input_row == row or value >= 0:
                    continue
                input_amount = -float(value) * scale
                score = input_amount * self.unit_scores[input_row, column]
                if abs(score) >= threshold and score != 0:
                    child_id = int(self.product_ids[input_row])
                    children.append(
                        self._tree_node(child_id, input_amount, column, depth - 1, threshold)
                    )
        children.sort(key=lambda node: -abs(node.score))
        return TreeNode(
            product_id=product_id,
            amount=amount,
            score=float(amount * self.unit_scores[row, column]),
            direct_score=float(scale * self.direct_scores[activity, column]),
            children=tuple(children),
        )


def _ids_in_order(mapping: Mapping[int, int]) -> np.ndarray:
    ids = np.empty(len(mapping), dtype=np.int64)
    for node_id, index in mapping.items():
        ids[index] = node_id
    return ids


def _sparse_arrays(name: str, matrix: sp.spmatrix) -> dict[str, np.ndarray]:
    compressed = matrix.tocsc() if isinstance(matrix, sp.csc_matrix) else matrix.tocsr()
    return {
        f"{name}_data": compressed.data,
        f"{name}_indices": compressed.indices,
        f"{name}_indptr": compressed.indptr,
        f"{name}_shape": np.asarray(compressed.shape),
    }


def _sparse_from(arrays: Any, name: str, kind: Any) -> Any:
    shape = tuple(int(v) for v in arrays[f"{name}_shape"])
    return kind(
        (arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"]), shape=shape
    )
