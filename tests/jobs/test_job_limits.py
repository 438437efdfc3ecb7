"""Per-organisation limits on jobs and fair turns between organisations: a flood of one
organisation's jobs is refused past its limits (429, nothing stored) and does not make another
organisation's job wait for the whole backlog. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import EXAMPLES, make_organisation
from tests.servers import wait_until

FAIR = "test.fair"


def _organisation_id(settings: Any, token: str) -> uuid.UUID:
    from sqlmodel import col

    from app.access.models import ApiKey
    from app.core.runtime import get_engine

    with get_engine(settings).connect() as connection:
        return connection.execute(
            select(col(ApiKey.organisation_id)).where(col(ApiKey.prefix) == token.split("_")[1])
        ).scalar_one()


def _queued(
    settings: Any, organisation_id: uuid.UUID, kind: str, count: int, **params: Any
) -> None:
    """``count`` queued jobs not due for an hour (so no sweeper runs them meanwhile)."""
    from app.core.db import session_scope
    from app.core.models import utc_now
    from app.core.runtime import get_engine
    from app.jobs.queue import new_job

    with session_scope(get_engine(settings)) as session:
        for _ in range(count):
            job = new_job(session, organisation_id, kind, None, dict(params))
            job.run_after = utc_now() + timedelta(hours=1)
            session.add(job)


def _counts(settings: Any, organisation_id: uuid.UUID) -> tuple[int, int]:
    from sqlmodel import col

    from app.core.audit import AuditEvent
    from app.core.runtime import get_engine
    from app.jobs.models import Job

    with get_engine(settings).connect() as connection:
        jobs = connection.execute(
            select(func.count()).where(col(Job.organisation_id) == organisation_id)
        ).scalar_one()
        # Audit rows of job creation only: the accepted jobs run meanwhile, and the footprints
        # and files they store are audited too (not what a refused request would have written).
        audit = connection.execute(
            select(func.count()).where(
                col(AuditEvent.organisation_id) == organisation_id,
                col(AuditEvent.resource) == "job",
            )
        ).scalar_one()
    return jobs, audit


@pytest.fixture
def organisation(app, settings) -> Iterator[tuple[TestClient, uuid.UUID, str]]:  # type: ignore[no-untyped-def]
    """A fresh organisation's client, its id, and a footprint of the example BOM."""
    import json

    token = make_organisation(settings, f"limits {uuid.uuid4().hex[:8]}")
    bom = json.loads((EXAMPLES / "nmc811_pouch.json").read_text())
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        created = client.post("/v1/boms", json=bom).json()
        footprint = client.post(f"/v1/boms/{created['id']}/footprints").json()
        yield client, _organisation_id(settings, token), footprint["id"]


def _refused_and_nothing_stored(
    settings: Any, organisation_id: uuid.UUID, response: Any, before: tuple[int, int]
) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert _counts(settings, organisation_id) == before


def test_monte_carlo_iterations_in_flight_are_capped_per_organisation(  # type: ignore[no-untyped-def]
    settings, organisation
) -> None:
    """Cap 200,000 (the default). Queued: 99,990 + 99,990 = 199,980. Asking for 30 more makes
    200,010 > 200,000: refused. 20 more makes exactly 200,000: accepted."""
    from app.jobs.queue import UNCERTAINTY

    client, organisation_id, footprint = organisation
    assert settings.max_mc_iterations_per_org == 200_000
    _queued(settings, organisation_id, UNCERTAINTY, 2, iterations=99_990)
    before = _counts(settings, organisation_id)
    refused = client.post(f"/v1/footprints/{footprint}/uncertainty", json={"iterations": 30})
    _refused_and_nothing_stored(settings, organisation_id, refused, before)
    assert "200010" in refused.json()["detail"]
    accepted = client.post(f"/v1/footprints/{footprint}/uncertainty", json={"iterations": 20})
    assert accepted.status_code == 202, accepted.text


def test_unfinished_jobs_are_capped_per_organisation(settings, organisation) -> None:  # type: ignore[no-untyped-def]
    """Cap 100 (the default): with 100 queued, the next footprint job and report are refused;
    webhook deliveries (the service's own follow-up work) do not count."""
    from app.jobs.queue import FOOTPRINT, WEBHOOK_DELIVER

    client, organisation_id, footprint = organisation
    _queued(settings, organisation_id, WEBHOOK_DELIVER, 5)
    _queued(settings, organisation_id, FOOTPRINT, settings.max_queued_jobs_per_org - 1)
    accepted = client.post(f"/v1/footprints/{footprint}/reports", json={"format": "csv"})
    assert accepted.status_code == 202, accepted.text  # the 100th
    # Its run audits the file it stores: let it finish before counting rows.
    job_url = accepted.headers["Location"]
    wait_until(
        lambda: client.get(job_url).json()["status"] in ("succeeded", "failed"), 60, "the report"
    )
    _queued(settings, organisation_id, FOOTPRINT, 1)  # the report finished: one more keeps 100
    before = _counts(settings, organisation_id)
    for response in (
        client.post(f"/v1/footprints/{footprint}/reports", json={"format": "csv"}),
        client.post(f"/v1/footprints/{footprint}/uncertainty", json={"iterations": 10}),
    ):
        _refused_and_nothing_stored(settings, organisation_id, response, before)


