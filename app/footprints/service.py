"""Computing footprints. :func:`compute_footprint` is shaped as a job: ids in, id out."""

from __future__ import annotations

import hashlib
import math
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.engine import Engine

from app import __version__
from app.boms.models import Bom
from app.boms.service import (
    canonical_json,
    line_kinds,
    normalised_bom,
    stored_bom,
    stored_bom_lines,
)
from app.core.db import JsonDocument, Reads, session_scope
from app.core.errors import InvalidInput
from app.core.observability import FOOTPRINTS
from app.core.repository import OrgRepository
from app.core.schemas import BackgroundVersion, UtcDatetime
from app.core.settings import Settings
from app.footprints.models import Footprint
from app.footprints.rulesets import HEADLINE_KEY, electricity_rulesets
from app.footprints.schemas import (
    FootprintLine,
    FootprintPublic,
    FootprintRequest,
    RulesetFigure,
    UpstreamPublic,
)
from app.pact.sharing import RULES_OF_BOM, apply_sharing_rules
from app.suppliers.supplier_data import LineSupplierData, supplier_data_for
from app.webhooks.delivery import ENDPOINTS_OF
from app.webhooks.events import footprint_completed, remember_endpoints
from lca.background import Background
from lca.bom import is_cell_material
from lca.catalogue import DEFAULT_DATA_DIR
from lca.footprint import ForegroundInput, ForegroundProcess, compute, upstream
from lca.lifecycle import (
    STAGE_DISTRIBUTION,
    STAGE_END_OF_LIFE,
    Distribution,
    EndOfLife,
    TransportLeg,
    lifecycle_model,
    load_lifecycle_data,
)
from lca.quality import exchange_quality, rate
from lca.ranges import range_problem

# data/lifecycle read once per directory: every footprint now prices the default downstream
# stages, and reading the CSV files was most of that cost.
_lifecycle_data = lru_cache(maxsize=4)(load_lifecycle_data)

# How many upstream activities a footprint lists (the rest is summed).
UPSTREAM_TOP = 10


@dataclass(frozen=True)
class CellModel:
    """A stored BOM as the engine takes it, with the supplier data each line uses."""

    bom: Bom
    location_inputs: list[ForegroundInput]
    market_inputs: list[ForegroundInput]
    location_processes: dict[str, ForegroundProcess]
    market_processes: dict[str, ForegroundProcess]
    supplier_data: dict[int, LineSupplierData]
    notes: list[str]
    lifecycle: dict[str, Any] | None = None  # distribution/end-of-life parameters used


def cell_model(
    repo: OrgRepository,
    bom: Bom,
    background: Background,
    request: FootprintRequest | None = None,
    data_dir: Path = DEFAULT_DATA_DIR,
) -> CellModel:
    """Inputs of one cell of ``bom``: supplier-specific processes where a line's supplier has
    data for its material, background products elsewhere (location- and market-based); plus
    the distribution and end-of-life stages that ``request`` asks for."""
    lines = stored_bom_lines(repo, bom.id)
    normalised = normalised_bom(repo, bom, background, lines)
    inputs = normalised.foreground_inputs()
    regionalised = normalised.regionalised_processes(background)
    data = supplier_data_for(repo, lines, background)
    location, market = [], []
    location_processes: dict[str, ForegroundProcess] = {}
    market_processes: dict[str, ForegroundProcess] = {}
    notes = []
    for index, item in enumerate(inputs):
        line = lines[index] if index < len(lines) else None
        made_in = regionalised.get(index)
        if made_in is not None and (line is None or data.get(line.position) is None):
            # Secondary data of the material's chain, re-linked to where it is made.
            item = replace(item, product=made_in.code)
            location_processes[made_in.code] = made_in
            market_processes[made_in.code] = made_in
        if line is None or line.supplier is None:
            location.append(item)
            market.append(item)
            continue
        line_data = data.get(line.position)
        if line_data is None:
            notes.append(
                f"{item.label}: supplier {line.supplier} has no data for {line.material}; "
                "secondary (background) data used"
            )
            location.append(replace(item, supplier=line.supplier))
            market.append(replace(item, supplier=line.supplier))
            continue
        location_processes[line_data.location.code] = line_data.location
        market_processes[line_data.market.code] = line_data.market
        location.append(replace(item, product=line_data.location.code, supplier=line.supplier))
        market.append(replace(item, product=line_data.market.code, supplier=line.supplier))
        if line_data.kind == "pcf":
            notes.append(f"{item.label}: supplier PCF (aggregated); its GWP100 stands in for GWP20")
    lifecycle = None
    if request is not None and (
        request.distribution is not None or request.end_of_life is not None
    ):
        extra, extra_processes, lifecycle = _lifecycle(bom, lines, background, request, data_dir)
        location += extra
        market += extra
        location_processes.update(extra_processes)
        market_processes.update(extra_processes)
    missing = sorted(
        {i.product for i in location if i.product not in location_processes}
        - set(background.products)
    )
    if missing:
        raise InvalidInput(
            f"materials {', '.join(missing)} are not in background {background.version[:12]}"
        )
    return CellModel(
        bom, location, market, location_processes, market_processes, data, notes, lifecycle
    )


