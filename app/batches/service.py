"""Design-space batches: one base BOM under thousands of variants, priced by lca.batch.

:func:`prepare_batch` does everything that needs the database (the base BOM, its suppliers'
data, every supplier a variant swaps in, the audit row) and checks each variant, so the route's
transaction commits before the first result is sent; :func:`result_lines` then only computes,
as NDJSON lines in the order of the request: a variant's figures, or its own problem.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.batches.models import FootprintBatch
from app.batches.schemas import BatchIn, VariantIn
from app.boms.models import BomLine
from app.boms.schemas import BomCreate
from app.boms.service import normalised_bom, stored_bom, stored_bom_lines
from app.core.errors import InvalidInput, NotFound
from app.core.repository import OrgRepository
from app.suppliers.models import Supplier
from app.suppliers.service import check_bom_suppliers
from app.suppliers.supplier_data import LineSupplierData, supplier_data_for
from lca.background import Background
from lca.batch import (
    Contributor,
    ScoredColumns,
    Variant,
    VariantProblem,
    VariantScores,
    chunks,
)
from lca.bom import BomError, NormalisedBom, normalise_bom
from lca.footprint import ForegroundProcess
from lca.scenarios import RECYCLED_ROUTES, Scenario

# Variants priced per NDJSON chunk: large enough for the sparse product to dominate, small
# enough that the first lines leave within a few tens of milliseconds.
CHUNK = 1000

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_quote = json.encoder.encode_basestring  # a str as a JSON string (C), as _encode writes it
Problem = dict[str, Any]
# Supplier swaps of a variant: location- and market-based process by material.
Swaps = tuple[dict[str, ForegroundProcess], dict[str, ForegroundProcess]]


@dataclass
class PreparedBatch:
    """A checked batch: what the engine prices, and the problem line of every other variant."""

    batch_id: uuid.UUID
    base: NormalisedBom
    line_processes: dict[str, dict[int, ForegroundProcess]]
    keys: list[str]
    request_sha256: str
    base_bom_id: uuid.UUID | None
    variants: dict[int, Variant] = field(default_factory=dict)  # request index → variant
    problems: dict[int, list[Problem]] = field(default_factory=dict)  # request index → errors
    top: int = 5


class _Suppliers:
    """The organisation's supplier data per (material, supplier id), read once per batch."""

    def __init__(self, repo: OrgRepository, background: Background) -> None:
        self.repo = repo
        self.background = background
        self._known: dict[str, bool] = {}
        self._data: dict[tuple[str, str], LineSupplierData | None] = {}

    def exists(self, supplier: str) -> bool:
        if supplier not in self._known:
            try:
                self.repo.get(Supplier, uuid.UUID(supplier), "supplier")
                self._known[supplier] = True
            except (ValueError, NotFound):
                self._known[supplier] = False
        return self._known[supplier]

    def data(self, material: str, supplier: str) -> LineSupplierData | None:
        """The supplier's newest usable data for ``material`` (as a BOM line naming it gets)."""
        if (material, supplier) not in self._data:
            found = None
            if self.exists(supplier):
                probe = _probe_line(self.repo, 0, material, supplier)
                found = supplier_data_for(self.repo, [probe], self.background).get(0)
            self._data[(material, supplier)] = found
        return self._data[(material, supplier)]


