"""Settings, database, errors, observability, middleware: what every slice uses."""
