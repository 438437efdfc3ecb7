"""Third-party backgrounds: import, link IPCC AR6, describe, map materials, keep resident.

The pure core that a job or the CLI calls; it never imports the web or SQL layers.

* :func:`lca.imports.pipeline.import_background` — an ecospold2 release (folder, zip or 7z), an
  openLCA JSON-LD zip, a SimaPro CSV export or a folder in our own data/ format, into
  ``<root>/<version>/`` (a Brightway directory of its own), or :class:`ImportFailed` with a
  report of every problem and nothing registered. Progress: ``(fraction, stage)``.
  :func:`lca.imports.pipeline.check_source` gives that report without importing.
* :class:`lca.imports.descriptor.BackgroundDescriptor` — name, version (content hash), format,
  size and :class:`~lca.imports.descriptor.MethodCoverage`.
* :mod:`lca.imports.methods` — IPCC AR6 (data/method/) linked by UUID, name or CAS number.
* :mod:`lca.imports.mapping` — material codes → imported activities, suggestions, unit checks.
* :class:`lca.imports.resident.ResidentBackgrounds` — several engines within a memory budget.
* :func:`lca.imports.shipped.shipped_unit_scores` — a method shipped with the source.

``lca.background.load_background(Path(descriptor.brightway_dir))`` loads an imported background
like the open one; footprints are computed on it through a material mapping.
"""

from lca.imports.report import ImportFailed, ImportReport, Problem

__all__ = ["ImportFailed", "ImportReport", "Problem"]
