"""PACT (WBCSD Partnership for Carbon Transparency) Technical Specification v3: host API, events
and a client that pulls suppliers' footprints from another PACT host."""
