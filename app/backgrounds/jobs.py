"""The import job: an uploaded source imported by lca.imports, then registered.

The upload is kept in ``<backgrounds_root>/uploads/<key>/`` (the job's ``subject_id``) until the
job has an outcome, so a run after a crash imports it again (the import reuses a finished
version: same content hash).
A failed import registers nothing; the failed job's result lists every problem found.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from typing import Any

from app.backgrounds.service import register
from app.backgrounds.uploads import upload_directory
from app.core.db import session_scope
from app.core.repository import OrgRepository
from app.jobs.queue import BACKGROUND_IMPORT, JobContext, JobFailed, register_job_kind
from lca.imports.pipeline import ImportOptions, import_background
from lca.imports.report import ImportFailed, ImportReport

# Progress is reported to the job in thousandths.
_STEPS = 1000
# Problems (and warnings) kept in a job's result; the counts say how many there were in all.
# A broken ecoinvent release can have tens of thousands; the first thousand show the pattern.
MAX_LISTED = 1000


def report_result(report: ImportReport) -> dict[str, Any]:
    """An import report as a job result: the problems that stopped it, and the warnings."""
    return {
        "source_format": report.source_format,
        "problem_count": len(report.errors),
        "problems": [asdict(p) for p in report.errors[:MAX_LISTED]],
        "warning_count": len(report.warnings),
        "warnings": [asdict(p) for p in report.warnings[:MAX_LISTED]],
    }


def run_import(context: JobContext) -> dict[str, Any]:
    params = context.params
    settings = context.settings
    upload = upload_directory(settings, params["upload"]) / params["file"]

    def progress(fraction: float, stage: str) -> None:
        context.progress(min(int(fraction * _STEPS), _STEPS - 1), _STEPS)

    try:
        result = import_background(
            upload,
            settings.backgrounds_root,
            name=params["name"],
            data_dir=settings.data_dir,
            options=ImportOptions(allow_unlinked=bool(params.get("allow_unlinked"))),
            progress=progress,
        )
    except ImportFailed as failed:
        shutil.rmtree(upload.parent, ignore_errors=True)
        raise JobFailed(str(failed), report_result(failed.report)) from None
    except Exception:
        if context.final_attempt:  # no run will read the upload again
            shutil.rmtree(upload.parent, ignore_errors=True)
        raise
    with session_scope(context.engine) as session:
        repo = OrgRepository(session, context.organisation_id, params.get("actor", "job"))
        row = register(repo, result.descriptor, int(params["size_bytes"]))
        background_id = str(row.id)
    shutil.rmtree(upload.parent, ignore_errors=True)
    context.progress(_STEPS, _STEPS)
    return {
        "background_id": background_id,
        "version": result.descriptor.version,
        "reused": result.reused,
        **report_result(result.report),
    }


register_job_kind(BACKGROUND_IMPORT, run_import, max_attempts=lambda _: 2)