def prepare_batch(repo: OrgRepository, payload: BatchIn, background: Background) -> PreparedBatch:
    """Check the batch and read what it needs; 404 for another organisation's base BOM, 422
    (every problem at once) for a batch that cannot run at all; write its audit row."""
    errors: list[Problem] = []
    if (payload.bom_id is None) == (payload.bom is None):
        errors.append(_error(["bom_id"], "give either bom_id (a stored BOM) or bom (inline)"))
    seen: dict[str, int] = {}
    for index, variant in enumerate(payload.variants):
        if variant.key in seen:
            errors.append(
                _error(
                    ["variants", index, "key"],
                    f"key '{variant.key}' is also the key of variant {seen[variant.key]}",
                )
            )
        seen.setdefault(variant.key, index)
    suppliers = _Suppliers(repo, background)
    base: NormalisedBom | None = None
    line_processes: dict[str, dict[int, ForegroundProcess]] = {}
    if payload.bom_id is not None and payload.bom is None:
        bom = stored_bom(repo, payload.bom_id)
        lines = stored_bom_lines(repo, bom.id)
        base = normalised_bom(repo, bom, background, lines)
        line_processes = _line_processes(supplier_data_for(repo, lines, background))
    elif payload.bom is not None and payload.bom_id is None:
        base, problems = _inline_bom(repo, payload.bom, background, ["bom"])
        errors += problems
        if base is not None:
            probes = [
                _probe_line(repo, line.position, line.material, line.supplier)
                for line in base.lines
            ]
            line_processes = _line_processes(supplier_data_for(repo, probes, background))
    if errors or base is None:
        raise InvalidInput(f"the batch cannot be priced: {_fields(errors)}", errors)
    batch = PreparedBatch(
        batch_id=uuid.uuid4(),
        base=base,
        line_processes=line_processes,
        keys=[variant.key for variant in payload.variants],
        # Pydantic's JSON of the request (its fast path), for the audit row and a kept batch.
        request_sha256=hashlib.sha256(payload.model_dump_json().encode()).hexdigest(),
        base_bom_id=payload.bom_id,
        top=payload.top,
    )
    base_materials = frozenset(line.material for line in base.lines)
    # Changes already checked on the base BOM → the swaps they bring: a design space repeats
    # the same few changes, and checking each again was most of preparing a large batch.
    checked: dict[tuple[object, ...], Swaps] = {}
    # The engine reads a scenario's changes, never its name: equal changes share one.
    scenarios: dict[tuple[object, ...], Scenario] = {}
    for index, given in enumerate(payload.variants):
        signature = (
            given.grid_region,
            tuple(given.substitutions.items()),
            tuple(given.suppliers.items()),
        )
        swaps = checked.get(signature) if given.bom is None else None
        if swaps is not None and given.recycled_share.keys() <= RECYCLED_ROUTES.keys():
            shares = tuple(given.recycled_share.items())
            scenario = scenarios.get((signature, shares))
            if scenario is None:
                scenario = scenarios[(signature, shares)] = _priced(given, None, *swaps).scenario
            batch.variants[index] = Variant(given.key, scenario, None, swaps[1])
            continue
        priced, problems = _variant(
            repo, given, ["variants", index], base_materials, background, suppliers
        )
        if priced is not None and given.bom is None:
            checked[signature] = (priced.scenario.supplier_swaps, dict(priced.market_swaps))
        if priced is None:
            batch.problems[index] = problems
        else:
            batch.variants[index] = priced
    repo.audit(
        "create",
        "footprint_batch",
        batch.batch_id,
        # The request's digest, not the request: sorting and dumping 10,000 variants again in
        # Python cost a tenth of the batch.
        {"request_sha256": batch.request_sha256},
        variants=len(payload.variants),
        invalid=len(batch.problems),
        base_bom_id=str(payload.bom_id) if payload.bom_id else None,
    )
    return batch


def store_batch(repo: OrgRepository, batch: PreparedBatch, background: Background) -> bytes:
    """Price the whole batch and keep its answer in ``repo``'s transaction (``?store=true``):
    the answer is sent after the commit, whole, so a 201 always names a kept batch."""
    answer = b"".join(result_lines(batch, background))
    repo.add(
        FootprintBatch(
            id=batch.batch_id,
            organisation_id=repo.organisation_id,
            base_bom_id=batch.base_bom_id,
            background_version=background.version,
            request_sha256=batch.request_sha256,
            variants=len(batch.keys),
            invalid=len(batch.problems),
            answer=answer,
        )
    )
    return answer


def result_lines(batch: PreparedBatch, background: Background) -> Iterator[bytes]:
    """The batch's NDJSON answer in the request's order, about :data:`CHUNK` lines a piece;
    the engine prices the next chunk only when the lines before it are out."""
    priced = sorted(batch.variants)
    columns = chunks(
        background,
        batch.base,
        [batch.variants[i] for i in priced],
        batch.line_processes,
        size=CHUNK,
        top=batch.top,
    )
    tops: dict[int, str] = {}  # id(contributors) → their JSON (variants share them)
    if not batch.problems:
        # Every variant priced, in the request's order: a chunk's lines are its columns.
        start = 0
        for chunk in columns:
            lines = chunk_lines(chunk, start, tops)
            start += len(lines)
            yield ("\n".join(lines) + "\n").encode()
        return
    # Variants refused before pricing take their place between the priced ones.
    priced_lines = itertools.chain.from_iterable(
        chunk_lines(chunk, 0, tops, priced[start : start + CHUNK])
        for start, chunk in zip(range(0, len(priced), CHUNK), columns, strict=False)
    )
    pieces: list[str] = []
    for index, key in enumerate(batch.keys):
        if index in batch.variants:
            pieces.append(next(priced_lines))
        else:
            pieces.append(_problem_line(key, batch.problems[index]))
        if len(pieces) == CHUNK:
            yield ("\n".join(pieces) + "\n").encode()
            pieces = []
    if pieces:
        yield ("\n".join(pieces) + "\n").encode()


