"""One dataset from many machines: the shards of a directory output, and their merge.

``generate --shard I/N --out DIR/`` writes the parts of shard ``I`` (named and filled as a
single run names and fills them) into ``DIR``, then ``manifest.shard-0000I-of-0000N.json``:
its parts with their checksums and counts. That file comes last, so its presence means the
shard is whole. Until then the shard stages its parts in ``DIR/.shard-0000I-of-0000N.partial/``
(resumable, see :mod:`~generator.output.journal`) and moves them into ``DIR`` at the end.

The shard that finds the manifests of all ``N`` shards in ``DIR`` merges them: it writes
the dataset's ``README.md`` and ``croissant.json``, then ``manifest.json``, each under a
temporary name then renamed, byte for byte those of a single run. ``DIR`` is then the
single-machine dataset (plus the shard manifests); until ``manifest.json`` appears it is
not complete, as a Hadoop output without ``_SUCCESS``. Two shards finishing at once both
merge, to the same bytes. Shards written on separate disks are copied into one directory
and merged by :func:`merge_shards` (``breachbench generate --merge-manifests DIR``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from breachbench.generator.options import GenerateOptions, OptionError, Shard
from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.documents import write_documents
from breachbench.generator.output.journal import (
    DonePart,
    PartPlan,
    ResumableStaging,
)
from breachbench.generator.output.manifest import (
    MANIFEST_VERSION,
    FileEntry,
    manifest,
    provenance,
)
from breachbench.generator.output.target import (
    MANIFEST_NAME,
    METADATA_DOCUMENTS,
    OutputError,
    OutputTarget,
    fsync_path,
)

_SHARD_MANIFEST = re.compile(r"^manifest\.shard-(\d+)-of-(\d+)\.json$")


def shard_tag(shard: Shard) -> str:
    """``shard-00003-of-00016``: zero-padded so that names sort in shard order."""
    return f"shard-{shard.index:05d}-of-{shard.count:05d}"


def shard_manifest_name(shard: Shard) -> str:
    """The file that marks a shard whole: ``manifest.shard-00003-of-00016.json``."""
    return f"manifest.{shard_tag(shard)}.json"


def shard_manifest(plan: PartPlan, shard: Shard, done: list[DonePart]) -> dict[str, Any]:
    """A shard's manifest: the provenance, the shard and cut, and its parts in order."""
    parts = sorted(done, key=lambda part: part.entry.name)
    counts = DatasetStats()
    for part in parts:
        counts = counts.merged(part.counts)
    return {
        "manifest_version": MANIFEST_VERSION,
        **plan.provenance,
        "shard": {"index": shard.index, "count": shard.count},
        "part_rows": plan.part_rows,
        "parts": plan.parts,
        "rows": sum(part.entry.rows for part in parts),
        "sensitive_rows": sum(part.entry.sensitive_rows for part in parts),
        "comment_rows": sum(part.entry.comment_rows for part in parts),
        "files": [asdict(part.entry) for part in parts],
        "counts": asdict(counts),
    }


def _write_json(path: Path, document: dict[str, Any]) -> None:
    """``document`` as indented JSON under a temporary name, flushed, then renamed."""
    staged = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    staged.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    fsync_path(staged)
    os.replace(staged, path)


def _same_dataset(document: dict[str, Any], record: dict[str, Any]) -> bool:
    """Whether a manifest describes the rows of provenance ``record``."""
    return all(document.get(key) == value for key, value in record.items())


