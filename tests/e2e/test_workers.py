"""Jobs under failure, on the real PostgreSQL and Redis of this machine.

A Celery worker killed (SIGKILL) mid-job: the broker redelivers the unacknowledged task and a
new worker finishes it, once. Two workers handed the same job: one claims it, one result. The API
server killed in the middle of POSTs: every stored BOM is whole. Redis and PostgreSQL tests are
skipped on a laptop without them, and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from tests.conftest import IN_CI
from tests.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "data" / "examples" / "nmc811_pouch.json").read_text())
REDIS_URL = os.environ.get("CELLCARBON_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # refused, timed out, unknown host
        message = f"Redis unreachable at {REDIS_URL}: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()  # our own database index: leftover tasks of an earlier run would interfere
    return REDIS_URL


@pytest.fixture(scope="module")
def pg(postgres_url: str, real_background_dir: Path):  # type: ignore[no-untyped-def]
    """Settings on the session's PostgreSQL database, migrated, with one organisation."""
    from app.core.migrate import upgrade
    from app.core.settings import Settings
    from tests.conftest import make_organisation

    upgrade(postgres_url)
    settings = Settings(database_url=postgres_url, brightway_dir=real_background_dir)
    make_organisation(settings, f"workers {uuid.uuid4().hex[:6]}")
    return settings


def _organisation_id(settings) -> uuid.UUID:  # type: ignore[no-untyped-def]
    from app.access.models import Organisation
    from app.core.db import session_scope
    from app.core.runtime import get_engine

    with session_scope(get_engine(settings)) as session:
        return session.exec(
            select(Organisation.id).where(col(Organisation.name).startswith("workers"))
        ).first()


def _bom_and_footprint(settings) -> tuple[uuid.UUID, uuid.UUID]:  # type: ignore[no-untyped-def]
    from app.boms.schemas import BomCreate
    from app.boms.service import create_bom
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_background, get_engine
    from app.footprints.service import compute_footprint

    organisation = _organisation_id(settings)
    with session_scope(get_engine(settings)) as session:
        bom = create_bom(
            OrgRepository(session, organisation),
            BomCreate.model_validate(EXAMPLE),
            get_background(settings),
        )
        bom_id = bom.id
    footprint = compute_footprint(
        bom_id, organisation, engine=get_engine(settings), background=get_background(settings)
    )
    return bom_id, footprint


def _job(settings, kind: str, subject: uuid.UUID, params: dict[str, Any]) -> uuid.UUID:  # type: ignore[no-untyped-def]
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_engine
    from app.jobs.queue import create_job

    with session_scope(get_engine(settings)) as session:
        return create_job(
            OrgRepository(session, _organisation_id(settings)), kind, subject, params
        ).id


def _read(settings, job_id: uuid.UUID) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.jobs.models import Job

    with session_scope(get_engine(settings)) as session:
        job = session.get(Job, job_id)
        return {
            "status": job.status,
            "progress": job.progress,
            "attempts": job.attempts,
            "result": job.result,
            "error": job.error,
        }


@pytest.fixture
def workers(pg, redis_url: str, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:  # type: ignore[no-untyped-def]
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": pg.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(pg.brightway_dir),
        "CELLCARBON_BROKER_URL": redis_url,
        # Short clocks so a crash is noticed in seconds, not the production hour.
        "CELLCARBON_JOB_STALE_AFTER_S": "2",
        "CELLCARBON_JOB_VISIBILITY_TIMEOUT_S": "3",
        "CELLCARBON_JOB_SWEEP_INTERVAL_S": "0.5",
        # Webhook receivers of these tests run on loopback; retries come fast.
        "CELLCARBON_WEBHOOK_ALLOW_PRIVATE": "true",
        "CELLCARBON_WEBHOOK_BACKOFF_SECONDS": "0.3",
        "CELLCARBON_WEBHOOK_MAX_ATTEMPTS": "3",
    }
    env.pop("BRIGHTWAY_DIR", None)

    def start() -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def _with_broker(settings, redis_url: str):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"broker_url": redis_url, "job_visibility_timeout_s": 3})


