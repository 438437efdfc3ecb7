"""Per-lot, hour-by-hour plant-energy footprints from meter data (pure; no app imports)."""
