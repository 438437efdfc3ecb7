"""Every table of the application, imported so that ``SQLModel.metadata`` holds them all.

A leaf module: Alembic (migrations/env.py), the app factory and test fixtures that create tables
import it; nothing else does, and each slice defines its own tables in its ``models`` module.
"""

import app.access.models  # noqa: F401
import app.backgrounds.models  # noqa: F401
import app.batches.models  # noqa: F401
import app.boms.models  # noqa: F401
import app.core.audit  # noqa: F401
import app.core.idempotency  # noqa: F401
import app.footprints.models  # noqa: F401
import app.jobs.models  # noqa: F401
import app.pact.models  # noqa: F401
import app.plants.models  # noqa: F401
import app.reports.models  # noqa: F401
import app.signing.models  # noqa: F401
import app.suppliers.models  # noqa: F401
import app.ui.models  # noqa: F401
import app.webhooks.models  # noqa: F401
