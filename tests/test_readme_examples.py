"""README.md and docs/: the outputs shown are what the application prints, the numbers shown add
up, and the shell examples run as pasted against a real server."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.readme_examples import (
    DOCUMENTS,
    blocks_in,
    generate,
    normalised,
    out_of_date,
)
from tests.servers import free_port, migrated, server_up

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PACT = (ROOT / "docs" / "pact.md").read_text()
# A value rounded to 4 decimals is within this of the exact one.
HALF_UNIT = 0.00005


def _committed() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for document in DOCUMENTS:
        blocks.update(blocks_in((ROOT / document).read_text()))
    return blocks


def _fenced(block: str, language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)\n```", block, re.DOTALL)
    assert match, f"no {language} code block in:\n{block}"
    return match.group(1)


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"\n{heading}\n")
    end = markdown.find("\n## ", start + len(heading) + 2)
    return markdown[start : end if end >= 0 else None]


def _commands(section: str) -> list[str]:
    """The shell commands of a section, in order: every line of its ``sh`` blocks and every
    ``$ `` line of its ``text`` blocks, with backslash continuations joined."""
    commands: list[str] = []
    for language, body in re.findall(r"```(sh|text)\n(.*?)\n```", section, re.DOTALL):
        lines = body.replace("\\\n", " ").splitlines()
        if language == "text":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        commands.extend(line for line in lines if line.strip())
    return commands


# --- the outputs shown are the application's ---------------------------------------------------


def test_committed_examples_are_what_the_application_prints(real_background_dir: Path) -> None:
    """Regenerate every block from a fresh database; ids and timestamps may differ."""
    generated = generate(real_background_dir)
    stale = out_of_date(generated)
    committed = _committed()
    diffs = [
        "".join(
            difflib.unified_diff(
                normalised(committed.get(name, "")).splitlines(keepends=True),
                normalised(generated.get(name, "")).splitlines(keepends=True),
                f"committed {name}",
                f"generated {name}",
            )
        )
        for name in stale
    ]
    assert not stale, (
        f"examples out of date: {', '.join(stale)}; refresh them with "
        "`python -m scripts.readme_examples --write`\n" + "\n".join(diffs)[:4000]
    )


def test_only_ids_and_timestamps_may_differ(tmp_path: Path) -> None:
    """A block differing from the generated one in an id or a timestamp is current; one
    differing in a number is out of date, and so is a generated block no document holds."""
    block = '{"id": "%s", "created_at": "%s", "kg_co2e_per_cell": %s}\n'
    committed = block % ("415100e8-449e-495a-baf0-317fbbd28134", "2026-11-27T14:42:52Z", 16.6)
    for document in DOCUMENTS:
        (tmp_path / document).parent.mkdir(exist_ok=True)
        (tmp_path / document).write_text("")
    (tmp_path / "README.md").write_text(f"<!-- example:footprint -->\n{committed}<!-- /example -->")
    rerun = block % ("c4df00be-1c4f-43bf-9c97-dd261ac0c586", "2026-12-02T09:56:08.521533Z", 16.6)
    drifted = block % ("c4df00be-1c4f-43bf-9c97-dd261ac0c586", "2026-12-02T09:56:08Z", 16.47)
    assert out_of_date({"footprint": rerun}, tmp_path) == []
    assert out_of_date({"footprint": drifted}, tmp_path) == ["footprint"]
    assert out_of_date({"footprint": rerun, "layout": "x"}, tmp_path) == ["layout"]


def test_shown_ids_agree_across_blocks() -> None:
    """The blocks come from one run: the footprint shown belongs to the BOM shown."""
    blocks = _committed()
    bom = json.loads(_fenced(blocks["bom"], "json"))
    footprint = json.loads(_fenced(blocks["footprint"], "json"))
    assert footprint["bom_id"] == bom["id"]


def test_every_example_block_is_generated_and_placed() -> None:
    names = set(_committed())
    assert names == {
        "bom",
        "footprint",
        "cradle-to-grave",
        "cli-footprint",
        "supply-chain",
        "pact-footprints",
        "layout",
    }
    assert "<!-- example:pact-footprints -->" in PACT


# --- the numbers shown add up ------------------------------------------------------------------


def test_shown_footprint_breakdowns_add_up_to_its_total() -> None:
    """Each breakdown of n values rounded to 4 decimals sums to the exact total within
    n × 0.00005, and the shown total is itself within 0.00005 of it: e.g. by_gas with 9 gases
    may miss the shown kg_co2e_per_cell by at most 10 × 0.00005 = 0.0005 (the drifted example
    this replaces summed to 16.47 against a total of 16.60). Per kWh is per cell / 0.219 kWh,
    so within 0.00005 / 0.219 + 0.00005 ≈ 0.0003 of the shown per-kWh figure."""
    footprint = json.loads(_fenced(_committed()["footprint"], "json"))
    total = footprint["kg_co2e_per_cell"]
    for breakdown in ("by_gas", "by_stage", "by_component"):
        values = footprint[breakdown].values()
        assert sum(values) == pytest.approx(total, abs=(len(values) + 1) * HALF_UNIT), breakdown
    per_kwh = total / footprint["nominal_energy_kwh"]
    assert footprint["kg_co2e_per_kwh"] == pytest.approx(per_kwh, abs=3e-4)
    shown = [entry for entry in footprint["upstream"] if isinstance(entry, dict)]
    shown += [entry for entry in footprint["lines"] if isinstance(entry, dict)]
    assert shown
    for entry in shown:
        assert entry["share"] == pytest.approx(entry["kg_co2e"] / total, abs=3e-4), entry


def test_cradle_to_grave_sentence_adds_up() -> None:
    """The footprint's four EU stages sum to its total (5 values rounded to 4 decimals:
    5 × 0.00005); per kWh nominal = total / 0.219 kWh (to 2 decimals); the declaration's figure
    per kWh delivered = its figure per cell / (0.219 kWh × 60 cycles/year × 8 years = 105.12
    kWh); when this was written, 18.1182 / 105.12 = 0.17236, shown as 0.1724. The declaration
    differs from the footprint by its electricity ruleset (a draft, and said so)."""
    sentence = " ".join(_committed()["cradle-to-grave"].split())
    match = re.search(
        r"([\d.]+) kg CO2e per cell = ([\d.]+) raw materials \+ ([\d.]+) production \+ "
        r"([\d.]+) distribution \+ ([\d.]+) end of life; ([\d.]+) kg CO2e per kWh nominal\. "
        r"Its EU declaration prices electricity under ([\w./-]+), a draft: ([\d.]+) kg CO2e per "
        r"cell, ([\d.]+) kg CO2e per kWh delivered over the service life \(([\d.]+) kWh × "
        r"([\d.]+) cycles/year × ([\d.]+) years\)",
        sentence,
    )
    assert match, sentence
    total, raw, production, distribution, end_of_life, nominal = (
        float(match.group(n)) for n in range(1, 7)
    )
    assert match.group(7) == "eu-cfb-ev-delegated-act-draft/2024-04"
    declared, delivered = float(match.group(8)), float(match.group(9))
    energy, cycles, years = (float(match.group(n)) for n in range(10, 13))
    assert raw + production + distribution + end_of_life == pytest.approx(total, abs=5 * HALF_UNIT)
    assert nominal == pytest.approx(total / energy, abs=0.005 + HALF_UNIT / energy)
    assert delivered == pytest.approx(declared / (energy * cycles * years), abs=HALF_UNIT * 2)


def _line_value(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.M)
    assert match, f"{pattern} not in:\n{text}"
    return match.group(1)


def test_command_line_table_adds_up_and_agrees_with_the_api() -> None:
    """The command's lines and components each sum to its total (rounded to 4 decimals each);
    its per-kWh figure, the API's kg_co2e_per_kwh and the supply-chain table's "background data
    only" row are one number (75.8192 → 75.82 when this was written)."""
    text = _fenced(_committed()["cli-footprint"], "text")
    total = float(_line_value(r"^total\s+([\d.]+) kg CO2e per cell$", text))
    lines = [
        float(v) for v in re.findall(r"^(?:line \d+|plant).*?\s([\d.]+)\s+[\d.]+%$", text, re.M)
    ]
    components = [
        float(v) for v in re.findall(r"^  [a-z ]+?\s+([\d.]+) kg CO2e\s+[\d.]+%$", text, re.M)
    ]
    assert len(lines) >= 10 and len(components) >= 5
    assert sum(lines) == pytest.approx(total, abs=(len(lines) + 1) * HALF_UNIT)
    assert sum(components) == pytest.approx(total, abs=(len(components) + 1) * HALF_UNIT)
    per_kwh = _line_value(r"^per kWh\s+([\d.]+) kg CO2e/kWh$", text)
    api = json.loads(_fenced(_committed()["footprint"], "json"))["kg_co2e_per_kwh"]
    assert per_kwh == f"{api:.2f}"
    chain = _fenced(_committed()["supply-chain"], "text")
    assert re.search(rf"^background data only\s+{re.escape(per_kwh)} /kWh", chain, re.M), chain


