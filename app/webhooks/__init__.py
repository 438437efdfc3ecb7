"""Webhooks: organisations register URLs for events; deliveries are signed, retried and logged.

Other modules announce events with :func:`emit` inside their request's session.
"""

from app.webhooks.delivery import (
    EVENT_TYPES,
    FOOTPRINT_COMPLETED,
    PACT_REQUEST_FULFILLED,
    REPORT_READY,
    emit,
)

__all__ = ["EVENT_TYPES", "FOOTPRINT_COMPLETED", "PACT_REQUEST_FULFILLED", "REPORT_READY", "emit"]
