"""``cellcarbon background import``, run as a real subprocess against the test database."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.backgrounds.helpers import system_zip
from tests.conftest import make_organisation
from tests.servers import run_cli


def _cellcarbon(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "CELLCARBON_DATABASE_URL": settings.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(settings.brightway_dir),
        "CELLCARBON_BACKGROUNDS_DIR": str(settings.backgrounds_root),
    }
    return run_cli(*args, env=env, timeout=300)


def test_import_registers_for_the_organisation(app: Any, settings: Any, tmp_path: Path) -> None:
    name = f"cli {uuid.uuid4().hex[:8]}"
    token = make_organisation(settings, name)
    source = tmp_path / "release.zip"
    source.write_bytes(system_zip())
    run = _cellcarbon(
        settings, "background", "import", str(source), "--name", "from the CLI", "--org", name
    )
    assert run.returncode == 0, run.stderr
    assert "12 activities" in run.stdout
    background_id = run.stdout.strip().splitlines()[-1].split()[-1]
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        listed = client.get("/v1/backgrounds").json()["data"]
    assert [(b["id"], b["name"]) for b in listed] == [(background_id, "from the CLI")]


def test_a_failed_import_says_why_and_registers_nothing(
    app: Any, settings: Any, tmp_path: Path
) -> None:
    name = f"cli {uuid.uuid4().hex[:8]}"
    token = make_organisation(settings, name)
    source = tmp_path / "broken.csv"
    source.write_text("not a background\n")
    run = _cellcarbon(settings, "background", "import", str(source), "--name", "x", "--org", name)
    assert run.returncode == 1
    assert "nothing was registered" in run.stderr
    unknown = _cellcarbon(
        settings, "background", "import", str(source), "--name", "x", "--org", "?"
    )
    assert unknown.returncode == 1 and "no organisation" in unknown.stderr
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/v1/backgrounds").json()["count"] == 0
