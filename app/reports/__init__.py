"""Reports built from stored footprints: JSON, CSV, XLSX, PDF, the EU declaration."""
