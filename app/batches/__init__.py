"""Design-space batches: thousands of variants of one BOM in one request, answered as NDJSON."""