@pytest.fixture
def fair_kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[uuid.UUID], list[uuid.UUID]]]:
    """A job kind that records its organisation, then works for 50 ms; and the organisations in
    the order the pool's threads took their jobs from the fair queue.

    The runner's own order can differ from the order taken: between taking a job and running it,
    a thread claims the job row, and on SQLite one claim can wait for another thread's write."""
    from app.jobs.queue import JobContext, JobKind, job_kinds
    from app.jobs.submit import FairQueue

    ran: list[uuid.UUID] = []
    taken: list[uuid.UUID] = []
    lock = threading.Lock()

    def runner(context: JobContext) -> dict[str, Any]:
        with lock:
            ran.append(context.organisation_id)
        time.sleep(0.05)
        return {}

    take = FairQueue.take

    def recording_take(queue: FairQueue) -> Any:
        organisation_id, item = take(queue)  # called under the pool's lock: one at a time
        if item.kind == FAIR:
            taken.append(organisation_id)
        return organisation_id, item

    monkeypatch.setitem(job_kinds(), FAIR, JobKind(runner))
    monkeypatch.setattr(FairQueue, "take", recording_take)
    yield ran, taken


def test_another_organisations_job_runs_before_a_floods_backlog_drains(settings, fair_kind) -> None:  # type: ignore[no-untyped-def]
    """Organisation A submits 30 jobs, then B one, to the in-process pool of 2 threads. First
    come, first served ran B's job 31st, after A's whole backlog; with fair turns the next
    thread to be free takes it: after at most the two of A's jobs already running."""
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.jobs.queue import new_job
    from app.jobs.submit import submit_job

    ran, taken = fair_kind
    engine = get_engine(settings)
    flooder = _organisation_id(settings, make_organisation(settings, f"flood {uuid.uuid4().hex}"))
    other = _organisation_id(settings, make_organisation(settings, f"other {uuid.uuid4().hex}"))
    with session_scope(engine) as session:
        warm_up = new_job(session, other, FAIR, None, {}).id
        flood = [new_job(session, flooder, FAIR, None, {}).id for _ in range(30)]
        single = new_job(session, other, FAIR, None, {}).id
    # A first job warms the pool (threads, connections, the background a compute job loads), so
    # that what is measured is the queue's order, not which thread finished loading first.
    submit_job(warm_up, settings, engine=engine, kind=FAIR)
    wait_until(lambda: len(ran) == 1, 30, "the warm-up job")
    time.sleep(0.1)  # its 50 ms of work done, its thread free again
    ran.clear()
    taken.clear()
    for job_id in flood:
        submit_job(job_id, settings, engine=engine, kind=FAIR)
    submit_job(single, settings, engine=engine, kind=FAIR)
    # Counted once B's job is in the queue: on a busy machine its submission itself can outlast
    # one of A's 50 ms jobs, and what was taken meanwhile was taken before B's job was waiting.
    taken_before = len(taken)
    wait_until(lambda: len(ran) == 31, 30, "the 31 jobs")
    assert sorted(taken) == sorted(ran)  # each job taken once, and run
    assert taken_before < 20  # A's backlog was still long when B's job arrived
    # At most the two jobs whose threads were already taking their next job come before it.
    assert taken.index(other) <= taken_before + 2, (taken.index(other), taken_before, taken)


def test_fair_queue_prefers_the_organisation_with_fewest_running() -> None:
    """Waiting: A1 A2 A3 B1 C1 (in that order). Takes: A1 (all idle, A first), then B1 and C1
    (none running), then A2 while A1, B1, C1 run; when B1 ends, A3 (B waits for nothing)."""
    from app.jobs.submit import FairQueue, _Waiting

    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    queue = FairQueue()
    for org, name in ((a, "A1"), (a, "A2"), (a, "A3"), (b, "B1"), (c, "C1")):
        queue.put(org, _Waiting(uuid.uuid5(uuid.NAMESPACE_DNS, name), None, None, None))  # type: ignore[arg-type]
    taken = [queue.take()[0] for _ in range(4)]
    assert taken == [a, b, c, a]
    queue.done(b)
    assert queue.take()[0] == a
    assert not queue.waiting


def test_a_job_yields_its_turn_to_an_organisation_with_fewer_running_or_served_longer_ago(  # type: ignore[no-untyped-def]
    settings, tmp_path
) -> None:
    """A has one job running and one queued; B has one queued and none running: A's queued job
    yields, B's does not. Then B's starts: one running each, and B started last, so A (served
    longer ago) goes first and B's next job yields to it."""
    from sqlalchemy import update
    from sqlmodel import col

    from app.core.db import session_scope
    from app.core.migrate import upgrade
    from app.core.models import utc_now
    from app.core.runtime import get_engine
    from app.jobs.models import Job
    from app.jobs.queue import new_job, yields_turn

    # A database of its own: queued jobs other tests leave in the shared one are organisations
    # waiting too, and would take part in the turns.
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    upgrade(url)
    settings = settings.model_copy(update={"database_url": url})
    engine = get_engine(settings)
    a = _organisation_id(settings, make_organisation(settings, f"yield a {uuid.uuid4().hex}"))
    b = _organisation_id(settings, make_organisation(settings, f"yield b {uuid.uuid4().hex}"))
    with session_scope(engine) as session:
        a_running, a_queued = (new_job(session, a, FAIR, None, {}).id for _ in range(2))
        b_queued, b_next = (new_job(session, b, FAIR, None, {}).id for _ in range(2))

    def start(job_id: uuid.UUID) -> None:
        with engine.begin() as connection:
            connection.execute(
                update(Job)
                .where(col(Job.id) == job_id)
                .values(status="running", heartbeat_at=utc_now(), started_at=utc_now())
            )

    try:
        start(a_running)
        assert yields_turn(engine, a_queued)
        assert not yields_turn(engine, b_queued)
        start(b_queued)
        assert not yields_turn(engine, a_queued)
        assert yields_turn(engine, b_next)
    finally:
        with engine.begin() as connection:  # leave no running rows for other tests' sweepers
            connection.execute(
                update(Job)
                .where(col(Job.id).in_([a_running, a_queued, b_queued, b_next]))
                .values(status="failed", finished_at=utc_now())
            )
