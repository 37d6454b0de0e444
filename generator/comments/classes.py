"""Classes of patients as the bits of a 64-bit mask, and named groups of them: the shared
machinery of the ``born:`` (:mod:`births`) and ``lives:`` (:mod:`homes`) eligibility keys.

Class 0 is *the rest* (born in France; living in a department no group names), class
``1 + i`` the ``i``-th name of the table, and bit 63 *not known*: every mask holds it, so
a context that does not say fits every clause. A group is a list of names, or
``except: [...]``: every named class but those (and the rest too where the file says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["ANY_CLASS", "CLASSES", "UNKNOWN_CLASS", "ClassGroups"]

CLASSES = 64  # bits of an int64 mask
UNKNOWN_CLASS = CLASSES - 1
_UNKNOWN_BIT = 1 << UNKNOWN_CLASS
ANY_CLASS = -1  # every bit: any class, or not known


class ClassGroups:
    """The classes of a table and the groups of its YAML file, as signed 64-bit masks.

    ``key`` names the template field in errors (``born``, ``lives``); ``builtin`` maps
    group names every file has to the names they hold; with ``except_rest`` an
    ``except:`` group also holds class 0 (a department no group names is still mainland).
    """

    def __init__(
        self,
        key: str,
        file: str,
        names: Sequence[str],
        groups: Mapping[str, object],
        *,
        builtin: Mapping[str, Sequence[str]] | None = None,
        except_rest: bool = False,
        rest: str | None = None,
    ) -> None:
        if len(names) + 1 >= UNKNOWN_CLASS:
            raise ValueError(f"{file}: {len(names)} classes do not fit a 64-bit mask")
        self.key = key
        self.names = tuple(names)
        self._class = {name: 1 + i for i, name in enumerate(self.names)}
        # ``rest`` names class 0 in lists ("France": born in France, and of an origin)
        self._rest = rest
        named = sum(1 << c for c in self._class.values())
        everything = named | (1 if except_rest else 0)
        self._masks: dict[str, int] = {
            name: self._names_mask(members, f"{file}: {name}")
            for name, members in (builtin or {}).items()
        }
        for name, spec in groups.items():
            if isinstance(spec, dict) and set(spec) == {"except"}:
                self._masks[name] = everything & ~self._names_mask(spec["except"], name)
            elif isinstance(spec, list):
                self._masks[name] = self._names_mask(spec, f"{file}: group {name}")
            else:
                raise ValueError(f"{file}: group {name}: a list or {{except: [...]}}")

    def _names_mask(self, names: object, where: str) -> int:
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, Sequence) or not names:
            raise ValueError(f"{where}: expected a name or a list of them")
        mask = 0
        for name in names:
            if name != self._rest and name not in self._class:
                raise ValueError(f"{where}: {name!r} is not a class of its table")
            mask |= 1 << self._class.get(name, 0)
        return mask

    def mask(self, value: object) -> int:
        """The signed 64-bit mask of a field's value: group names and class names, joined.

        Raises ValueError on an unknown name."""
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{self.key} must be a group, a name or a list of them, got {value!r}")
        mask = _UNKNOWN_BIT
        for name in names:
            if name in self._masks:
                mask |= self._masks[name]
            elif name in self._class or name == self._rest:
                mask |= 1 << self._class.get(name, 0)
            else:
                groups = ", ".join(sorted(self._masks))
                raise ValueError(f"{self.key}: {name!r} is neither a group ({groups}) nor a name")
        return signed_mask(mask)

    def class_of(self, name: str) -> int:
        """A name's class, 0 (the rest) for a name the table does not hold."""
        return self._class.get(name, 0)

    def names_of(self, mask: int) -> frozenset[str]:
        """The names a mask admits (for ``breachbench check``)."""
        rest = {self._rest} if self._rest and mask & 1 else set()
        return frozenset(c for c, k in self._class.items() if (mask >> k) & 1) | rest

    def admits(self, mask: int, klass: int) -> bool:
        return bool((mask >> klass) & 1)


def signed_mask(mask: int) -> int:
    """A mask of up to 64 class bits as the signed int64 the compiled tables hold (bit 63
    set: a negative int)."""
    return int(np.int64(np.uint64(mask & (1 << CLASSES) - 1)))
