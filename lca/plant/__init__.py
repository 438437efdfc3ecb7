"""Per-lot, hour-by-hour plant-energy footprints from meter data (pure: no app, no database).

- :mod:`lca.plant.model` — plants, lines, shared areas, meters and their sub-meter trees;
- :mod:`lca.plant.readings` — meter readings from CSV, JSON (or OPC UA, app/plants/opcua.py),
  converted, DST-aware, with a quality report; :mod:`lca.plant.series` — the interval arrays,
  re-upload merge and hourly binning;
- :mod:`lca.plant.lots` — production lots;
- :mod:`lca.plant.factors` — hourly grid factors and instruments matched hourly or annually;
  :mod:`lca.plant.pricing` — the same factors taken from a background version;
- :mod:`lca.plant.allocation` and :mod:`lca.plant.footprint` — energy to lots by stated rules,
  and kg CO2e per good cell with aggregates;
- :mod:`lca.plant.example` — a labelled-synthetic month of the Spring Hill example plant.
"""