def _lifecycle(
    bom: Bom,
    lines: Sequence[Any],
    background: Background,
    request: FootprintRequest,
    data_dir: Path,
) -> tuple[list[ForegroundInput], dict[str, ForegroundProcess], dict[str, Any]]:
    """The distribution/end-of-life inputs ``request`` asks for, and the parameters used."""
    defaults = _lifecycle_data(data_dir)
    # Without a declared cell mass, the BOM lines in kg are the best estimate of it.
    kinds = line_kinds(bom)
    cell_mass_kg = bom.cell_mass_kg or sum(
        line.amount for line in lines if is_cell_material(kinds.get(line.position), line.unit)
    )
    params: dict[str, Any] = {"cell_mass_kg": cell_mass_kg}
    distribution = end_of_life = None
    if request.distribution is not None:
        country = background.grid_regions[bom.grid_region].country
        if request.distribution.legs is None:
            legs = defaults.default_legs(country)
        else:
            legs = tuple(
                TransportLeg(leg.mode, leg.distance_km, leg.label or "", "given by the user")
                for leg in request.distribution.legs
            )
        distribution = Distribution(legs)
        params["distribution"] = {
            "defaults": request.distribution.legs is None,
            "origin_country": country,
            "legs": [
                {**asdict(leg), "t_km": cell_mass_kg / 1000.0 * leg.distance_km} for leg in legs
            ],
        }
    if request.end_of_life is not None:
        wanted = request.end_of_life
        route = defaults.routes.get(wanted.route)
        if route is None:
            raise InvalidInput(
                f"unknown recycling route {wanted.route!r}",
                [{"loc": ["end_of_life", "route"], "msg": f"not one of {sorted(defaults.routes)}"}],
            )
        grid = background.grid_regions.get(wanted.grid_region)
        if grid is None:
            raise InvalidInput(
                f"grid region {wanted.grid_region} is not in background {background.version[:12]}",
                [{"loc": ["end_of_life", "grid_region"], "msg": "unknown grid region"}],
            )
        end_of_life = EndOfLife(route, grid.activity, wanted.grid_region)
        params["end_of_life"] = {
            "route": route.name,
            "grid_region": wanted.grid_region,
            "approach": "cut-off: collection and treatment up to the end-of-waste point are "
            "borne by the battery; no credits for recovered materials",
            "inputs_per_kg_cell": [asdict(item) for item in route.inputs],
        }
    # A LifecycleError is an InputError: the API answers it 422 with its field.
    model = lifecycle_model(cell_mass_kg, distribution, end_of_life)
    return list(model.inputs), model.processes, params