def chunk_lines(
    chunk: ScoredColumns,
    start: int,
    tops: dict[int, str],
    request_indices: list[int] | None = None,
) -> list[str]:
    """The lines of a chunk of priced variants, a column at a time: each figure column printed
    with one ``map`` (as :func:`_line` prints one figure), then every line formatted by one
    ``map`` too; no Python call per variant. ``request_indices``: each variant's index in the
    request (default ``start``, ``start + 1``, …), for the field path of a problem."""
    figures = chunk.figures()
    if all(np.isfinite(column).all() for column in figures):
        printed = [list(map(float.__repr__, column.tolist())) for column in figures]
    else:
        printed = [list(map(_number, column.tolist())) for column in figures]
    top_json = [_top_json(contributors, tops) for contributors in chunk.top]
    lines = list(map(_LINE.format, map(_quote, chunk.keys), *printed, top_json))
    for n, problem in chunk.problems.items():
        index = request_indices[n] if request_indices is not None else start + n
        lines[n] = _line(problem, ["variants", index], tops)
    return lines


def _top_json(contributors: tuple[Contributor, ...], tops: dict[int, str]) -> str:
    found = tops.get(id(contributors))
    if found is None:
        found = tops[id(contributors)] = _encode(
            [
                {"label": c.label, "material": c.product, "kg_co2e": c.kg_co2e, "share": c.share}
                for c in contributors
            ]
        )
    return found


def _line(
    result: VariantScores | VariantProblem, loc: list[str | int], tops: dict[int, str]
) -> str:
    """One variant's line, written directly: a dict per line and json.dumps were most of the
    answer's cost. Floats print as json does (``repr``); the engine refuses non-finite ones."""
    if isinstance(result, VariantProblem):
        return _problem_line(result.key, [_error([*loc, *result.loc], result.msg)])
    top = _top_json(result.top, tops)
    figures = (
        result.kg_co2e_per_cell,
        result.kg_co2e_per_kwh,
        result.kg_co2e_per_cell_market_based,
        result.kg_co2e_per_kwh_market_based,
        result.kg_co2e_per_cell_gwp20,
        result.nominal_energy_kwh,
    )
    # A finite sum means every figure is finite (the usual case): repr each directly.
    numbers = (
        [float.__repr__(f) for f in figures]
        if math.isfinite(sum(figures))
        else [_number(f) for f in figures]
    )
    return _LINE.format(_quote(result.key), *numbers, top)


# One result line; json.dumps writes the same (floats as their repr).
_LINE = (
    '{{"key":{},"kg_co2e_per_cell":{},"kg_co2e_per_kwh":{},'
    '"kg_co2e_per_cell_market_based":{},"kg_co2e_per_kwh_market_based":{},'
    '"kg_co2e_per_cell_gwp20":{},"nominal_energy_kwh":{},"top":{}}}'
)


def _number(value: float) -> str:
    # json.dumps would write NaN/Infinity, which is not JSON; null says "no number".
    return float.__repr__(value) if math.isfinite(value) else "null"


def _problem_line(key: str, errors: list[Problem]) -> str:
    return _encode(
        {
            "key": key,
            "problem": {
                "type": "about:blank",
                "title": "Invalid input",
                "status": 422,
                "detail": f"variant '{key}' cannot be applied: {_fields(errors)}",
                "errors": errors,
            },
        }
    )