def test_killed_worker_job_is_finished_once_by_another(pg, redis_url, workers) -> None:  # type: ignore[no-untyped-def]
    from app.core.runtime import get_background
    from app.jobs.queue import UNCERTAINTY
    from app.jobs.workers import enqueue
    from lca.montecarlo import monte_carlo

    _, footprint_id = _bom_and_footprint(pg)
    params = {"iterations": 30000, "seed": 7, "background": True, "foreground_gsd": None}
    job_id = _job(pg, UNCERTAINTY, footprint_id, params)
    enqueue(job_id, _with_broker(pg, redis_url))
    first = workers()
    wait_until(lambda: _read(pg, job_id)["progress"] > 0, 120, "the first worker to make progress")
    os.killpg(first.pid, signal.SIGKILL)  # the whole worker, parent and child, without warning
    first.wait(timeout=20)
    assert _read(pg, job_id)["status"] == "running"
    workers()
    wait_until(
        lambda: _read(pg, job_id)["status"] in ("succeeded", "failed"), 180, "the second worker"
    )
    job = _read(pg, job_id)
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] == 2
    # The stored result is the seeded run itself, computed once more here to compare.
    from app.boms.models import Bom
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_engine
    from app.footprints.models import Footprint
    from app.footprints.service import cell_model

    with session_scope(get_engine(pg)) as session:
        repo = OrgRepository(session, _organisation_id(pg))
        footprint = repo.get(Footprint, footprint_id, "footprint")
        model = cell_model(repo, repo.get(Bom, footprint.bom_id, "BOM"), get_background(pg))
    expected = monte_carlo(
        get_background(pg),
        model.location_inputs,
        iterations=30000,
        seed=7,
        processes=model.location_processes,
    )
    assert job["result"]["mean"] == pytest.approx(expected.mean, rel=1e-12)


def test_two_workers_racing_for_one_job_store_one_footprint(pg, redis_url, workers) -> None:  # type: ignore[no-untyped-def]
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.footprints.models import Footprint
    from app.jobs.queue import FOOTPRINT
    from app.jobs.workers import enqueue

    bom_id, _ = _bom_and_footprint(pg)
    job_id = _job(pg, FOOTPRINT, bom_id, {"footprint_id": str(uuid.uuid4()), "request": None})
    workers(), workers()
    broker = _with_broker(pg, redis_url)
    enqueue(job_id, broker)
    enqueue(job_id, broker)  # the same job twice, as a redelivery or a retrying client would
    wait_until(lambda: _read(pg, job_id)["status"] == "succeeded", 120, "the footprint job")
    time.sleep(2)  # let the second delivery run to its (empty) end
    job = _read(pg, job_id)
    assert job["attempts"] == 1
    with session_scope(get_engine(pg)) as session:
        count = session.exec(
            select(func.count()).select_from(Footprint).where(col(Footprint.bom_id) == bom_id)
        ).one()
    assert count == 2  # the one made by the fixture, and the job's: not three


def test_a_job_whose_task_was_lost_is_run_by_a_workers_sweeper(pg, redis_url, workers) -> None:  # type: ignore[no-untyped-def]
    """The job row is committed but never enqueued (the API died in between): a worker's
    sweeper finds it queued and due, enqueues it, and a worker runs it once."""
    from app.jobs.queue import FOOTPRINT

    bom_id, _ = _bom_and_footprint(pg)
    footprint_id = str(uuid.uuid4())
    job_id = _job(pg, FOOTPRINT, bom_id, {"footprint_id": footprint_id, "request": None})
    workers()
    wait_until(lambda: _read(pg, job_id)["status"] == "succeeded", 120, "the swept job")
    job = _read(pg, job_id)
    assert job["attempts"] == 1 and job["result"] == {"footprint_id": footprint_id}