# --- links between the documents ----------------------------------------------------------------


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_anchor_of_a_heading() -> None:
    assert _anchor("Jobs and workers") == "jobs-and-workers"
    assert _anchor("CSV/XLSX BOM upload") == "csvxlsx-bom-upload"
    assert _anchor("Access, tenancy, audit, limits, logs") == "access-tenancy-audit-limits-logs"


def test_links_between_the_documents_resolve() -> None:
    """Every relative link of README.md and docs/*.md names a file that exists and, with
    ``#anchor``, a heading in it (the reference was split across files; a link left pointing
    at a moved section would otherwise go nowhere)."""
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(documents) >= 7
    broken = []
    for document in documents:
        text = re.sub(r"```.*?```", "", document.read_text(), flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (document.parent / path).resolve() if path else document
            if not linked.is_file():
                broken.append(f"{document.name}: {target} (no such file)")
            elif anchor:
                headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
                if anchor not in {_anchor(h) for h in headings}:
                    broken.append(f"{document.name}: {target} (no such heading)")
    assert broken == []


# --- the shell examples run as pasted ----------------------------------------------------------

_ASSIGNED = re.compile(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=|^for ([A-Za-z_][A-Za-z0-9_]*) in ")
_USED = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _unset_variables(commands: list[str], known: set[str]) -> list[str]:
    """``$VAR`` uses (outside single quotes, which the shell leaves alone) not set before."""
    assigned = set(known)
    problems = []
    for command in commands:
        unquoted = re.sub(r"'[^']*'", "''", command)
        for name in _USED.findall(unquoted):
            if name not in assigned:
                problems.append(f"${name} in: {command}")
        assigned.update(name for pair in _ASSIGNED.findall(unquoted) for name in pair if name)
    return problems


def test_unset_variables_are_found() -> None:
    """The check itself: $BOM_ID used before it is set is reported; awk's '$NF' is not."""
    commands = ["curl localhost:8000/v1/boms/$BOM_ID", "KEY=$(x | awk '{print $NF}')"]
    assert _unset_variables(commands, set()) == ["$BOM_ID in: curl localhost:8000/v1/boms/$BOM_ID"]


def test_try_it_sets_every_variable_before_it_uses_it() -> None:
    try_it = _commands(_section(README, "## Try it"))
    assert any(c.startswith("KEY=$(.venv/bin/cellcarbon org create") for c in try_it)
    assert _unset_variables(try_it, set()) == []
    for command in try_it:
        if "curl" in command and "/v1/" in command:
            assert '"Authorization: Bearer $KEY"' in command, command
    pact = [c for c in _commands(_section(PACT, "## Walkthrough")) if c != "make run-tls"]
    assert _unset_variables(try_it + pact, set()) == []


def test_pact_walkthrough_uses_the_organisation_of_try_it() -> None:
    organisation = re.search(r'org create "([^"]+)"', README)
    assert organisation
    names = set(re.findall(r'--organisation "([^"]+)"', PACT))
    assert names == {organisation.group(1)}


@pytest.fixture
def servers(tmp_path: Path, real_background_dir: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """``make run`` and ``make run-tls`` on one fresh database, in a scratch directory that looks
    like the repository root to the examples (``.venv``, ``data``, and ``var/tls`` of its own);
    yields it and the shell environment, with ``PORT``/``TLS_PORT`` naming the two ports."""
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    (work / "data").symlink_to(ROOT / "data")
    env = migrated(tmp_path / "cellcarbon.db", real_background_dir)
    env["PYTHONPATH"] = str(ROOT)
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run(
        [*cli, "tls", "selfsigned", "var/tls", "--host", "localhost", "--host", "127.0.0.1"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    port, tls_port = free_port(), free_port()
    tls = ["--tls-cert", "var/tls/cert.pem", "--tls-key", "var/tls/key.pem"]
    processes = [
        subprocess.Popen(
            [*cli, "serve", "--port", str(p), *extra],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p, extra in ((port, []), (tls_port, tls))
    ]
    try:
        assert server_up(f"http://127.0.0.1:{port}", timeout=90), "make run's server did not start"
        yield work, {**env, "PORT": str(port), "TLS_PORT": str(tls_port)}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def test_try_it_and_the_pact_walkthrough_run_as_pasted(
    servers: tuple[Path, dict[str, str]],
) -> None:
    """The commands of README's Try it, then of docs/pact.md's walkthrough, in one bash with
    ``set -euo pipefail``; only the two servers' ports differ from the documents."""
    work, env = servers
    try_it = _commands(_section(README, "## Try it"))
    pact = [c for c in _commands(_section(PACT, "## Walkthrough")) if c != "make run-tls"]
    script = "\n".join(["set -euo pipefail", *try_it, *pact])
    script = script.replace("localhost:8000", f"127.0.0.1:{env['PORT']}")
    script = script.replace("127.0.0.1:8443", f"127.0.0.1:{env['TLS_PORT']}")
    ran = subprocess.run(
        ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert ran.returncode == 0, f"exit {ran.returncode}\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
    for name in ("report.pdf", "declaration.pdf", "comparison.pdf"):
        assert (work / name).read_bytes().startswith(b"%PDF"), name
    assert (work / "report.xlsx").read_bytes().startswith(b"PK")
    published = json.loads(ran.stdout[ran.stdout.rindex('{\n    "data"') :])
    assert [pf["status"] for pf in published["data"]] == ["Active"]
    assert published["data"][0]["companyName"] == "Example Cells"
    assert "with supplier data" in ran.stdout and "per kWh" in ran.stdout
