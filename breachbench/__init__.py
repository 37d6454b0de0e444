"""breachbench: synthetic French patient records and a benchmark for detectors of what leaks.

Installed, ``generator/``, ``benchmarks/`` and ``corpora/`` live under this package
(``breachbench.generator``...), mapped by ``package-dir`` in ``pyproject.toml``. In a source
checkout they sit beside this folder; adding the checkout to ``__path__`` lets the same
import names work there too, so a test or a script never mixes an installed copy with
the checkout's.
"""

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "generator" / "__init__.py").is_file():
    __path__.append(str(_CHECKOUT))

from breachbench.generator.contract.version import __version__ as __version__  # noqa: E402

__all__ = ["__version__"]
