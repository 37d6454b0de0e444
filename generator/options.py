"""Every knob of a generation run, validated once, recorded in the output's metadata."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Literal

OutputFormat = Literal["parquet", "jsonl", "csv"]
FORMATS: tuple[str, ...] = ("parquet", "jsonl", "csv")

DEFAULT_ROWS = 100_000
DEFAULT_SEED = 0
DEFAULT_COMMENT_RATE = 0.3
DEFAULT_SENSITIVE_RATE = 0.35
DEFAULT_BATCH_SIZE = 131_072
DEFAULT_HARD_NEGATIVE_RATE = 0.15
Difficulty = Literal["easy", "realistic", "hard"]
DIFFICULTIES: tuple[str, ...] = ("easy", "realistic", "hard")
DEFAULT_DIFFICULTY = "realistic"
MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """One process per CPU, up to ``MAX_DEFAULT_WORKERS``: workers generate *and* encode,
    so speed grows with cores, while each holds a few hundred MB at its peak. Runs under
    ``generator.run.runner.POOL_MIN_ROWS`` rows stay in-process anyway."""
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


WORKERS_PER_CPU = 2


def cap_workers(workers: int) -> tuple[int, str | None]:
    """``workers``, capped at ``WORKERS_PER_CPU`` per CPU, and a note when it was capped.

    Workers never change the rows, and more processes than CPUs only share them: past a
    small multiple, each adds a few hundred MB and nothing else.
    """
    cpus = os.cpu_count() or 1
    cap = WORKERS_PER_CPU * cpus
    if workers <= cap:
        return workers, None
    return cap, (
        f"Note: --workers {workers} capped at {cap} ({WORKERS_PER_CPU} per CPU on"
        f" {cpus} CPU{'s' if cpus != 1 else ''}); the rows are the same."
    )


Split = Literal["train", "dev", "test"]
SPLITS: tuple[str, ...] = ("train", "dev", "test")
DEFAULT_SPLIT_FRACTIONS: tuple[float, float, float] = (0.7, 0.15, 0.15)


def parse_fractions(value: object) -> tuple[float, float, float]:
    """``"0.7,0.15,0.15"`` or a sequence of three numbers -> a tuple of three floats."""
    parts = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    try:
        fractions = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise OptionError(
            f"split-fraction must be three numbers like 0.7,0.15,0.15, got {value!r}"
        ) from None
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not 0.99 < sum(fractions) < 1.01:
        raise OptionError(
            f"split-fraction must be three non-negative shares (train,dev,test) summing to 1,"
            f" got {value!r}"
        )
    return fractions  # type: ignore[return-value]


class OptionError(ValueError):
    """A generation option is out of range; the message is one line meant for users."""


@dataclass(frozen=True)
class GenerateOptions:
    """Options that determine the rows. ``workers`` and ``batch_size`` never change them."""

    rows: int = DEFAULT_ROWS
    seed: int = DEFAULT_SEED
    comment_rate: float = DEFAULT_COMMENT_RATE
    sensitive_rate: float = DEFAULT_SENSITIVE_RATE
    real_email_domains: bool = False
    difficulty: Difficulty = "realistic"
    hard_negative_rate: float = DEFAULT_HARD_NEGATIVE_RATE
    format: OutputFormat = "parquet"
    workers: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE
    # Family-disjoint split (``generator.comments.splits``); None draws every family.
    split: Split | None = None
    split_fraction: tuple[float, float, float] = DEFAULT_SPLIT_FRACTIONS

    def __post_init__(self) -> None:
        if self.rows < 0:
            raise OptionError(f"rows must be >= 0, got {self.rows}")
        if self.seed < 0:
            raise OptionError(f"seed must be >= 0, got {self.seed}")
        for name in ("comment_rate", "sensitive_rate", "hard_negative_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise OptionError(f"{name.replace('_', '-')} must be within [0, 1], got {value}")
        if self.difficulty not in DIFFICULTIES:
            raise OptionError(
                f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {self.difficulty!r}"
            )
        if self.format not in FORMATS:
            raise OptionError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.workers < 1:
            raise OptionError(f"workers must be >= 1, got {self.workers}")
        if self.batch_size < 1:
            raise OptionError(f"batch-size must be >= 1, got {self.batch_size}")
        if self.split is not None and self.split not in SPLITS:
            raise OptionError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        object.__setattr__(self, "split_fraction", parse_fractions(self.split_fraction))
        if self.split is not None and self.split_fraction[SPLITS.index(self.split)] == 0:
            raise OptionError(f"split {self.split!r} has a fraction of 0: it would be empty")

    def content_options(self) -> dict[str, object]:
        """The options the rows depend on (with the version): what metadata must record.

        The split fields appear only for a split dataset, so whole-corpus datasets keep the
        provenance (and the bytes) they had before splits existed.
        """
        options: dict[str, object] = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in ("workers", "batch_size", "format", "split", "split_fraction")
        }
        if self.split is not None:
            options["split"] = self.split
            options["split_fraction"] = ",".join(f"{f:g}" for f in self.split_fraction)
        return options


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based, as part files are numbered): the slice of a
    directory output's part files one machine writes, so many machines build one dataset.

    Shard ``i`` owns parts ``[i * P // count, (i + 1) * P // count)`` of the ``P`` parts a
    single run would write: contiguous rows, shares that differ by at most one part.
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise OptionError(
                "shard must be I/N with 0 <= I < N (I counts from 0),"
                f" got {self.index}/{self.count}"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def parts(self, total: int) -> range:
        """Indices of the parts this shard writes, out of ``total``."""
        return range(self.index * total // self.count, (self.index + 1) * total // self.count)


def parse_shard(text: str) -> Shard:
    """``"3/16"`` -> ``Shard(3, 16)``; here so the command line of any layer can parse it."""
    index, slash, count = text.strip().partition("/")
    if not slash or not index.strip().isdigit() or not count.strip().isdigit():
        raise OptionError(f"shard must be I/N, like 0/4 (I counts from 0), got {text!r}")
    return Shard(int(index), int(count))
