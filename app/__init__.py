"""CellCarbon's HTTP service: routes, storage, services and settings."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cellcarbon")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
