"""breachbench: synthetic French patient records and a benchmark for detectors of what leaks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("breachbench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
