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

    def content_options(self) -> dict[str, object]:
        """The options the rows depend on (with the version): what metadata must record."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in ("workers", "batch_size", "format")
        }
