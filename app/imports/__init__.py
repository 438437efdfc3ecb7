"""Importing BOMs from files exported by procurement and ERP tools (CSV, XLSX)."""