def _default_downstream(
    repo: OrgRepository,
    bom: Bom,
    by_stage: dict[str, float],
    background: Background,
    data_dir: Path,
) -> dict[str, Any] | None:
    """The downstream stages this footprint did not model, priced with the cited default models
    of data/lifecycle — kept apart from its figures, for the EU declaration's four stages (so
    that a declaration of a stored footprint never depends on today's background)."""
    missing = [
        name
        for name, stage in (
            ("distribution", STAGE_DISTRIBUTION),
            ("end_of_life", STAGE_END_OF_LIFE),
        )
        if stage not in by_stage
    ]
    if not missing:
        return None
    # A stored BOM never changes, nor does a background version or data/lifecycle: priced once
    # per process (the dict is only read: serialised into each footprint's result).
    key = (bom.organisation_id, bom.id, tuple(missing), background.version, str(data_dir))
    if key in _default_downstreams:
        return _default_downstreams[key]
    request = FootprintRequest.model_validate({name: {} for name in missing})
    lines = list(stored_bom_lines(repo, bom.id))
    try:
        inputs, processes, params = _lifecycle(bom, lines, background, request, data_dir)
    except (InvalidInput, KeyError):
        found = None  # no default applies (e.g. an unknown recycling grid region)
    else:
        priced = compute(background, inputs, bom.nominal_energy_kwh, processes)
        found = {"by_stage": priced.by_stage, "lifecycle": params}
    with _default_downstreams_lock:  # route threads share it
        while len(_default_downstreams) >= _CACHED_DOWNSTREAMS:
            del _default_downstreams[next(iter(_default_downstreams))]
        _default_downstreams[key] = found
    return found


_CACHED_DOWNSTREAMS = 512
_default_downstreams: dict[tuple[Any, ...], dict[str, Any] | None] = {}
_default_downstreams_lock = threading.Lock()


def stored_request(result: dict[str, Any]) -> FootprintRequest | None:
    """The request that reproduces a stored footprint's distribution/end-of-life stages."""
    lifecycle = result.get("lifecycle")
    if not lifecycle:
        return None
    body: dict[str, Any] = {}
    if "distribution" in lifecycle:
        body["distribution"] = {
            "legs": [
                {"mode": leg["mode"], "distance_km": leg["distance_km"], "label": leg["label"]}
                for leg in lifecycle["distribution"]["legs"]
            ]
        }
    if "end_of_life" in lifecycle:
        eol = lifecycle["end_of_life"]
        body["end_of_life"] = {"route": eol["route"], "grid_region": eol["grid_region"]}
    return FootprintRequest.model_validate(body)


def _check_finite(bom: Bom, model: CellModel) -> None:
    """Refuse a BOM stored before its quantities had plausible ranges (an infinite amount, or an
    energy out of range) instead of failing in the matrix or dividing by infinity."""
    problems = []
    energy_problem = range_problem("cell.nominal_energy", bom.nominal_energy_kwh)
    if energy_problem is not None:
        problems.append({"loc": ["cell", "nominal_energy_kwh"], "msg": energy_problem})
    for item in (*model.location_inputs, *model.market_inputs):
        if not math.isfinite(item.amount):
            problems.append({"loc": ["inputs", item.label], "msg": "is not a finite number"})
    if problems:
        raise InvalidInput(
            f"BOM {bom.id} holds quantities outside their plausible ranges; post it again",
            problems,
        )


def compute_footprint(
    bom_id: uuid.UUID,
    organisation_id: uuid.UUID,
    *,
    engine: Engine,
    background: Background,
    actor: str = "system",
    request: FootprintRequest | None = None,
    data_dir: Path = DEFAULT_DATA_DIR,
    footprint_id: uuid.UUID | None = None,
    announce: bool = False,
    settings: Settings | None = None,
) -> uuid.UUID:
    """Compute and store the footprint of one stored BOM in its own transaction; return the new
    footprint's id (``footprint_id`` fixes it in advance, which makes a job's re-run idempotent).
    ``announce``: emit ``footprint.completed`` in the same transaction, so a stored footprint is
    always announced and an unstored one never is; ``settings`` name the workers that send it."""

    with session_scope(engine) as session:
        repo = OrgRepository(session, organisation_id, actor)
        footprint = store_footprint(
            repo, bom_id, background, request=request, data_dir=data_dir, footprint_id=footprint_id
        )
        if announce:
            footprint_completed(session, footprint, settings)
        return footprint.id


