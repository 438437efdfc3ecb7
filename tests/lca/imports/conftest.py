"""Fixtures: the test system built directly from data/ files, and imported from each format.

Imports share one root per test session, so biosphere3 is built once (the importer's template).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lca.imports.system import write_cellcarbon_data, write_ecospold2, zip_folder


@pytest.fixture(scope="session")
def import_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imports")


@pytest.fixture(scope="session")
def direct_background(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The system written as data/ files and built by lca.build, as the open background is."""
    from lca.background import load_background
    from lca.build import build_background

    root = tmp_path_factory.mktemp("direct")
    data = write_cellcarbon_data(root / "data")
    build_background(root / "brightway", data, progress=lambda _: None)
    return load_background(root / "brightway")


@pytest.fixture(scope="session")
def ecospold2_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ecospold2")
    return zip_folder(write_ecospold2(root / "release"), root / "release.zip")


@pytest.fixture(scope="session")
def ecospold2_import(ecospold2_zip: Path, import_root: Path):  # type: ignore[no-untyped-def]
    from lca.imports.pipeline import import_background

    progress: list[tuple[float, str]] = []
    result = import_background(
        ecospold2_zip,
        import_root,
        name="test system (ecospold2)",
        progress=lambda f, s: progress.append((f, s)),
    )
    return result, progress


@pytest.fixture(scope="session")
def jsonld_import(tmp_path_factory: pytest.TempPathFactory, import_root: Path):  # type: ignore[no-untyped-def]
    from lca.imports.pipeline import import_background
    from tests.lca.imports.system_jsonld import write_jsonld_zip

    archive = write_jsonld_zip(tmp_path_factory.mktemp("jsonld") / "package.zip")
    return import_background(archive, import_root, name="test system (openLCA)")


@pytest.fixture(scope="session")
def simapro_import(tmp_path_factory: pytest.TempPathFactory, import_root: Path):  # type: ignore[no-untyped-def]
    from lca.imports.pipeline import import_background
    from tests.lca.imports.system_simapro import write_simapro_csv

    export = write_simapro_csv(tmp_path_factory.mktemp("simapro") / "export.csv")
    return import_background(export, import_root, name="test system (SimaPro)")
