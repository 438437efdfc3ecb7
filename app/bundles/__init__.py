"""Verification bundles: a stored footprint with everything a third party needs to recompute
it with plain bw2calc (see lca.bundle)."""