def store_footprint(
    repo: OrgRepository,
    bom_id: uuid.UUID,
    background: Background,
    *,
    request: FootprintRequest | None = None,
    data_dir: Path = DEFAULT_DATA_DIR,
    footprint_id: uuid.UUID | None = None,
) -> Footprint:
    """Compute the footprint of one stored BOM and add it to ``repo``'s transaction.

    A footprint is a function of the stored BOM (immutable), the background version, the
    request's stages, ``data_dir`` and the year its electricity rulesets price — unless a line
    names a supplier or a supplier site, whose data and grid region are read from the database
    each time (they change without the BOM changing). Other BOMs' computations are kept (see
    :func:`keep_computations`): a repeated footprint of the same input then costs its writes,
    not the two solves, the contributions, the rulesets, the rating and the hash again (the same
    figures, to the bit).
    """
    bom = stored_bom(repo, bom_id)
    year = datetime.now(UTC).year
    key: tuple[Any, ...] | None = None
    if _kept.count and not any(
        line.supplier or line.supplier_site for line in stored_bom_lines(repo, bom.id)
    ):
        request_json = None if request is None else request.model_dump_json()
        key = (repo.organisation_id, bom.id, background.version, str(data_dir), request_json, year)
    computation = _kept_computation(key)
    if computation is None:
        computation = _compute(repo, bom, background, request, data_dir, year)
        _keep(key, computation)
    footprint = Footprint(
        id=footprint_id or uuid.uuid4(),
        organisation_id=repo.organisation_id,
        bom_id=bom.id,
        software_version=__version__,
        result=computation.result,
        **computation.columns,
    )
    insert_footprint(repo, footprint, {"input_sha256": footprint.input_sha256})
    return footprint


@dataclass
class _Computation:
    """What a footprint's figures are: its columns (but the id, times and owner) and its result
    document. Shared by the footprints of one input (see :func:`store_footprint`): never
    mutated."""

    columns: dict[str, Any]
    result: JsonDocument
    # Its answer's JSON around the id and the time, once a footprint of it was answered.
    answer: tuple[bytes, bytes, bytes] | None = None


def _kept_computation(key: tuple[Any, ...] | None) -> _Computation | None:
    if key is None:
        return None
    with _computations_lock:
        known = _computations.get(key)
        if known is not None:
            _computations.move_to_end(key)
        return known


def _keep(key: tuple[Any, ...] | None, computation: _Computation) -> None:
    if key is None:
        return
    with _computations_lock:
        earlier = _computations.pop(key, None)  # computed at the same time by another thread
        if earlier is not None:
            _by_result.pop(id(earlier.result), None)
        _computations[key] = computation
        _by_result[id(computation.result)] = computation
        _drop_beyond(_kept.count)


def _drop_beyond(count: int) -> None:
    """Drop the least recently used computations beyond ``count`` (the lock held)."""
    while len(_computations) > count:
        _, dropped = _computations.popitem(last=False)
        _by_result.pop(id(dropped.result), None)


@dataclass
class _Kept:
    count: int = 256  # computations a process keeps (least recently used dropped first)


_kept = _Kept()
_computations: OrderedDict[tuple[Any, ...], _Computation] = OrderedDict()
# id of a kept computation's result → the computation: its answer is built once (see
# footprint_json); an id is looked up only with an identity check of the result itself.
_by_result: dict[int, _Computation] = {}
_computations_lock = threading.Lock()


def keep_computations(count: int) -> None:
    """Keep this many computations from now on (settings.footprint_computations_kept; 0: none)."""
    _kept.count = count
    with _computations_lock:
        _drop_beyond(count)


def forget_computations() -> None:
    """Drop the kept computations (the next footprint of every input is computed again)."""
    with _computations_lock:
        _computations.clear()
        _by_result.clear()


