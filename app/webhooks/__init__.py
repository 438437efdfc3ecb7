"""Webhooks: organisations register URLs for events; deliveries are signed, retried and logged.

Other modules announce events with :func:`app.webhooks.delivery.emit` inside their request's
session.
"""
