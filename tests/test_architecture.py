"""Imports run one way: command line -> harness -> generator -> corpora data; no cycles.

The layers, and the rooms inside the generator, are ranked below; a module may import
its own room or a room of a lower rank, never one above it. Every ``breachbench`` import
counts, including those made inside functions and under ``TYPE_CHECKING``: a cycle that
only the type checker sees still ties two modules together for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOMS = {
    "corpora": "breachbench.corpora",
    "generator": "breachbench.generator",
    "benchmarks": "breachbench.benchmarks",
    "breachbench": "breachbench",
}

#: Lower imports nothing above it. Within the generator, from the data files up to the
#: one library call; then the harness; then what the command line and the plugins add.
RANKS: dict[str, int] = {
    "breachbench.corpora": 0,
    "breachbench.generator.data": 1,
    "breachbench.generator.options": 1,
    "breachbench.generator.contract": 2,
    "breachbench.generator.arrays": 3,
    "breachbench.generator.records": 4,
    "breachbench.generator.comments": 5,
    "breachbench.generator.block": 6,
    "breachbench.generator.output": 6,
    "breachbench.generator.run": 7,
    "breachbench.generator.api": 8,
    "breachbench.generator": 9,  # the package itself: its public names
    "breachbench.benchmarks": 10,
    "breachbench.strategies": 11,
    "breachbench.pytest_plugin": 11,
    "breachbench.commands": 11,
    "breachbench.lazy": 11,
    "breachbench.cli": 12,
    "breachbench.__main__": 13,
    "breachbench": 2,  # the top package holds the version only (and extends its path)
}


def _module_name(path: Path) -> str:
    room, *rest = path.relative_to(ROOT).with_suffix("").parts
    if rest and rest[-1] == "__init__":
        rest = rest[:-1]
    return ".".join([SOURCE_ROOMS[room], *rest])


def _imports(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            found.update(name for name in [target, *names] if name.startswith("breachbench"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("breachbench"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {
        _module_name(path): path
        for room in SOURCE_ROOMS
        for path in (ROOT / room).rglob("*.py")
        if "perf" not in path.relative_to(ROOT).parts
    }
    return {
        name: {target for target in _imports(path, name) if target in modules and target != name}
        for name, path in modules.items()
    }


def _room(module: str) -> str:
    """The longest prefix of ``module`` that :data:`RANKS` knows."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        prefix = ".".join(parts[:size])
        if prefix in RANKS:
            return prefix
    raise AssertionError(f"{module} belongs to no ranked room: add it to RANKS")


def test_no_module_imports_a_layer_above_it() -> None:
    upward = sorted(
        f"{module} ({_room(module)}) imports {target} ({_room(target)})"
        for module, targets in _graph().items()
        for target in targets
        if RANKS[_room(target)] > RANKS[_room(module)]
        and not _room(module).startswith(_room(target))  # a package's own children
    )
    assert not upward, "\n".join(upward)


def test_every_module_belongs_to_a_ranked_room() -> None:
    for module in _graph():
        _room(module)
