"""The GPs the patients belong to: practices of realistic size, consecutive in the file.

Practice ``d`` holds the rows ``[start_d, start_d + size_d)``, so a patient's doctor is a
``searchsorted`` of its row index, whatever the batch or worker that builds the row.
Practices are made in chunks that depend only on (seed, chunk number), and a process
extends its table lazily as it meets higher row indices.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.text import join, strings_from_matrix
from breachbench.generator.data import corpora
from breachbench.generator.records.people import PeopleModel, load_people
from breachbench.generator.records.places import PlacesModel, load_places

CHUNK = 1024  # practices per chunk
_STREAM = 0xD0C


def luhn_check_digit(payload: np.ndarray) -> np.ndarray:
    """The digit that makes ``payload`` + digit pass the Luhn check; payload is (n, k) 0-9."""
    k = payload.shape[1]
    doubled = payload.astype(np.int64).copy()
    # Rightmost payload digit is doubled (it sits left of the check digit).
    positions = np.arange(k - 1, -1, -2)
    doubled[:, positions] *= 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    return (10 - doubled.sum(axis=1) % 10) % 10


@dataclass
class Practices:
    seed: int
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    department: list[np.ndarray] = field(default_factory=list)
    unit: list[np.ndarray] = field(default_factory=list)  # the practice's commune
    names: list[pa.Array] = field(default_factory=list)
    rpps: list[pa.Array] = field(default_factory=list)

    def ensure(self, rows: int, people: PeopleModel, places: PlacesModel) -> None:
        settings = corpora.read_yaml("formats/people.yaml")
        while self.starts[-1] < rows:
            chunk = len(self.department)
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, _STREAM, chunk]))
            size_spec = settings["practice_size"]
            sizes = np.clip(
                np.round(rng.lognormal(np.log(size_spec["median"]), size_spec["sigma"], CHUNK)),
                size_spec["min"],
                size_spec["max"],
            ).astype(np.int64)
            self.starts = np.concatenate([self.starts, self.starts[-1] + np.cumsum(sizes)])
            unit = places.by_practice.sample(rng, CHUNK)
            self.department.append(places.department_index[unit])
            self.unit.append(unit)
            low, high = settings["doctor_birth_years"]
            birth_year = rng.integers(low, high + 1, CHUNK)
            sex = rng.integers(0, 2, CHUNK)
            first = people.first_names.take(pa.array(people.draw_first_names(rng, sex, birth_year)))
            last = people.surnames.take(pa.array(people.draw_surnames(rng, birth_year)))
            self.names.append(join("Dr ", first, " ", last))
            prefix = settings["rpps_prefix"]
            payload = np.hstack(
                [
                    np.broadcast_to(np.array([int(c) for c in prefix]), (CHUNK, len(prefix))),
                    rng.integers(0, 10, (CHUNK, 10 - len(prefix))),
                ]
            )
            digits = np.hstack([payload, luhn_check_digit(payload)[:, None]])
            self.rpps.append(strings_from_matrix((digits + ord("0")).astype(np.uint8)))

    def of_rows(self, rows: np.ndarray) -> np.ndarray:
        """The practice of each row: searched among the practices between the smallest
        and the largest row only, a few dozen for a block, not every practice so far."""
        if len(rows) == 0:
            return np.searchsorted(self.starts, rows, side="right") - 1
        low = int(np.searchsorted(self.starts, rows.min(), side="right")) - 1
        high = int(np.searchsorted(self.starts, rows.max(), side="right"))
        return low + np.searchsorted(self.starts[low:high], rows, side="right") - 1


@functools.cache
def _practices(seed: int) -> Practices:
    return Practices(seed)


@dataclass(frozen=True)
class Assignment:
    practice: np.ndarray
    department_index: np.ndarray
    unit: np.ndarray  # commune-table row of the practice
    name: pa.Array
    rpps: pa.Array


def assign(seed: int, rows: np.ndarray) -> Assignment:
    """The practice of each row index, with its department, doctor name and RPPS."""
    practices = _practices(seed)
    practices.ensure(int(rows.max()) + 1 if len(rows) else 0, load_people(), load_places())
    practice = practices.of_rows(rows)
    # Only the chunks of practices these rows belong to: concatenating every chunk made
    # a block's cost grow with its row index.
    first = int(practice.min()) // CHUNK if len(practice) else 0
    chunks = slice(first, int(practice.max()) // CHUNK + 1 if len(practice) else None)
    local = practice - first * CHUNK
    index = pa.array(local)
    return Assignment(
        practice=practice,
        department_index=np.concatenate(practices.department[chunks])[local],
        unit=np.concatenate(practices.unit[chunks])[local],
        name=pa.concat_arrays(practices.names[chunks]).take(index),
        rpps=pa.concat_arrays(practices.rpps[chunks]).take(index),
    )