def test_a_webhook_delivery_retries_on_celery_until_the_receiver_accepts(  # type: ignore[no-untyped-def]
    pg, redis_url, workers, monkeypatch
) -> None:
    """emit() with a broker configured enqueues the delivery job once the session commits; the
    receiver answers 503 then 204: the worker retries after the backoff (a countdown task) and
    the delivery succeeds on its second attempt."""
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.core.settings import get_settings
    from app.jobs.models import Job
    from app.webhooks.delivery import emit
    from app.webhooks.models import WebhookDelivery, WebhookEndpoint
    from tests.conftest import Received

    received: list[Received] = []
    server = _receiver([503, 204], received)
    organisation = _organisation_id(pg)
    monkeypatch.setenv("CELLCARBON_BROKER_URL", redis_url)
    get_settings.cache_clear()  # emit's after-commit hook reads the broker from the settings
    try:
        with session_scope(get_engine(pg)) as session:
            endpoint = WebhookEndpoint(
                organisation_id=organisation,
                url=f"http://127.0.0.1:{server.server_address[1]}/hook",
                event_types=["report.ready"],
                secret="whsec_celery",
            )
            session.add(endpoint)
            session.flush()
            (delivery_id,) = emit(session, organisation, "report.ready", {"report_id": "r-1"})
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    workers()

    def delivery() -> WebhookDelivery:
        with session_scope(get_engine(pg)) as session:
            row = session.get(WebhookDelivery, delivery_id)
            assert row is not None
            session.expunge(row)
            return row

    try:
        wait_until(lambda: delivery().status != "pending", 120, "the delivery")
    finally:
        server.shutdown()
        server.server_close()
    assert (delivery().status, delivery().attempts) == ("succeeded", 2)
    assert len(received) == 2 and received[0].body == received[1].body
    with session_scope(get_engine(pg)) as session:
        job = session.exec(select(Job).where(Job.subject_id == delivery_id)).one()
        assert (job.kind, job.status, job.attempts) == ("webhook.deliver", "succeeded", 2)


def test_a_report_job_runs_on_celery(pg, redis_url, workers) -> None:  # type: ignore[no-untyped-def]
    """The worker renders the CSV report and stores it: the bytes are the report rendered here."""
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_background, get_engine
    from app.jobs.queue import REPORT
    from app.jobs.workers import enqueue
    from app.reports.files import report_job_params
    from app.reports.model import FunctionalUnitChoice
    from app.reports.models import ReportFile
    from app.reports.service import render

    _, footprint_id = _bom_and_footprint(pg)
    params = report_job_params("report", "csv", FunctionalUnitChoice())
    job_id = _job(pg, REPORT, footprint_id, params)
    enqueue(job_id, _with_broker(pg, redis_url))
    workers()
    wait_until(
        lambda: _read(pg, job_id)["status"] in ("succeeded", "failed"), 120, "the report job"
    )
    job = _read(pg, job_id)
    assert job["status"] == "succeeded", job["error"]
    with session_scope(get_engine(pg)) as session:
        stored = session.get(ReportFile, uuid.UUID(params["report_id"]))
        assert stored is not None
        expected = render(
            OrgRepository(session, _organisation_id(pg)),
            footprint_id,
            "report",
            "csv",
            FunctionalUnitChoice(),
            get_background(pg),
            pg.data_dir,
        )
        assert stored.content == expected
        assert job["result"]["sha256"] == stored.sha256 and job["result"]["size"] == len(expected)


