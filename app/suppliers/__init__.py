"""Suppliers, their sites, energy reports and product footprints (PCFs)."""
