"""Job infrastructure on SQLite and PostgreSQL: RetryLater puts a job back in the queue with a
"not before" time and its reason, the kind's attempt limit ends it failed, and the sweeper finds
the jobs a restart left behind (queued and due, or running without a heartbeat) and runs them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import make_organisation
from tests.servers import wait_until

FLAKY = "test.flaky"


@pytest.fixture(scope="module")
def organisation(settings) -> uuid.UUID:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from app.access.models import ApiKey
    from app.core.db import session_scope
    from app.core.runtime import get_engine

    token = make_organisation(settings, f"jobs {uuid.uuid4().hex[:8]}")
    with session_scope(get_engine(settings)) as session:
        prefix = token.split("_")[1]
        return session.exec(select(ApiKey.organisation_id).where(ApiKey.prefix == prefix)).one()


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """A job kind whose runner follows a script: "retry" raises RetryLater(0.2 s), anything
    else is returned as the result; at most 3 attempts. The list records each run's attempt."""
    from app.jobs.queue import JobContext, JobKind, RetryLater, job_kinds

    script: list[Any] = []
    runs: list[int] = []

    def runner(context: JobContext) -> dict[str, Any]:
        runs.append(context.attempt)
        step = script[min(len(runs), len(script)) - 1]
        if step == "retry":
            raise RetryLater(0.2, f"receiver down (run {len(runs)})")
        return {"step": step}

    monkeypatch.setitem(job_kinds(), FLAKY, JobKind(runner, lambda _: 3))
    yield [script, runs]


def _new(settings, organisation: uuid.UUID, kind: str = FLAKY, **fields: Any) -> uuid.UUID:  # type: ignore[no-untyped-def]
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.jobs.models import Job
    from app.jobs.queue import new_job

    with session_scope(get_engine(settings)) as session:
        job = new_job(session, organisation, kind, None, {})
        for name, value in fields.items():
            setattr(job, name, value)
        session.add(job)
        session.flush()
        job_id = job.id
        assert isinstance(session.get(Job, job_id), Job)
    return job_id


def _row(settings, job_id: uuid.UUID) -> Any:  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    from app.core.runtime import get_engine
    from app.jobs.models import Job

    with Session(get_engine(settings)) as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _execute(settings, job_id: uuid.UUID) -> Any:  # type: ignore[no-untyped-def]
    from app.core.runtime import get_engine
    from app.jobs.queue import execute_job

    return execute_job(job_id, engine=get_engine(settings), settings=settings)


def _aware(moment: Any) -> Any:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_retry_later_requeues_with_not_before_and_reason(settings, organisation, flaky) -> None:  # type: ignore[no-untyped-def]
    """retry, retry, done: the job is queued between runs, not claimable before run_after,
    and succeeds on its third attempt with the error cleared."""
    from app.core.models import utc_now
    from app.jobs.queue import Outcome

    script, runs = flaky
    script.extend(["retry", "retry", "done"])
    job_id = _new(settings, organisation)

    before = utc_now()
    first = _execute(settings, job_id)
    assert (first.outcome, first.retry_in) == (Outcome.RETRY, 0.2)
    job = _row(settings, job_id)
    assert (job.status, job.attempts, job.error) == ("queued", 1, "receiver down (run 1)")
    assert job.claim_token is None and job.worker is None and job.heartbeat_at is None
    wait = (_aware(job.run_after) - before).total_seconds()
    assert 0.2 <= wait < 1.0

    early = _execute(settings, job_id)  # not due yet: nobody may claim it
    assert early.outcome is Outcome.NOT_DUE and 0 < early.retry_in <= 0.2
    assert runs == [1]

    time.sleep(early.retry_in + 0.01)
    assert _execute(settings, job_id).outcome is Outcome.RETRY
    time.sleep(0.21)
    assert _execute(settings, job_id).outcome is Outcome.RAN
    job = _row(settings, job_id)
    assert (job.status, job.attempts, job.error, job.result) == (
        "succeeded",
        3,
        None,
        {"step": "done"},
    )
    assert runs == [1, 2, 3]
    assert _execute(settings, job_id).outcome is Outcome.FINISHED


def test_the_kinds_attempt_limit_ends_the_job_failed(settings, organisation, flaky) -> None:  # type: ignore[no-untyped-def]
    from app.jobs.queue import Outcome

    script, runs = flaky
    script.append("retry")
    job_id = _new(settings, organisation)
    for expected in (Outcome.RETRY, Outcome.RETRY, Outcome.RAN):
        result = _execute(settings, job_id)
        assert result.outcome is expected
        time.sleep(result.retry_in + 0.01)
    job = _row(settings, job_id)
    assert (job.status, job.attempts) == ("failed", 3)
    assert job.error == "gave up after 3 attempts: receiver down (run 3)"
    assert runs == [1, 2, 3]


def test_due_jobs_are_those_a_restart_left_behind(settings, organisation) -> None:  # type: ignore[no-untyped-def]
    """Stale after 60 s: a queued job created 2 min ago (its submission was lost), a retry due
    2 min ago, and a running job whose heartbeat stopped 2 min ago are due; a fresh job, a retry
    due later, a live running job and finished jobs are not."""
    from app.core.models import utc_now
    from app.core.runtime import get_engine
    from app.jobs.sweeper import due_jobs

    now = utc_now()
    ago = now - timedelta(minutes=2)
    due = {
        _new(settings, organisation, created_at=ago),
        _new(settings, organisation, created_at=ago, run_after=ago),
        _new(settings, organisation, created_at=ago, status="running", heartbeat_at=ago),
    }
    not_due = {
        _new(settings, organisation),
        _new(settings, organisation, created_at=ago, run_after=now + timedelta(minutes=1)),
        _new(settings, organisation, created_at=ago, status="running", heartbeat_at=now),
        _new(settings, organisation, created_at=ago, status="succeeded"),
        _new(settings, organisation, created_at=ago, status="failed", heartbeat_at=ago),
    }
    try:
        found = {job_id for job_id, _ in due_jobs(get_engine(settings), 60.0, limit=10_000)}
        assert due <= found
        assert not (not_due & found)
    finally:
        _end(settings, due | not_due)  # no sweeper of a later test may find them


