"""Imported backgrounds: a registry per organisation, import jobs, material mappings, and
footprints computed on them (the pure core is lca.imports)."""
