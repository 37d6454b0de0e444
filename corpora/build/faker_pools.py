"""Pools of varied French strings taken from Faker's ``fr_FR`` provider data.

Faker is not a source of French realism here (see ``shared/DATA.md``), but its job list
gives comments like "profession : aide-soignante" more variety than we would write by
hand. The version is recorded so that a rebuild with another Faker can be noticed.
Faker loads only when the pools are built: its import costs a second or more, which
the tests of :func:`undouble` need not pay.
"""

from __future__ import annotations

#: Faker version the committed pools were extracted from.
PINNED_FAKER_VERSION = "40.63.0"


def _feminine_forms(word: str) -> set[str]:
    """Plausible feminine forms of a masculine French word (for de-duplication only)."""
    forms = {word + "e"}
    for masc, fem in (
        ("teur", "trice"),
        ("eur", "euse"),
        ("if", "ive"),
        ("el", "elle"),
        ("ien", "ienne"),
        ("er", "ère"),
        ("on", "onne"),
    ):
        if word.endswith(masc):
            forms.add(word[: -len(masc)] + fem)
    return forms


def undouble(job: str) -> str:
    """Drop feminine doublets Faker's male job list carries.

    e.g. "adjoint administratif administrative" -> "adjoint administratif",
    "conseiller principal d'éducation principale d'éducation" ->
    "conseiller principal d'éducation".
    """
    tokens = job.split(" ")
    i = 0
    while i < len(tokens):
        for k in (1, 2, 3):
            j = i + k
            if (
                j < len(tokens)
                and tokens[j] in _feminine_forms(tokens[i])
                and (tokens[i + 1 : j] == tokens[j + 1 : j + k])
            ):
                del tokens[j : j + k]
                break
        i += 1
    return " ".join(tokens)


def _pool(items) -> list[str]:
    """Sorted unique non-empty strings (stable across runs)."""
    return sorted({s.strip() for s in items if s and s.strip()})


def faker_version() -> str:
    """The version of the installed Faker."""
    import faker

    return faker.VERSION


def build_pools() -> dict:
    """The YAML document written to ``faker_pools.yaml``."""
    from faker.providers.address.fr_FR import Provider as AddressProvider
    from faker.providers.company.fr_FR import Provider as CompanyProvider
    from faker.providers.job.fr_FR import Provider as JobProvider

    return {
        "faker_version": faker_version(),
        "faker_licence": "MIT",
        "locale": "fr_FR",
        "pools": {
            "jobs_male": _pool(undouble(j) for j in JobProvider.jobs),
            "jobs_female": _pool(JobProvider.jobs_female),
            "countries": _pool(AddressProvider.countries),
            "company_suffixes": _pool(CompanyProvider.company_suffixes),
        },
    }
