from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from app.access.deps import RepoDep, writer_scope
from app.backgrounds.footprints import store_imported_footprint
from app.backgrounds.methods import DEFAULT_METHOD
from app.boms.service import stored_bom
from app.core.deps import BackgroundDep, SessionDep, SettingsDep
from app.core.errors import InvalidInput
from app.core.idempotency import record_answer
from app.core.repository import OrgRepository
from app.core.responses import json_response, model_response
from app.core.runtime import get_background
from app.footprints.models import Footprint
from app.footprints.schemas import FootprintPublic, FootprintRequest, UncertaintyIn
from app.footprints.service import cell_model, footprint_json, footprint_public, store_footprint
from app.jobs.queue import FOOTPRINT, UNCERTAINTY, create_job, job_public
from app.jobs.schemas import JobPublic
from app.jobs.submit import submit_after_commit
from app.webhooks.events import footprint_completed
from lca.background import Background

router = APIRouter(prefix="/v1", tags=["footprints"])


@router.post(
    "/boms/{bom_id}/footprints",
    response_model=FootprintPublic,
    status_code=status.HTTP_201_CREATED,
    responses={202: {"model": JobPublic, "description": "with wait=false: the job computing it"}},
)
async def create_footprint(
    bom_id: uuid.UUID,
    request: Request,
    response: Response,
    payload: FootprintRequest | None = None,
    wait: Annotated[
        bool, Query(description="false: answer 202 with a job (run by the workers) at once")
    ] = True,
    background_id: Annotated[
        uuid.UUID | None,
        Query(
            alias="background",
            description="an imported background of the organisation (GET /v1/backgrounds), "
            "its material mapping covering the BOM; computed at once whatever wait says. "
            "Default: the open background. May be given as the body's `background` instead",
        ),
    ] = None,
    method: Annotated[
        str | None,
        Query(
            max_length=300,
            description="on an imported background: one of its `methods` (GET "
            f"/v1/backgrounds/{{id}}), e.g. a climate method shipped with it. Default: "
            f"{DEFAULT_METHOD}",
        ),
    ] = None,
) -> Any:
    """Compute and store the footprint of one cell of this BOM on the current background (or
    an imported one); the optional body adds the distribution and end-of-life stages."""
    # The key, scopes, rate limit, session and the work on one worker thread (one hop); the
    # answer leaves after the commit.

    def work() -> Response:
        # The background on this thread, not as a dependency: loaded at start-up, so a lookup.
        background = get_background(request.app.state.settings)
        with writer_scope(request, response) as repo:
            answer = _answer(
                repo, bom_id, request, response, background, payload, wait, background_id, method
            )
            # Stored for an Idempotency-Key by writer_scope, in the transaction it commits.
            return record_answer(request.scope, answer)

    return await run_in_threadpool(work)


def _answer(
    repo: OrgRepository,
    bom_id: uuid.UUID,
    request: Request,
    response: Response,
    background: Background,
    payload: FootprintRequest | None,
    wait: bool,
    background_id: uuid.UUID | None,
    method: str | None,
) -> Response:
    # The key is checked by the footprint's INSERT (app.access.key_guard). Settings as the app
    # holds them (see app.core.deps).
    session, settings = repo.session, request.app.state.settings
    # 404 before anything else; cached per process (a BOM is immutable), so store_footprint
    # reads it again for free.
    bom = stored_bom(repo, bom_id)
    background_id = _chosen_background(background_id, payload)
    if background_id is not None:
        if payload is not None and (payload.distribution or payload.end_of_life):
            raise InvalidInput(
                "distribution and end-of-life stages are modelled on the open background only",
                [{"loc": ["query", "background"], "msg": "omit it, or the body's stages"}],
            )
        footprint = store_imported_footprint(
            repo, bom.id, background_id, background, settings, method
        )
        response.headers["Location"] = f"/v1/footprints/{footprint.id}"
        footprint_completed(session, footprint, settings)
        return json_response(footprint_json(footprint), response, status.HTTP_201_CREATED)
    if method is not None and method != DEFAULT_METHOD:
        raise InvalidInput(
            f"the open background is characterised with {DEFAULT_METHOD} only",
            [{"loc": ["query", "method"], "msg": f"omit it, or give {DEFAULT_METHOD}"}],
        )
    if not wait:
        # What the job would refuse (an unknown recycling route or grid region, a material
        # missing from the background) is a 422 now, as with wait=true, not a failed job later:
        # building the model checks it all and costs a fraction of the computation.
        cell_model(repo, bom, background, payload, settings.data_dir)
        params = {
            "footprint_id": str(uuid.uuid4()),
            "request": payload.model_dump(mode="json") if payload else None,
            "actor": repo.actor,
        }
        job = create_job(repo, FOOTPRINT, bom_id, params, settings)
        public = job_public(job)
        # Submitted once the request commits (with its Idempotency-Key response, if any): the
        # worker reads the job row in its own transaction.
        submit_after_commit(session, job.id, job.kind, settings)
        response.headers["Location"] = f"/v1/jobs/{job.id}"
        return model_response(public, response, status.HTTP_202_ACCEPTED)
    footprint = store_footprint(
        repo, bom.id, background, request=payload, data_dir=settings.data_dir
    )
    response.headers["Location"] = f"/v1/footprints/{footprint.id}"
    footprint_completed(session, footprint, settings)  # sent after commit
    return json_response(footprint_json(footprint), response, status.HTTP_201_CREATED)


def _chosen_background(
    in_query: uuid.UUID | None, payload: FootprintRequest | None
) -> uuid.UUID | None:
    """The imported background named by the query or the body (422 when they differ)."""
    in_body = payload.background if payload is not None else None
    if in_query is not None and in_body is not None and in_query != in_body:
        raise InvalidInput(
            "the query and the body name different backgrounds",
            [
                {"loc": ["query", "background"], "msg": f"{in_query} here"},
                {"loc": ["background"], "msg": f"{in_body} in the body: give one"},
            ],
        )
    return in_query or in_body


@router.get("/footprints/{footprint_id}", response_model=FootprintPublic)
def get_footprint(footprint_id: uuid.UUID, repo: RepoDep, response: Response) -> Response:
    """One stored footprint: per cell, per kWh, and its breakdown."""
    return model_response(
        footprint_public(repo.get(Footprint, footprint_id, "footprint")), response
    )


@router.post(
    "/footprints/{footprint_id}/uncertainty",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
)
def start_uncertainty(
    footprint_id: uuid.UUID,
    repo: RepoDep,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundDep,
    response: Response,
    payload: UncertaintyIn | None = None,
) -> JobPublic:
    """Start a Monte Carlo job for this footprint; follow it at the returned job's URL."""
    footprint = repo.get(Footprint, footprint_id, "footprint")
    if footprint.background_version != background.version:
        raise InvalidInput(
            f"footprint {footprint_id} was computed on background "
            f"{footprint.background_version[:12]}; recompute it on {background.version[:12]} first"
        )
    params = (payload or UncertaintyIn()).model_dump()
    job = create_job(repo, UNCERTAINTY, footprint.id, params, settings)
    public = job_public(job)
    submit_after_commit(session, job.id, job.kind, settings)  # see create_footprint
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return public
