"""The breachbench version, where the lowest layer can read it.

``pyproject.toml`` reads it from here (``[tool.setuptools.dynamic]``), so a source tree,
an editable install and a wheel all report the same string, and the generator's metadata
writers need not import the command-line package above them.
"""

__version__ = "0.1.0"
