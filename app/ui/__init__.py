"""The web interface under ``/ui``: server-rendered pages over the same services as the API."""
