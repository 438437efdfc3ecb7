"""The web interface: pages under /ui, rendered on the server from the same services as the API."""