def _compute(
    repo: OrgRepository,
    bom: Bom,
    background: Background,
    request: FootprintRequest | None,
    data_dir: Path,
    year: int,
) -> _Computation:
    model = cell_model(repo, bom, background, request, data_dir)
    energy = bom.nominal_energy_kwh
    _check_finite(bom, model)
    result = compute(background, model.location_inputs, energy, model.location_processes)
    market = compute(background, model.market_inputs, energy, model.market_processes)
    figures = (result.kg_co2e, result.kg_co2e_gwp20, result.kg_co2e_per_kwh, market.kg_co2e)
    if not all(math.isfinite(figure) for figure in figures):
        raise InvalidInput(f"the footprint of BOM {bom.id} is not a finite number")
    rulesets = electricity_rulesets(
        repo,
        bom,
        model.location_inputs,
        model.supplier_data,
        background,
        result.kg_co2e,
        year=year,
        data_dir=data_dir,
    )
    top_upstream, upstream_rest = upstream(
        background, model.location_inputs, top=UPSTREAM_TOP, processes=model.location_processes
    )
    rating = rate(
        background,
        exchange_quality(background, data_dir),
        model.location_inputs,
        model.location_processes,
    )
    columns = {
        "background_name": result.background_name,
        "background_version": result.background_version,
        "method": result.method,
        "input_sha256": input_hash(model, background),
        "kg_co2e": result.kg_co2e,
        "kg_co2e_per_kwh": result.kg_co2e_per_kwh,
        "kg_co2e_gwp20": result.kg_co2e_gwp20,
        "kg_co2e_market_based": market.kg_co2e,
        "primary_data_share": result.primary_data_share,
        "nominal_energy_kwh": result.nominal_energy_kwh,
    }
    document = {
        "lines": [
            {
                **_fields(line),
                **_modelled_stage_quality(line.stage),
                "kg_co2e_market_based": market_line.kg_co2e,
                "supplier_data": _provenance(model.supplier_data, index),
            }
            for index, (line, market_line) in enumerate(
                zip(result.lines, market.lines, strict=True)
            )
        ],
        "by_component": result.by_component,
        "by_stage": result.by_stage,
        "by_gas": result.by_gas,
        "by_supplier": result.by_supplier,
        "by_supplier_market_based": market.by_supplier,
        "primary_data_share_market_based": market.primary_data_share,
        "data_quality_rating": {"dqr": rating.dqr, "level": rating.level},
        "biogenic_co2_emission_kg": result.biogenic_co2_emission_kg,
        "biogenic_co2_removal_kg": result.biogenic_co2_removal_kg,
        "upstream": [_fields(u) for u in top_upstream],
        "upstream_rest_kg_co2e": upstream_rest,
        "notes": model.notes,
        **({"lifecycle": model.lifecycle} if model.lifecycle else {}),
        "electricity_rulesets": rulesets,
        "default_downstream": _default_downstream(repo, bom, result.by_stage, background, data_dir),
    }
    return _Computation(columns, JsonDocument(document))


def insert_footprint(repo: OrgRepository, footprint: Footprint, payload: dict[str, Any]) -> None:
    """Store a computed footprint: immutable, so the footprint and its audit row in one
    statement, without unit-of-work bookkeeping; the same statement reads the sharing rules of
    its BOM (applied now) and the organisation's webhook endpoints (for its announcement)."""
    reads = Reads(
        (RULES_OF_BOM, ENDPOINTS_OF),
        {"organisation_id": repo.organisation_id, "bom_id": footprint.bom_id},
    )
    repo.insert_audited(footprint, "create", "footprint", footprint.id, payload, reads)
    rules, endpoints = reads.rows
    apply_sharing_rules(repo, footprint, rules)
    remember_endpoints(repo.session, footprint, endpoints)
    FOOTPRINTS.inc()


def _modelled_stage_quality(stage: str) -> dict[str, str]:
    # Downstream stages come from default models (data/lifecycle), never the supplier's data,
    # even where a direct-emission foreground process prices them.
    if stage in (STAGE_DISTRIBUTION, STAGE_END_OF_LIFE):
        return {"data_quality": "secondary (stage model)"}
    return {}


def _provenance(data: dict[int, LineSupplierData], index: int) -> dict[str, str] | None:
    line_data = data.get(index)
    return {"kind": line_data.kind, "id": str(line_data.record_id)} if line_data else None


def _fields(record: Any) -> dict[str, Any]:
    """A frozen dataclass's fields as a dict, without :func:`dataclasses.asdict`'s deep copy:
    the values are immutable (numbers, strings, tuples), and the copy was a fifth of a
    footprint request's CPU."""
    return dict(vars(record))


