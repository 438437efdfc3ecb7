"""Footprints of BOMs, scenarios, uncertainty."""