def check_shard_target(
    target: OutputTarget, options: GenerateOptions, shard: Shard, plan: PartPlan
) -> str | None:
    """Refuse, before any work, a directory that holds another dataset or other shards.

    Returns why there is nothing to do (the dataset, or this shard, is already whole), or
    None. The shard's own manifest is not an error: the caller decides (``--resume`` skips
    it, ``--overwrite`` writes it again).
    """
    directory = target.path
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory} exists and is not a directory")
    if not directory.is_dir():
        return None
    record = provenance(options)
    whole = directory / MANIFEST_NAME
    if whole.is_file():
        if _same_dataset(_read(whole), record):
            return f"{directory} already holds the whole dataset"
        raise OutputError(f"{directory} already holds another dataset ({MANIFEST_NAME})")
    for path in directory.glob("manifest.shard-*.json"):
        document = _read(path)
        same = (
            _same_dataset(document, record)
            and document.get("part_rows") == plan.part_rows
            and document.get("parts") == plan.parts
            and (document.get("shard") or {}).get("count") == shard.count
        )
        if not same:
            raise OutputError(
                f"{path} is a shard of another dataset (other options, version, --part-rows"
                " or shard count): write this one elsewhere"
            )
    return None


_SHARD_STAGING = re.compile(r"^\.shard-(\d+)-of-(\d+)\.partial$")


def unfinished_shards(directory: Path) -> str | None:
    """Why ``directory`` cannot be read yet, if it is a sharded dataset still being written.

    Until the last shard writes ``manifest.json``, the part files there are only some of
    the dataset's: a reader that took them would score a fraction and never know. Returns
    None for a finished dataset and for a directory that is no shard output at all.
    """
    if (directory / MANIFEST_NAME).is_file():
        return None
    whole: set[int] = set()
    counts: set[int] = set()
    running = 0
    for path in directory.iterdir():
        if match := _SHARD_MANIFEST.match(path.name):
            whole.add(int(match[1]))
            counts.add(int(match[2]))
        elif match := _SHARD_STAGING.match(path.name):
            running += 1
            counts.add(int(match[2]))
    if not counts:
        return None
    of = f"{len(whole)} of {max(counts)}" if len(counts) == 1 else f"{len(whole)}"
    return (
        f"{directory} is a sharded dataset still being written ({of} shards whole, no"
        f" {MANIFEST_NAME} yet): wait for the last shard, or run `breachbench generate"
        f" --merge-manifests {directory}` once every shard is copied there"
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise OutputError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict):
        raise OutputError(f"{path} is not a breachbench manifest")
    return document


class ShardStaging(ResumableStaging):
    """Staging of one shard's parts in ``DIR/.shard-…partial``; :meth:`commit` moves them
    into ``DIR`` and writes the shard's manifest last. Kept when interrupted, like
    :class:`ResumableStaging`; never touches another shard's files."""

    def __init__(self, target: OutputTarget, plan: PartPlan, shard: Shard, *, resume: bool):
        super().__init__(target, plan, overwrite=False, resume=resume)
        self.shard = shard
        self.path = target.path / f".{shard_tag(shard)}.partial"

    def __enter__(self) -> ShardStaging:
        # Shards share the directory: no sweep of leftovers beside it.
        self._open_in(self.target.path, sweep=False)
        return self

    def commit(self) -> None:
        """Move the parts into the directory, then write the shard's manifest."""
        assert self.journal is not None
        self.journal.close()
        directory = self.target.path
        for part in self.journal.done:
            os.replace(self.path / part.entry.name, directory / part.entry.name)
        fsync_path(directory)
        _write_json(
            directory / shard_manifest_name(self.shard),
            shard_manifest(self.plan, self.shard, self.journal.done),
        )
        shutil.rmtree(self.path, ignore_errors=True)
        fsync_path(directory)
        self._committed = True


@dataclass(frozen=True)
class MergeResult:
    """What :func:`merge_shards` found: the shards missing, or the whole dataset."""

    directory: Path
    count: int
    missing: tuple[int, ...]
    rows: int = 0
    files: tuple[FileEntry, ...] = ()
    bytes: int = 0
    sensitive_rows: int = 0
    comment_rows: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing


def options_of(record: dict[str, Any]) -> GenerateOptions:
    """The options a provenance record was made with; :class:`OutputError` when this
    breachbench would not make the same rows (another version, other corpora)."""
    try:
        options = GenerateOptions(format=record["format"], **record["options"])
    except (KeyError, TypeError, OptionError) as error:
        raise OutputError(f"not a breachbench manifest: {error}") from None
    if provenance(options) != record:
        raise OutputError(
            f"the shards were made by breachbench {record.get('generator_version')} with other"
            " corpora or version than this one: merge them with that version"
        )
    return options