def _variant(
    repo: OrgRepository,
    given: VariantIn,
    loc: list[str | int],
    base_materials: frozenset[str],
    background: Background,
    suppliers: _Suppliers,
) -> tuple[Variant | None, list[Problem]]:
    """The engine's variant, or every reason why this one cannot be priced."""
    problems: list[Problem] = []
    bom = None
    materials = base_materials
    swaps: dict[str, LineSupplierData] = {}
    if given.bom is not None:
        bom, bom_problems = _inline_bom(repo, given.bom, background, [*loc, "bom"])
        problems += bom_problems
        if bom is not None:
            materials = frozenset(line.material for line in bom.lines)
            # A whole BOM's supplier lines use their supplier's data, as a stored BOM's would:
            # as a swap of that material, so every line of it must name the same supplier.
            named: dict[str, set[str]] = {}
            for line in bom.lines:
                if line.supplier is not None:
                    named.setdefault(line.material, set()).add(line.supplier)
            for material, ids in sorted(named.items()):
                if len(ids) > 1:
                    problems.append(
                        _error(
                            [*loc, "bom", "lines"],
                            f"lines of material '{material}' name different suppliers; a "
                            "batch variant takes one supplier per material",
                        )
                    )
                    continue
                data = suppliers.data(material, next(iter(ids)))
                if data is not None:
                    swaps[material] = data
    if given.grid_region is not None and given.grid_region not in background.grid_regions:
        problems.append(_error([*loc, "grid_region"], f"unknown grid region '{given.grid_region}'"))
    current = set(materials)
    for old, new in given.substitutions.items():
        where = [*loc, "substitutions", old]
        if new not in background.products:
            problems.append(_error(where, f"unknown material code '{new}'"))
        elif old in background.products and background.products[old].unit != (
            background.products[new].unit
        ):
            problems.append(_error(where, f"'{old}' and '{new}' are not counted in the same unit"))
        if old not in current:
            problems.append(_error(where, f"the BOM has no line of material '{old}'"))
        current = (current - {old}) | {new}
    for material, supplier in given.suppliers.items():
        where = [*loc, "suppliers", material]
        if material not in materials:
            problems.append(
                _error(where, f"the BOM has no line of material '{material}' to swap suppliers")
            )
        elif not suppliers.exists(supplier):
            problems.append(_error(where, f"no supplier with id {supplier}"))
        else:
            data = suppliers.data(material, supplier)
            if data is None:
                problems.append(
                    _error(where, f"supplier '{supplier}' has no data for material '{material}'")
                )
            else:
                swaps[material] = data
    for element in given.recycled_share:
        if element not in RECYCLED_ROUTES:
            problems.append(
                _error(
                    [*loc, "recycled_share", element],
                    f"no recycled route for '{element}'; known: {sorted(RECYCLED_ROUTES)}",
                )
            )
    if problems:
        return None, problems
    location_swaps = {material: data.location for material, data in swaps.items()}
    market_swaps = {material: data.market for material, data in swaps.items()}
    return _priced(given, bom, location_swaps, market_swaps), []


def _priced(
    given: VariantIn,
    bom: NormalisedBom | None,
    location_swaps: dict[str, ForegroundProcess],
    market_swaps: dict[str, ForegroundProcess],
) -> Variant:
    """The engine's variant of a checked one (variants with the same swaps share them)."""
    scenario = Scenario(
        name=given.key,
        grid_region=given.grid_region,
        substitutions=given.substitutions,
        recycled_share=given.recycled_share,
        supplier_swaps=location_swaps,
    )
    return Variant(given.key, scenario, bom, market_swaps)


def _inline_bom(
    repo: OrgRepository, given: BomCreate, background: Background, loc: list[str | int]
) -> tuple[NormalisedBom | None, list[Problem]]:
    """An inline BOM checked as ``POST /v1/boms`` checks it (suppliers, quantities, codes)."""
    problems = [
        {**p, "loc": [*loc, *p["loc"]]}
        for p in check_bom_suppliers(
            repo, [(line.supplier, line.supplier_site) for line in given.lines]
        )
    ]
    try:
        normalised = normalise_bom(given.model_dump(mode="json"), background)
    except BomError as exc:
        problems += [_error([*loc, *p.loc], p.msg) for p in exc.problems]
        return None, problems
    return (None if problems else normalised), problems


def _probe_line(repo: OrgRepository, position: int, material: str, supplier: str | None) -> BomLine:
    """A BOM line that is never stored, to ask which supplier data such a line would use."""
    return BomLine(
        organisation_id=repo.organisation_id,
        bom_id=uuid.uuid4(),
        position=position,
        component="",
        material=material,
        amount_given="",
        amount=0.0,
        unit="kg",
        supplier=supplier,
    )


def _line_processes(
    data: Mapping[int, LineSupplierData],
) -> dict[str, dict[int, ForegroundProcess]]:
    return {
        "location_based": {position: d.location for position, d in data.items()},
        "market_based": {position: d.market for position, d in data.items()},
    }


def _error(loc: list[str | int], msg: str) -> Problem:
    return {"loc": loc, "msg": msg, "type": "value_error"}


def _fields(errors: list[Problem]) -> str:
    return ", ".join(".".join(map(str, e["loc"])) for e in errors[:5])
