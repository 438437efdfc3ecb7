"""CellCarbon's calculation core: background data, Brightway build and the footprint engine.

This package never imports the web service or its database layer; it takes typed inputs and
returns frozen dataclasses.
"""