def _receiver(statuses: list[int], received: list[Any]):  # type: ignore[no-untyped-def]
    """A loopback HTTP server answering each POST with the next status (the last repeats)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.conftest import Received

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(Received(dict(self.headers.items()), body))
            self.send_response(statuses[min(len(received), len(statuses)) - 1])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_concurrent_claims_in_one_process(pg) -> None:  # type: ignore[no-untyped-def]
    """Without Celery: eight threads call run_job on one job; exactly one runs it."""
    from app.core.runtime import get_background, get_engine
    from app.jobs.queue import FOOTPRINT, run_job

    bom_id, _ = _bom_and_footprint(pg)
    job_id = _job(pg, FOOTPRINT, bom_id, {"footprint_id": str(uuid.uuid4()), "request": None})
    outcomes: list[bool] = []
    barrier = threading.Barrier(8)

    def go() -> None:
        barrier.wait()
        outcomes.append(run_job(job_id, engine=get_engine(pg), background=get_background(pg)))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 7 + [True]
    assert _read(pg, job_id)["attempts"] == 1


def test_killed_api_server_leaves_whole_boms_or_none(pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_organisation

    token = make_organisation(pg, f"killed server {uuid.uuid4().hex[:6]}")
    server, base = _start_server(pg)
    try:
        wait_until(lambda: _ready(base), 60, "the server")
        # 960 lines: a transaction worth killing; a name of its own to find its rows afterwards.
        big = dict(EXAMPLE, name=f"killed server {uuid.uuid4().hex}", lines=EXAMPLE["lines"] * 60)
        done: list[int] = []

        def post() -> None:
            try:
                with httpx.Client(
                    base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
                ) as http:
                    for _ in range(20):
                        response = http.post("/v1/boms", json=big)
                        assert response.status_code == 201, response.text
                        done.append(response.status_code)
            except httpx.HTTPError:
                pass  # the server died under us: expected

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(done) >= 3, 60, "some BOMs to be stored")
        os.killpg(server.pid, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=20)
    counts = _line_counts(pg, big["name"])
    assert len(counts) >= 3
    assert all(count == 960 for count in counts), counts  # whole, or not there at all


def _start_server(pg, log: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:  # type: ignore[no-untyped-def]
    """`cellcarbon serve` on a free loopback port, in its own process group, on ``pg``; its
    JSON logs go to ``log`` when given."""

    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": pg.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(pg.brightway_dir),
    }
    env.pop("BRIGHTWAY_DIR", None)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb") if log else subprocess.DEVNULL,
        start_new_session=True,
    )
    return server, f"http://127.0.0.1:{port}"


def _line_counts(pg, name: str) -> list[int]:  # type: ignore[no-untyped-def]
    """The number of stored lines of every BOM called ``name``."""
    from app.core.db import session_scope
    from app.core.runtime import get_engine

    with session_scope(get_engine(pg)) as session:
        rows = session.execute(
            text(
                "SELECT b.id, count(l.id) FROM bom b LEFT JOIN bom_line l ON l.bom_id = b.id "
                "WHERE b.name = :name GROUP BY b.id"
            ),
            {"name": name},
        ).all()
    return [int(count) for _, count in rows]


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_sigterm_lets_a_worker_finish_its_running_job(pg, redis_url, workers) -> None:  # type: ignore[no-untyped-def]
    """Warm shutdown: the job in progress runs to its end; the worker then exits by itself."""
    from app.jobs.queue import UNCERTAINTY
    from app.jobs.workers import enqueue

    _, footprint_id = _bom_and_footprint(pg)
    params = {"iterations": 20000, "seed": 3, "background": True, "foreground_gsd": None}
    job_id = _job(pg, UNCERTAINTY, footprint_id, params)
    enqueue(job_id, _with_broker(pg, redis_url))
    worker = workers()
    wait_until(lambda: _read(pg, job_id)["progress"] > 0, 120, "the worker to start the job")
    health = subprocess.run(
        [sys.executable, "-m", "app.cli", "worker-health"],
        cwd=ROOT,
        env={
            **os.environ,
            "CELLCARBON_BROKER_URL": redis_url,
            "CELLCARBON_DATABASE_URL": pg.database_url,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert health.returncode == 0 and health.stdout.strip().endswith("ok"), health.stderr
    worker.send_signal(signal.SIGTERM)  # to the worker's main process, as an orchestrator does
    assert worker.wait(timeout=120) == 0
    job = _read(pg, job_id)
    assert job["status"] == "succeeded" and job["attempts"] == 1, job


def test_sigterm_lets_the_api_finish_requests_in_flight(pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Requests already being handled get their answer and are stored; the server then exits.

    A request whose bytes had not been read when the signal came (the machine busy) is refused
    with its connection closed, as uvicorn closes connections without a request in progress:
    the server never started it (no access-log line) and stored nothing of it. Every request the
    server did start must be answered and stored whole.
    """
    from tests.conftest import make_organisation

    token = make_organisation(pg, f"graceful {uuid.uuid4().hex[:6]}")
    log = tmp_path / "server.log"
    server, base = _start_server(pg, log)
    big = dict(EXAMPLE, name=f"graceful {uuid.uuid4().hex}", lines=EXAMPLE["lines"] * 60)
    answers: list[int] = []
    try:
        wait_until(lambda: _ready(base), 60, "the server")
        clients = [
            httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"})
            for _ in range(4)
        ]
        for client in clients:
            assert (
                client.get("/v1/boms", params={"limit": 1}).status_code == 200
            )  # connections open

        answered: dict[str, int] = {}

        def post(client: httpx.Client, request_id: str) -> None:
            try:
                status = client.post(
                    "/v1/boms", json=big, headers={"X-Request-ID": request_id}
                ).status_code
            except httpx.HTTPError as exc:
                status = -1 if isinstance(exc, httpx.ConnectError) else -2
            answers.append(status)
            answered[request_id] = status

        threads = [
            threading.Thread(target=post, args=(c, f"graceful-{n}")) for n, c in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.05)
        server.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(timeout=60)
        # uvicorn shuts down gracefully, then re-raises the signal it caught (exit status -15).
        assert server.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=20)
    counts = _line_counts(pg, big["name"])
    started = {
        entry["request_id"]: entry["status"]
        for entry in (json.loads(x) for x in log.read_text().splitlines() if x.startswith("{"))
        if entry.get("logger") == "cellcarbon.access" and entry["request_id"] in answered
    }
    # Every request the server started was answered, with the status it logged: none cut off.
    assert started and all(answered[rid] == status for rid, status in started.items())
    assert all(answered[rid] == -2 for rid in answered.keys() - started.keys()), answered
    assert answers.count(201) >= 1 and answers.count(201) == len(counts), (answers, counts)
    assert all(count == 960 for count in counts)


