"""HTTP load benchmark and soak test of the service on PostgreSQL, driven by wrk on loopback.

``python -m benchmarks.bench_http --duration 60`` (``make bench-http``):

1. creates a fresh PostgreSQL database (next to ``CELLCARBON_BENCH_POSTGRES_URL``, default the
   local server's ``test`` database, as tests/conftest.py does), migrates it, builds the shipped
   background into ./var/brightway if needed and creates an organisation with
   ``cellcarbon org create`` (its printed admin key authorises the load);
2. starts ``cellcarbon serve --workers 2`` on a free loopback port, posts the example BOMs and
   warms both workers up;
3. runs wrk (benchmarks/wrk_load.lua) for ``--duration`` seconds per phase: ``footprints``
   (``POST /v1/boms/{id}/footprints`` round-robin over the pre-created BOMs; the phase the
   targets apply to) and ``mixed`` (a new BOM posted every ``--bom-every``-th request, footprints
   otherwise); the server keeps its computations, so a footprint of a BOM it has computed
   before is stored without computing it again (``--compute-each``: every one is computed);
4. reports throughput, latency percentiles, errors (non-2xx and socket errors) and the server's
   RSS (summed over the uvicorn processes, from /proc) before and after, next to the targets;
5. stops the server and drops the database, also when anything above fails.

``--soak`` (``make soak``) instead runs the mixed load for ``--duration`` seconds (600 in the
Makefile), samples the server RSS every ``--sample-interval`` seconds and fails when, after the
warm-up (``--warmup`` seconds), memory grows by more than ``--max-growth-percent`` of the
post-warm-up value. Exit status: 1 on any request error, a server that does not start, or (soak)
memory growth beyond the threshold; missed latency/throughput targets are reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "wrk_load.lua"
EXAMPLES = sorted((ROOT / "data" / "examples").glob("*.json"))
CELLCARBON = Path(sys.executable).with_name("cellcarbon")
ADMIN_URL = os.environ.get(
    "CELLCARBON_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# Targets from issue 8, printed next to the measured figures.
TARGET_P50_MS = 15.0
TARGET_FOOTPRINTS_PER_S = 300.0
SERVER_START_TIMEOUT_S = 120.0
# The bare endpoint whose CPU per request is the floor a footprint request is compared with.
FLOOR_PATH = "/health/live"
TARGET_CPU_RATIO = 3.0
# Throughput over time is reported in slices of this many seconds.
SLICE_S = 10
# wrk gets this much longer than its own duration before it is killed as hung.
WRK_GRACE_S = 30.0


@dataclass
class LoadResult:
    phase: str
    requests: int
    duration_s: float
    non_2xx: int
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]
    sent: dict[str, int]
    first_failure: str
    rss_before_mib: float = 0.0
    rss_after_mib: float = 0.0
    rss_series: list[tuple[float, float]] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


# --- database and server lifecycle ------------------------------------------------------------


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped on exit whatever happened."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cellcarbon_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        print(f"dropped database {name}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [str(CELLCARBON), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if completed.returncode != 0:
        raise RuntimeError(f"cellcarbon {' '.join(args)} failed:\n{completed.stderr[-2000:]}")
    return completed.stdout


def prepare(env: dict[str, str]) -> str:
    """Build the background, migrate, create the organisation; return its admin API key."""
    run_cli(env, "background", "build")
    run_cli(env, "db", "upgrade")
    output = run_cli(env, "org", "create", f"bench {uuid.uuid4().hex[:8]}")
    match = re.search(r"admin API key \(shown once\): (\S+)", output)
    if match is None:
        raise RuntimeError(f"no admin key in `cellcarbon org create` output:\n{output}")
    return match.group(1)


def brightway_dir() -> Path:
    """Where the measured service reads its background: the shipped one, built into
    ./var/brightway (or ``CELLCARBON_BRIGHTWAY_DIR``)."""
    return (ROOT / os.environ.get("CELLCARBON_BRIGHTWAY_DIR", "var/brightway")).resolve()


def service_env(database_url: str, *, sweeper: bool = False) -> dict[str, str]:
    """Settings of a measured service: this database, the background of :func:`brightway_dir`,
    the per-key rate limit out of the way (the load comes from one key) and, unless ``sweeper``,
    no job sweeper waking up during the measurement."""
    env = {
        "CELLCARBON_DATABASE_URL": database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(brightway_dir()),
        "BRIGHTWAY_DIR": str(brightway_dir()),
        "CELLCARBON_RATE_LIMIT_PER_MINUTE": str(10**9),
    }
    if not sweeper:
        env["CELLCARBON_JOB_SWEEP_INTERVAL_S"] = "0"
    return env


@contextmanager
def running_server(
    env: dict[str, str], port: int, log_path: Path, command: list[str] | None = None
) -> Iterator[int]:
    """``command`` (default ``cellcarbon serve --workers 2`` on ``port``) in its own process
    group, until it answers ``/health/ready``; SIGTERM then SIGKILL on exit."""
    if command is None:
        command = [str(CELLCARBON), "serve", "--workers", "2", "--host", "127.0.0.1"]
        command += ["--port", str(port)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the workers are stopped with it
        )
        try:
            wait_ready(port, server, log_path)
            yield server.pid
        finally:
            stop_process_group(server)


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=40)  # the server's graceful shutdown allows 30 s
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_ready(port: int, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited ({server.returncode}):\n{log_tail(log_path)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"server not ready after {SERVER_START_TIMEOUT_S:.0f} s:\n{log_tail(log_path)}"
    )


def log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


# --- memory from /proc -------------------------------------------------------------------------


def process_tree(root_pid: int) -> list[int]:
    """The root and all its descendants (uvicorn's supervisor, workers and helpers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process exited meanwhile
        # The command name may contain spaces and parentheses: the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def cpu_s(root_pid: int) -> float:
    """User + system CPU seconds of the server's process tree so far (/proc/<pid>/stat)."""
    total = 0
    for pid in process_tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk_counts(
    port: int,
    path: str,
    duration_s: int,
    connections: int,
    threads: int,
    script: Path | None = None,
) -> tuple[int, int]:
    """wrk on one path of the server (``script``: a Lua file setting the method and headers);
    (requests, non-2xx)."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration_s}s",
    ]
    if script is not None:
        command.append(f"--script={script}")
    completed = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        timeout=duration_s + WRK_GRACE_S,
    )
    match = re.search(r"(\d+) requests in", completed.stdout)
    if completed.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}")
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", completed.stdout)
    return int(match.group(1)), int(failed.group(1)) if failed else 0


def run_floor(port: int, duration_s: int, connections: int, threads: int) -> tuple[int, int]:
    """wrk on ``GET /health/live`` (no key, no database: the middleware and the router, the
    floor every request pays); (requests, non-2xx)."""
    return wrk_counts(port, FLOOR_PATH, duration_s, connections, threads)


def rss_mib(root_pid: int) -> float:
    """Resident memory of the server's process tree, from /proc/<pid>/status VmRSS."""
    total_kib = 0
    for pid in process_tree(root_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total_kib += int(match.group(1)) if match else 0
    return total_kib / 1024


# --- load ------------------------------------------------------------------------------------


def create_boms(port: int, api_key: str, copies: int) -> list[str]:
    """Post every example BOM ``copies`` times and compute one footprint of each (warm-up)."""
    ids = []
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
        for _ in range(copies):
            for example in EXAMPLES:
                response = client.post(
                    "/v1/boms",
                    content=example.read_bytes(),
                    headers={"Content-Type": "application/json"},
                )
                response.raise_for_status()
                bom_id = response.json()["id"]
                footprint = client.post(f"/v1/boms/{bom_id}/footprints")
                if footprint.status_code != 201:
                    raise RuntimeError(
                        f"warm-up footprint: {footprint.status_code} {footprint.text}"
                    )
                ids.append(bom_id)
    return ids


def run_wrk(
    port: int,
    api_key: str,
    ids_file: Path,
    phase: str,
    duration_s: int,
    bom_every: int,
    connections: int,
    threads: int,
) -> LoadResult:
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration_s}s",
        "--timeout=10s",
        f"--script={LUA_SCRIPT}",
        f"http://127.0.0.1:{port}",
        "--",
        str(ids_file),
        api_key,
        str(bom_every),
        *map(str, EXAMPLES),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + WRK_GRACE_S
    )
    line = next((x for x in completed.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        phase=phase,
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        non_2xx=data["non_2xx"],
        socket_errors=data["socket_errors"],
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
        sent=data["sent"],
        first_failure=data["first_failure"],
    )


def sample_rss(
    pid: int, interval_s: float, stop: threading.Event, series: list[tuple[float, float]]
) -> None:
    start = time.monotonic()
    series.append((0.0, rss_mib(pid)))
    while not stop.wait(interval_s):
        series.append((time.monotonic() - start, rss_mib(pid)))


# --- report ------------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(result: LoadResult, targets: bool, connections: int, threads: int) -> None:
    lat = result.latency_ms
    print(
        f"\n== {result.phase}: {result.duration_s:.1f} s, wrk {threads} threads / "
        f"{connections} connections =="
    )
    print(
        f"requests           {result.requests} (footprints {result.sent['footprints']}, "
        f"BOM posts {result.sent['boms']})"
    )
    line = f"throughput         {result.throughput:.1f} req/s"
    if targets:
        ok = result.throughput >= TARGET_FOOTPRINTS_PER_S
        line += f"   target ≥ {TARGET_FOOTPRINTS_PER_S:.0f} req/s: {mark(ok)}"
    print(line)
    line = (
        f"latency            p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, "
        f"p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms"
    )
    if targets:
        line += f"   target p50 < {TARGET_P50_MS:.0f} ms: {mark(lat['p50'] < TARGET_P50_MS)}"
    print(line)
    sockets = ", ".join(f"{k} {v}" for k, v in result.socket_errors.items())
    print(
        f"errors             {result.errors} (non-2xx {result.non_2xx}; socket: {sockets})"
        f"   target 0: {mark(result.errors == 0)}"
    )
    if result.first_failure:
        print(f"first failure      {result.first_failure}")
    print(
        f"server RSS         {result.rss_before_mib:.0f} MiB before, "
        f"{result.rss_after_mib:.0f} MiB after (sum over the uvicorn processes)"
    )


def slices_from_access_log(
    log_path: Path, start: float, end: float, slice_s: int
) -> list[tuple[int, int, float]]:
    """(slice start s, requests, server-side median ms) per ``slice_s`` of one phase, from the
    server's JSON access log: shows whether throughput or service time drifts during a run."""
    buckets: dict[int, list[float]] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if '"cellcarbon.access"' not in line:
            continue
        try:
            entry = json.loads(line)
            at = datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
        except (ValueError, KeyError):
            continue
        if start <= at < end and entry.get("route") != "/health/ready":
            buckets.setdefault(int((at - start) // slice_s), []).append(entry["duration_ms"])
    whole = int((end - start) // slice_s)  # a partial last slice would read low
    return [
        (index * slice_s, len(ms), statistics.median(ms))
        for index, ms in sorted(buckets.items())
        if index < whole
    ]


def report_slices(slices: list[tuple[int, int, float]], slice_s: int) -> None:
    print(f"per {slice_s} s (from the server's access log; s since phase start):")
    for at, count, median_ms in slices:
        print(f"  {at:5d}  {count / slice_s:7.1f} req/s   server p50 {median_ms:6.1f} ms")


def check_soak(series: list[tuple[float, float]], warmup_s: float, max_growth: float) -> bool:
    print("\nRSS series (s since load start, MiB):")
    for at, mib in series:
        print(f"  {at:6.0f}  {mib:8.1f}")
    after_warmup = [(at, mib) for at, mib in series if at >= warmup_s]
    if len(after_warmup) < 2:
        print(f"soak: too few samples after the {warmup_s:.0f} s warm-up to judge")
        return False
    baseline, final = after_warmup[0][1], after_warmup[-1][1]
    growth = 100 * (final - baseline) / baseline
    ok = growth <= max_growth
    print(
        f"soak: RSS {baseline:.1f} MiB at {after_warmup[0][0]:.0f} s → {final:.1f} MiB at "
        f"{after_warmup[-1][0]:.0f} s: {growth:+.1f} % (threshold +{max_growth:.0f} %): "
        f"{'flat' if ok else 'GROWING'}"
    )
    return ok


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per phase")
    parser.add_argument(
        "--connections",
        type=int,
        default=4,
        help="wrk connections (closed loop: latency ≈ connections / throughput)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--bom-every", type=int, default=4, help="mixed load: every Nth request posts a new BOM"
    )
    parser.add_argument(
        "--copies",
        type=int,
        default=5,
        help="pre-created BOMs per example, round-robined by the footprint load",
    )
    parser.add_argument(
        "--soak",
        action="store_true",
        help="one long mixed phase with RSS sampling; fail if memory grows",
    )
    parser.add_argument(
        "--compute-each",
        action="store_true",
        help="the server keeps no computations (CELLCARBON_FOOTPRINT_COMPUTATIONS_KEPT=0): every "
        "footprint of the round-robined BOMs is computed, not only the first of each",
    )
    parser.add_argument("--sample-interval", type=float, default=30.0, help="soak: RSS period, s")
    parser.add_argument(
        "--warmup",
        type=float,
        default=60.0,
        help="soak: seconds of load before the memory baseline is taken",
    )
    parser.add_argument(
        "--max-growth-percent",
        type=float,
        default=10.0,
        help="soak: allowed RSS growth after the warm-up",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 3600:
        parser.error("--duration must be 1–3600 s")
    if not 1 <= args.threads <= args.connections <= 256:
        parser.error("need 1 ≤ --threads ≤ --connections ≤ 256")
    if args.soak and args.duration <= args.warmup + args.sample_interval:
        parser.error("--soak needs --duration > --warmup + --sample-interval")
    # SIGTERM (a CI timeout, an interrupted make) unwinds like Ctrl-C: server stopped, DB dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        print("wrk not found: `apt-get install -y wrk` (make bench-http does it)", file=sys.stderr)
        return 2

    ok = True
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_http_")))
        # The sweeper runs, as in the served service: its load is part of what is measured.
        env = {**os.environ, **service_env(database_url, sweeper=True)}
        if args.compute_each:
            env["CELLCARBON_FOOTPRINT_COMPUTATIONS_KEPT"] = "0"
        env.pop("CELLCARBON_BROKER_URL", None)  # footprints are computed in the request
        api_key = prepare(env)
        port = free_port()
        pid = stack.enter_context(running_server(env, port, workdir / "server.log"))
        ids = create_boms(port, api_key, args.copies)
        ids_file = workdir / "bom_ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        print(
            f"server pid {pid} on 127.0.0.1:{port}, {len(ids)} BOMs; processes {process_tree(pid)}"
        )
        kept = "none kept: each computed" if args.compute_each else "kept: repeats reuse them"
        print(f"footprint computations {kept} (CELLCARBON_FOOTPRINT_COMPUTATIONS_KEPT)")
        # Warm-up: every worker loads its background and fills its connection pool.
        run_wrk(
            port, api_key, ids_file, "warm-up", 5, args.bom_every, args.connections, args.threads
        )

        phases = (
            [("mixed", args.bom_every)]
            if args.soak
            else [("footprints", 0), ("mixed", args.bom_every)]
        )
        phase_cpu_ms: dict[str, float] = {}
        for phase, bom_every in phases:
            before = rss_mib(pid)
            series: list[tuple[float, float]] = []
            stop = threading.Event()
            sampler = threading.Thread(
                target=sample_rss, args=(pid, args.sample_interval, stop, series), daemon=True
            )
            sampler.start()
            phase_start = time.time()
            cpu_before = cpu_s(pid)
            try:
                result = run_wrk(
                    port,
                    api_key,
                    ids_file,
                    phase,
                    args.duration,
                    bom_every,
                    args.connections,
                    args.threads,
                )
            finally:
                stop.set()
                sampler.join()
            result.rss_before_mib, result.rss_after_mib = before, rss_mib(pid)
            phase_cpu_ms[phase] = 1000 * (cpu_s(pid) - cpu_before) / max(result.requests, 1)
            series.append((float(args.duration), result.rss_after_mib))
            report(
                result,
                targets=phase == "footprints",
                connections=args.connections,
                threads=args.threads,
            )
            # Whole seconds in the log: skip the partial first second of the phase.
            slices = slices_from_access_log(
                workdir / "server.log", float(int(phase_start) + 1), time.time(), SLICE_S
            )
            report_slices(slices, SLICE_S)
            ok = ok and result.errors == 0
            if args.soak:
                ok = check_soak(series, args.warmup, args.max_growth_percent) and ok
        if not args.soak:
            # The floor on the same server: CPU per request of a bare endpoint beside a footprint.
            cpu_before = cpu_s(pid)
            requests, failed = run_floor(port, args.duration, args.connections, args.threads)
            floor_ms = 1000 * (cpu_s(pid) - cpu_before) / max(requests, 1)
            footprint_ms = phase_cpu_ms["footprints"]
            ratio = footprint_ms / floor_ms
            print("\n== server CPU per request (uvicorn processes, from /proc) ==")
            print(f"POST /v1/boms/{{id}}/footprints  {footprint_ms:6.2f} ms")
            print(f"GET {FLOOR_PATH} (floor)       {floor_ms:6.2f} ms  ({requests} requests)")
            print(
                f"ratio                          {ratio:6.1f}×  target ≤ {TARGET_CPU_RATIO:.0f}× — "
                f"{'met' if ratio <= TARGET_CPU_RATIO else 'missed'}"
            )
            ok = ok and failed == 0
    print("\nresult:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