def _end(settings, job_ids: set[uuid.UUID]) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update
    from sqlmodel import col

    from app.core.runtime import get_engine
    from app.jobs.models import Job

    with get_engine(settings).begin() as connection:
        connection.execute(update(Job).where(col(Job.id).in_(job_ids)).values(status="succeeded"))


def test_the_sweeper_runs_abandoned_jobs_in_process(settings, organisation, flaky) -> None:  # type: ignore[no-untyped-def]
    """A queued job nobody submitted and a running job whose worker died are both run to the
    end by the sweeper's thread; stopping the sweeper ends its thread."""
    from app.core.models import utc_now
    from app.jobs.sweeper import Sweeper

    script, _ = flaky
    script.append("done")
    ago = utc_now() - timedelta(minutes=2)
    abandoned = [
        _new(settings, organisation, created_at=ago),
        _new(settings, organisation, status="running", heartbeat_at=ago, attempts=1),
    ]
    sweeper = Sweeper(settings.model_copy(update={"job_sweep_interval_s": 0.05}))
    sweeper.start()
    try:
        wait_until(
            lambda: all(_row(settings, j).status == "succeeded" for j in abandoned),
            30,
            "the sweeper to run both jobs",
        )
    finally:
        sweeper.stop()
    assert sweeper._thread is None
    assert [_row(settings, j).attempts for j in abandoned] == [1, 2]


def test_a_retried_job_runs_again_in_process_on_its_timer(settings, organisation, flaky) -> None:  # type: ignore[no-untyped-def]
    from app.core.runtime import get_engine
    from app.jobs.submit import submit_job

    script, runs = flaky
    script.extend(["retry", "done"])
    job_id = _new(settings, organisation)
    started = time.monotonic()
    submit_job(job_id, settings, engine=get_engine(settings))
    wait_until(lambda: _row(settings, job_id).status == "succeeded", 30, "the retried job")
    assert time.monotonic() - started >= 0.2
    assert runs == [1, 2]


def test_an_unreachable_broker_does_not_fail_the_request(client, app) -> None:  # type: ignore[no-untyped-def]
    """The job row is committed before it is handed to the broker; if the broker is down the
    client still gets its 202 and the job waits, queued, for a sweeper to resend it."""
    from tests.boms.bom_files import example

    bom = client.post("/v1/boms", json=example("nmc811_pouch")).json()
    original = app.state.settings
    app.state.settings = original.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    try:
        accepted = client.post(f"/v1/boms/{bom['id']}/footprints?wait=false")
    finally:
        app.state.settings = original
    assert accepted.status_code == 202, accepted.text
    job = client.get(accepted.headers["Location"]).json()
    assert job["status"] == "queued" and job["attempts"] == 0


def test_a_busy_runner_keeps_its_claim_alive(settings, organisation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A runner that blocks for several stale periods without reporting progress (a slow
    receiver) keeps beating: no other worker may claim its job meanwhile."""
    import threading

    from app.core.runtime import get_engine
    from app.jobs.queue import JobKind, claim, execute_job, job_kinds

    release = threading.Event()
    monkeypatch.setitem(job_kinds(), "test.slow", JobKind(lambda _: release.wait(10) and {}))
    quick = settings.model_copy(update={"job_stale_after_s": 0.3})
    job_id = _new(settings, organisation, kind="test.slow")
    engine = get_engine(settings)
    running = threading.Thread(
        target=execute_job,
        args=(job_id,),
        kwargs={"engine": engine, "settings": quick, "stale_after_s": 0.3},
    )
    running.start()
    try:
        wait_until(lambda: _row(settings, job_id).status == "running", 10, "the job to start")
        for _ in range(6):  # 1.2 s: four stale periods
            time.sleep(0.2)
            assert claim(engine, job_id, "another worker", stale_after_s=0.3) is None
    finally:
        release.set()
        running.join(timeout=10)
    row = _row(settings, job_id)
    assert row.status == "succeeded" and row.attempts == 1


def test_one_sweeper_resubmits_a_lost_job_however_many_run(settings, organisation) -> None:  # type: ignore[no-untyped-def]
    """Every API and worker process sweeps; a queued job whose submission was lost is
    resubmitted by one of them per stale period, not by each: the first takes it, and for the
    others it is no longer due."""
    from app.core.models import utc_now
    from app.core.runtime import get_engine
    from app.jobs.sweeper import due_jobs, take_resubmission

    engine, stale = get_engine(settings), settings.job_stale_after_s
    lost = _new(settings, organisation, created_at=utc_now() - timedelta(minutes=2))
    try:
        assert lost in {job for job, _ in due_jobs(engine, stale, limit=10_000)}
        assert [take_resubmission(engine, lost, stale) for _ in range(3)] == [True, False, False]
        assert lost not in {job for job, _ in due_jobs(engine, stale, limit=10_000)}
        # A stale period later it is due again (that resubmission was lost too).
        assert take_resubmission(engine, lost, stale_after_s=0.0)
    finally:
        _end(settings, {lost})  # no sweeper of a later test may find it
