"""Plants: meter data pulled from the factory into the plant-footprint core (lca.plant)."""