def test_another_organisations_job_is_not_stuck_behind_a_flood_on_celery(  # type: ignore[no-untyped-def]
    pg, redis_url, workers
) -> None:
    """Twelve footprint jobs of one organisation are queued on the broker, then one of another
    organisation; one worker, one job at a time. First come, first served ran the other
    organisation's job last; with fair turns the flood's queued jobs yield while it waits, so
    at most two of the flood's jobs start before it."""
    from app.boms.schemas import BomCreate
    from app.boms.service import create_bom
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_background, get_engine
    from app.jobs.models import Job
    from app.jobs.queue import FOOTPRINT, create_job
    from app.jobs.submit import submit_job
    from tests.conftest import make_organisation

    flood_bom, _ = _bom_and_footprint(pg)
    flood = [
        _job(pg, FOOTPRINT, flood_bom, {"footprint_id": str(uuid.uuid4()), "actor": "test"})
        for _ in range(12)
    ]
    token = make_organisation(pg, f"fair {uuid.uuid4().hex[:6]}")
    from app.access.models import ApiKey

    with session_scope(get_engine(pg)) as session:
        other = session.exec(
            select(ApiKey.organisation_id).where(ApiKey.prefix == token.split("_")[1])
        ).one()
        repo = OrgRepository(session, other)
        bom = create_bom(repo, BomCreate.model_validate(EXAMPLE), get_background(pg))
        single = create_job(
            repo, FOOTPRINT, bom.id, {"footprint_id": str(uuid.uuid4()), "actor": "test"}
        ).id
    broker = _with_broker(pg, redis_url)
    for job_id in [*flood, single]:
        submit_job(job_id, broker)
    workers()
    wait_until(
        lambda: _read(pg, single)["status"] == "succeeded", 120, "the other organisation's job"
    )
    with session_scope(get_engine(pg)) as session:
        started = session.exec(select(Job.started_at).where(Job.id == single)).one()
        before = session.exec(
            select(func.count()).where(col(Job.id).in_(flood), col(Job.started_at) < started)
        ).one()
    assert before <= 2, before
