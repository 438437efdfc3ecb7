"""`cellcarbon plant opcua` against a real asyncua server on loopback with a historised meter."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asyncua import Server, ua  # the optional ``plant`` extra, installed with ``dev``

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(port: int, state: dict[str, Any], ready: threading.Event, stop: threading.Event) -> None:
    """Quarter hours of 4, 5, 6 and 5 kWh on the variable ``main``, historised, until ``stop``
    (the history keeps a value when it changes, so consecutive values differ)."""

    async def run() -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/cli-test/")
        index = await server.register_namespace("urn:cellcarbon:cli-test")
        meters = await server.nodes.objects.add_object(index, "Meters")
        node = await meters.add_variable(ua.NodeId("main", index), "main", 0.0)
        await server.historize_node_data_change([node], period=None, count=0)
        async with server:
            for quarter, kwh in enumerate([4.0, 5.0, 6.0, 5.0]):
                at = START + timedelta(minutes=15 * quarter)
                await node.write_value(
                    ua.DataValue(
                        ua.Variant(kwh, ua.VariantType.Double),
                        SourceTimestamp=at,
                        ServerTimestamp=at,
                    )
                )
            state["index"] = index
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    asyncio.run(run())


def test_cellcarbon_plant_opcua_stores_the_history(settings, real_background_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """4 + 5 + 6 + 5 kWh pulled from the server: 4 intervals stored, rolled up to 20 kWh in the
    hour; a time without an offset is refused before anything is pulled."""
    from sqlmodel import select

    from app.access.keys import create_organisation
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.plants.models import MeterHourly, PlantMeter

    name = f"opcua cli {uuid.uuid4().hex[:8]}"
    with session_scope(get_engine(settings)) as session:
        create_organisation(session, name)
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": settings.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(real_background_dir),
    }

    def cellcarbon(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "plant", *args, "--organisation", name],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    document = {
        "site": "OPC UA plant",
        "grid_region": "US-SRTV",
        "time_zone": "UTC",
        "lines": [{"line_id": "L1"}],
        "meters": [{"meter_id": "main", "carrier": "electricity", "scope": "plant"}],
    }
    (tmp_path / "plant.json").write_text(json.dumps(document))
    created = cellcarbon("create", str(tmp_path / "plant.json"))
    assert created.returncode == 0, created.stderr
    plant_id = created.stdout.strip().splitlines()[-1]
    port, state = _free_port(), {}
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(target=_serve, args=(port, state, ready, stop), daemon=True)
    server.start()
    try:
        assert ready.wait(30)
        naive = cellcarbon(
            "opcua", plant_id, "--url", f"opc.tcp://127.0.0.1:{port}/cli-test/",
            "--node", f"main=ns={state['index']};s=main@kWh",
            "--from", "2026-03-02T00:00:00", "--to", "2026-03-02T02:00:00Z",
        )  # fmt: skip
        assert naive.returncode == 2 and "offset" in naive.stderr
        pulled = cellcarbon(
            "opcua", plant_id, "--url", f"opc.tcp://127.0.0.1:{port}/cli-test/",
            "--node", f"main=ns={state['index']};s=main@kWh",
            "--from", "2026-03-01T23:59:00Z", "--to", "2026-03-02T02:00:00Z",
            "--interval-s", "900",
        )  # fmt: skip
    finally:
        stop.set()
        server.join(10)
    assert pulled.returncode == 0, pulled.stderr
    assert "4 values read, 0 not good; 4 intervals stored, 0 replaced" in pulled.stdout
    with session_scope(get_engine(settings)) as session:
        hours = session.exec(
            select(MeterHourly.value).where(
                MeterHourly.meter_key.in_(
                    select(PlantMeter.meter_key).where(PlantMeter.plant_id == uuid.UUID(plant_id))
                )
            )
        ).all()
    assert list(hours) == [20.0]
