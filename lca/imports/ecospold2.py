"""Read an ecospold2 release (a folder of ``.spold`` files) with bw2io's strategies.

bw2io's ``SingleOutputEcospold2Importer`` does the linking. Two things are done differently:

* extraction runs file by file here, so every malformed file is reported (bw2io stops at the
  first) and progress can be shown;
* the strategies that silently purge exchanges that cannot be linked
  (``delete_exchanges_missing_activity``, ``delete_ghost_exchanges``) run after a check that
  records each of them as a problem: a dangling input is a hole in the inventory, and the caller
  decides whether to accept it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lca.imports.report import (
    EMPTY,
    MALFORMED,
    UNLINKED_EXCHANGE,
    Problem,
    Progress,
    no_progress,
)
from lca.imports.staging import ReadResult

FORMAT = "ecospold2"


def find_dataset_folder(root: Path) -> Path | None:
    """The folder holding the ``.spold`` files (an ecoinvent release keeps them in datasets/)."""
    best: tuple[int, str] | None = None
    for folder, _, files in os.walk(root):
        count = sum(1 for f in files if f.lower().endswith(".spold"))
        if count and (best is None or count > best[0]):
            best = (count, folder)
    return Path(best[1]) if best else None


def read_ecospold2(
    root: Path, db_name: str, biosphere: str, progress: Progress = no_progress
) -> ReadResult:
    """Extract and link every dataset under ``root``; nothing is written to Brightway."""
    from bw2io.extractors.ecospold2 import Ecospold2DataExtractor
    from bw2io.importers.ecospold2 import SingleOutputEcospold2Importer
    from lxml import etree

    folder = find_dataset_folder(root)
    if folder is None:
        return ReadResult(FORMAT, [], [Problem(EMPTY, root.name, "no .spold files found")])
    filenames = sorted(f for f in os.listdir(folder) if f.lower().endswith(".spold"))
    problems: list[Problem] = []
    datasets: list[dict[str, Any]] = []
    step = max(1, len(filenames) // 100)
    for number, filename in enumerate(filenames):
        if _declares_doctype(folder / filename):
            problems.append(
                Problem(
                    MALFORMED,
                    filename,
                    "declares a document type (<!DOCTYPE>); ecospold2 datasets have none, and "
                    "entities in one could read local files or expand without bound",
                )
            )
            continue
        try:
            datasets.append(Ecospold2DataExtractor.extract_activity(folder, filename, db_name))
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(MALFORMED, filename, f"not well-formed XML: {exc}"))
        except (AttributeError, KeyError, ValueError, TypeError) as exc:
            # lxml.objectify raises AttributeError for a missing element.
            problems.append(Problem(MALFORMED, filename, f"not an ecospold2 dataset: {exc!r}"))
        if number % step == 0:
            progress(number / len(filenames), "extracting ecospold2 datasets")
    if problems:
        return ReadResult(FORMAT, datasets, problems)

    class _Extracted:
        """Hands bw2io the datasets extracted above."""

        @classmethod
        def extract(cls, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            return datasets

    master_data = folder.parent / "MasterData" / "IntermediateExchanges.xml"
    with_master_data = master_data.is_file() and not _declares_doctype(
        master_data, b"<validIntermediateExchanges"
    )
    importer = SingleOutputEcospold2Importer(
        str(folder),
        db_name,
        biosphere_database_name=biosphere,
        extractor=_Extracted,
        use_mp=False,
        add_product_information=with_master_data,
    )
    strategies = []
    for strategy in importer.strategies:
        name = getattr(
            strategy, "__name__", getattr(getattr(strategy, "func", None), "__name__", "")
        )
        if name == "delete_exchanges_missing_activity":
            strategies.append(_record_unlinked(problems))
        strategies.append(strategy)
    progress(1.0, "linking with bw2io strategies")
    importer.apply_strategies(strategies, verbose=False)
    return ReadResult(FORMAT, importer.data, problems)


def _declares_doctype(path: Path, root_tag: bytes = b"<ecoSpold") -> bool:
    """Whether a DOCTYPE or ENTITY declaration comes before the root element (bw2io parses with
    lxml's defaults). Reads on until the root element, however long the prolog is padded."""
    seen = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            seen = seen[-16:] + chunk  # a marker may straddle two chunks
            root = seen.find(root_tag)
            prolog = seen if root < 0 else seen[:root]
            if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                return True
            if root >= 0:
                return False
    return False


def _record_unlinked(problems: list[Problem]) -> Any:
    def record_unlinked_exchanges(db: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for ds in db:
            for exc in ds.get("exchanges", []):
                if exc.get("input"):
                    continue
                if exc.get("type") == "biosphere":
                    detail = (
                        f"elementary flow {exc.get('flow')} ({exc.get('name')}) is not in "
                        "the biosphere"
                    )
                else:
                    detail = (
                        f"{exc.get('type')} input '{exc.get('name')}' names activity "
                        f"{exc.get('activity') or '(none)'}, which is not in the release"
                    )
                problems.append(
                    Problem(UNLINKED_EXCHANGE, ds.get("filename", ds.get("name", "?")), detail)
                )
        return db

    return record_unlinked_exchanges
