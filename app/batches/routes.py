"""``POST /v1/footprints/batch``: thousands of variants of one cell, answered as NDJSON."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.access.deps import RepoDep
from app.batches.files import MEDIA_TYPES, batch_file
from app.batches.models import FootprintBatch
from app.batches.schemas import BatchIn
from app.batches.service import prepare_batch, result_lines, store_batch
from app.core.deps import BackgroundDep
from app.core.idempotency import pending_claim
from app.core.json_body import ParsedJsonRoute

BATCH_PATH = "/v1/footprints/batch"
NDJSON = "application/x-ndjson"

_NUMBER = {"type": "number"}
# One line of the answer (each line is one JSON object; the schema describes a line).
LINE_SCHEMA = {
    "title": "BatchLine",
    "oneOf": [
        {
            "type": "object",
            "required": ["key", "kg_co2e_per_cell", "kg_co2e_per_kwh", "top"],
            "properties": {
                "key": {"type": "string"},
                "kg_co2e_per_cell": _NUMBER,
                "kg_co2e_per_kwh": _NUMBER,
                "kg_co2e_per_cell_market_based": _NUMBER,
                "kg_co2e_per_kwh_market_based": _NUMBER,
                "kg_co2e_per_cell_gwp20": _NUMBER,
                "nominal_energy_kwh": _NUMBER,
                "top": {
                    "type": "array",
                    "description": "largest BOM lines, location-based GWP100",
                    "items": {
                        "type": "object",
                        "properties": {
                            "label": {"type": "string"},
                            "material": {"type": "string"},
                            "kg_co2e": _NUMBER,
                            "share": _NUMBER,
                        },
                    },
                },
            },
        },
        {
            "type": "object",
            "required": ["key", "problem"],
            "properties": {
                "key": {"type": "string"},
                "problem": {"$ref": "#/components/schemas/Problem"},
            },
        },
    ],
}

router = APIRouter(tags=["batches"], route_class=ParsedJsonRoute)


@router.post(
    BATCH_PATH,
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {NDJSON: {"schema": LINE_SCHEMA}},
            "description": "one JSON object per line and variant, in the order of the request: "
            "`{key, kg_co2e_per_cell, kg_co2e_per_kwh, kg_co2e_per_cell_market_based, "
            "kg_co2e_per_kwh_market_based, kg_co2e_per_cell_gwp20, nominal_energy_kwh, top}`, "
            "or `{key, problem}` (problem details) for a variant that cannot be applied",
        }
    },
)
def price_batch(
    payload: BatchIn,
    request: Request,
    repo: RepoDep,
    background: BackgroundDep,
    response: Response,
    store: Annotated[
        bool,
        Query(
            description="keep the answer (201, Location: its download; sent whole, after "
            "the commit)"
        ),
    ] = False,
) -> Response:
    """Price up to 10,000 variants of one BOM (grid region, substitutions, supplier swaps,
    recycled content, or whole BOMs); results stream as they are computed."""
    batch = prepare_batch(repo, payload, background)
    if store:
        answer = Response(store_batch(repo, batch, background), status_code=201, media_type=NDJSON)
        answer.headers.raw.extend(response.headers.raw)
        answer.headers["Location"] = f"/v1/footprint-batches/{batch.batch_id}"
        answer.headers["X-Batch-Id"] = str(batch.batch_id)
        return answer
    if pending_claim(request.scope) is not None:
        # An Idempotency-Key: the answer is stored with the audit row, in the same transaction,
        # so it is computed whole before the commit (and replayed whole to a retry).
        whole = Response(b"".join(result_lines(batch, background)), media_type=NDJSON)
        whole.headers.raw.extend(response.headers.raw)
        whole.headers["X-Batch-Id"] = str(batch.batch_id)
        return whole
    # The session commits (audit row) when this returns, before the first line is sent; the
    # stream itself only computes.
    answer = StreamingResponse(result_lines(batch, background), media_type=NDJSON)
    answer.headers.raw.extend(response.headers.raw)  # RateLimit-*
    answer.headers["X-Batch-Id"] = str(batch.batch_id)
    return answer


@router.get(
    "/v1/footprint-batches/{batch_id}",
    response_class=Response,
    responses={
        200: {
            "content": {
                NDJSON: {"schema": LINE_SCHEMA},
                MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
                MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "the kept answer, or one row per variant",
        }
    },
)
def download_batch(
    batch_id: uuid.UUID,
    repo: RepoDep,
    file_format: Annotated[
        Literal["ndjson", "csv", "xlsx"], Query(alias="format", description="file format")
    ] = "ndjson",
) -> Response:
    """A batch kept with ?store=true: its NDJSON answer, or one row per variant (CSV, XLSX)."""
    batch = repo.get(FootprintBatch, batch_id, "batch")
    headers = {}
    if file_format != "ndjson":
        headers["Content-Disposition"] = f'attachment; filename="batch-{batch.id}.{file_format}"'
    return Response(
        batch_file(batch, file_format), media_type=MEDIA_TYPES[file_format], headers=headers
    )