def merge_shards(directory: Path) -> MergeResult:
    """Merge the shard manifests of ``directory`` once all are there.

    When one is missing, writes nothing and says which. Otherwise checks that every part a
    shard lists is there with its size, writes ``README.md`` and ``croissant.json``, then
    ``manifest.json``, each whole under its final name. Idempotent.
    """
    found: dict[int, dict[str, Any]] = {}
    counts: set[int] = set()
    for path in sorted(directory.glob("manifest.shard-*.json")):
        match = _SHARD_MANIFEST.match(path.name)
        if match is None:
            continue
        document = _read(path)
        shard = document.get("shard") or {}
        if [shard.get("index"), shard.get("count")] != [int(match[1]), int(match[2])]:
            raise OutputError(f"{path} does not describe the shard its name says")
        found[int(match[1])] = document
        counts.add(int(match[2]))
    if not found:
        raise OutputError(f"{directory} holds no shard manifest (manifest.shard-*.json)")
    if len(counts) > 1:
        raise OutputError(f"{directory} mixes shards of {sorted(counts)} shards: one count only")
    (count,) = counts
    first = next(iter(found.values()))
    for index, document in found.items():
        same_cut = all(document.get(key) == first.get(key) for key in ("part_rows", "parts"))
        if not same_cut or _provenance_of(document) != _provenance_of(first):
            raise OutputError(f"shard {index}/{count} in {directory} is of another dataset")
    missing = tuple(index for index in range(count) if index not in found)
    if missing:
        return MergeResult(directory, count, missing)
    record = _provenance_of(first)
    options = options_of(record)
    parts: list[DonePart] = []
    for document in found.values():
        for item in document["files"]:
            parts.append(DonePart(FileEntry(**item), DatasetStats()))
    parts.sort(key=lambda part: part.entry.name)
    if len(parts) != first["parts"]:
        raise OutputError(f"the shards list {len(parts)} parts, not {first['parts']}")
    for part in parts:
        path = directory / part.entry.name
        if not path.is_file() or path.stat().st_size != part.entry.bytes:
            raise OutputError(f"{path} is missing or not the size its shard manifest gives")
    totals = DatasetStats()
    for document in found.values():
        totals = totals.merged(DatasetStats(**document["counts"]))
    entries = [part.entry for part in parts]
    card_name, croissant_name = (METADATA_DOCUMENTS[doc][0] for doc in ("card", "croissant"))
    tag = f"tmp-{os.getpid()}"
    staged_card = directory / f".{card_name}.{tag}"
    staged_croissant = directory / f".{croissant_name}.{tag}"
    write_documents(
        options,
        entries,
        totals,
        card_path=staged_card,
        croissant_path=staged_croissant,
        croissant_name=croissant_name,
    )
    for staged, name in ((staged_card, card_name), (staged_croissant, croissant_name)):
        fsync_path(staged)
        os.replace(staged, directory / name)
    _write_json(directory / MANIFEST_NAME, manifest(options, entries))
    fsync_path(directory)
    return MergeResult(
        directory,
        count,
        (),
        rows=sum(entry.rows for entry in entries),
        files=tuple(entries),
        bytes=sum(entry.bytes for entry in entries),
        sensitive_rows=sum(entry.sensitive_rows for entry in entries),
        comment_rows=sum(entry.comment_rows for entry in entries),
    )


_MANIFEST_ONLY = frozenset(
    {
        "manifest_version",
        "shard",
        "part_rows",
        "parts",
        "rows",
        "sensitive_rows",
        "comment_rows",
        "files",
        "counts",
    }
)


def _provenance_of(document: dict[str, Any]) -> dict[str, Any]:
    """The provenance record inside a (shard) manifest."""
    return {key: value for key, value in document.items() if key not in _MANIFEST_ONLY}
