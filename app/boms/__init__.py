"""Bills of materials: posting (JSON, CSV, XLSX), listing, materials."""
