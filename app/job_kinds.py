"""Every slice whose jobs the queue runs, imported so each registers its kinds.

A leaf module: the API (app.main) and the worker command (app.cli) import it, nothing else does;
the queue itself knows no slice (see app.jobs.queue.register_job_kind).
"""

import app.backgrounds.jobs  # noqa: F401
import app.footprints.jobs  # noqa: F401
import app.pact.delivery  # noqa: F401
import app.plants.jobs  # noqa: F401
import app.reports.files  # noqa: F401
import app.webhooks.delivery  # noqa: F401