def input_hash(model: CellModel, background: Background) -> str:
    """SHA-256 of everything the numbers depend on: same hash, same numbers."""
    payload = {
        "inputs": [_fields(i) for i in model.location_inputs],
        "market_inputs": [_fields(i) for i in model.market_inputs],
        "processes": {c: _fields(p) for c, p in sorted(model.location_processes.items())},
        "market_processes": {c: _fields(p) for c, p in sorted(model.market_processes.items())},
        "nominal_energy_kwh": model.bom.nominal_energy_kwh,
        "background": background.version,
        "method": background.method,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def footprint_json(footprint: Footprint) -> bytes:
    """``footprint_public(footprint)`` as JSON. The answer of a kept computation (see
    :func:`store_footprint`) is serialised once: a later footprint of it differs only in its id and
    time, put into the same text."""
    computation = _by_result.get(id(footprint.result))
    if computation is None or computation.result is not footprint.result:
        return footprint_public(footprint).model_dump_json().encode()
    time = _TIME.dump_json(_TIME.validate_python(footprint.created_at))
    if computation.answer is None:
        text = footprint_public(footprint).model_dump_json().encode()
        identity = f'"{footprint.id}"'.encode()
        at, when = text.find(identity), text.find(time)
        if text.count(identity) != 1 or text.count(time) != 1 or not 0 < at < when:
            return text  # not a text to fill in again (never seen): serialised each time
        computation.answer = (text[:at], text[at + len(identity) : when], text[when + len(time) :])
    head, middle, tail = computation.answer
    return b"".join((head, b'"', str(footprint.id).encode(), b'"', middle, time, tail))


_TIME: TypeAdapter[datetime] = TypeAdapter(UtcDatetime)


def footprint_public(footprint: Footprint) -> FootprintPublic:
    result = footprint.result
    return FootprintPublic(
        id=footprint.id,
        bom_id=footprint.bom_id,
        created_at=footprint.created_at,
        background=BackgroundVersion(
            name=footprint.background_name,
            version=footprint.background_version,
            method=footprint.method,
            id=footprint.background_id,
        ),
        software_version=footprint.software_version,
        input_sha256=footprint.input_sha256,
        kg_co2e_per_cell=footprint.kg_co2e,
        kg_co2e_per_kwh=footprint.kg_co2e_per_kwh,
        nominal_energy_kwh=footprint.nominal_energy_kwh,
        kg_co2e_per_cell_gwp20=footprint.kg_co2e_gwp20,
        kg_co2e_per_cell_market_based=footprint.kg_co2e_market_based,
        kg_co2e_per_kwh_market_based=footprint.kg_co2e_market_based / footprint.nominal_energy_kwh,
        primary_data_share=footprint.primary_data_share,
        primary_data_share_market_based=result.get(
            "primary_data_share_market_based", footprint.primary_data_share
        ),
        data_quality_rating=result.get("data_quality_rating", {}).get("dqr"),
        data_quality_level=result.get("data_quality_rating", {}).get("level"),
        lines=[
            FootprintLine(
                material=line["product"],
                **{k: v for k, v in line.items() if k not in ("product", "primary_kg_co2e")},
                primary_kg_co2e=line.get("primary_kg_co2e", 0.0),
            )
            for line in result["lines"]
        ],
        by_supplier=result.get("by_supplier", {}),
        by_supplier_market_based=result.get("by_supplier_market_based", {}),
        notes=result.get("notes", []),
        by_component=result["by_component"],
        by_stage=result["by_stage"],
        by_gas=result["by_gas"],
        biogenic_co2_emission_kg=result["biogenic_co2_emission_kg"],
        biogenic_co2_removal_kg=result["biogenic_co2_removal_kg"],
        upstream=[UpstreamPublic(**u) for u in result["upstream"]],
        upstream_rest_kg_co2e=result["upstream_rest_kg_co2e"],
        electricity_rulesets=[
            RulesetFigure.model_validate(entry)
            for entry in result.get("electricity_rulesets", {}).get("rulesets", [])
        ],
        headline_ruleset=result.get("electricity_rulesets", {}).get("headline", HEADLINE_KEY),
    )
