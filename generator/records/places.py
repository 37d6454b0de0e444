"""Where the patients live and were born: communes, postcodes, street addresses.

Reads ``reference/communes.parquet`` (one row per commune or municipal arrondissement
and postcode, with its population), ``reference/birth_countries.csv``,
``reference/streets.yaml``, ``formats/people.yaml`` and ``formats/name_origins.yaml``
(where people whose names suggest an origin are born). A postcode and a city always
come from the same row of the commune table, so every pair is real.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.rates import step_rate
from breachbench.generator.arrays.sampling import Categorical, GroupedCategorical
from breachbench.generator.arrays.text import join_pieces, row_items, string_pool, take
from breachbench.generator.data import corpora
from breachbench.generator.data.derived import derived
from breachbench.generator.records.people import FEMALE, MALE, People, load_people
from breachbench.generator.records.prepositions import load_prepositions

# Size classes of communes, for the street types that fit them (reference/streets.yaml).
VILLAGE, TOWN, CITY, CAPITAL = 0, 1, 2, 3
N_SIZES = 4


@dataclass(frozen=True)
class Residence:
    unit: np.ndarray  # row of the commune table
    address: pa.Array
    postcode: pa.Array
    city: pa.Array
    insee_code: pa.Array


@dataclass(frozen=True)
class BirthPlace:
    born_abroad: np.ndarray
    place: pa.Array  # commune or country name
    code_value: np.ndarray  # INSEE code as used by the NIR key (2A -> 19, 2B -> 18)
    code_bytes: np.ndarray  # 5-character INSEE code (99xxx for a country), for the NIR


@dataclass(frozen=True)
class PlacesModel:
    insee_code: pa.Array
    name: pa.Array
    city: pa.Array
    postcode: pa.Array
    code_value: np.ndarray
    code_bytes: np.ndarray  # (units, 5)
    department_index: np.ndarray  # per unit
    departments: tuple[str, ...]
    region: np.ndarray  # per unit, region code as str
    department: np.ndarray  # per unit, department code as str
    by_population: Categorical
    # Communes where a practice may be: by population, none in a department under a
    # health-insurance system of its own (formats/people.yaml).
    by_practice: Categorical
    by_department: GroupedCategorical
    department_weight: np.ndarray
    streets: pa.Array  # every "type name" pair, then "route de <city>" per unit
    street_combos: Categorical  # over the "type name" pairs only (town weights)
    # The same pairs by size of commune (VILLAGE ... CAPITAL): item size * pairs + pair.
    street_by_size: GroupedCategorical
    n_street_combos: int
    size_class: np.ndarray  # per commune-table row, by its whole commune's population
    area_index: np.ndarray  # postal area (department and first postcode digits) per row
    by_area: GroupedCategorical
    local_rate: float  # share of a practice's patients living in its postal area
    house_numbers: pa.Array  # "1", "1 bis", "1 ter", "2", ...
    # Countries of birth by name origin (formats/name_origins.yaml): group 0 for names
    # of no origin group, then group g + 1 for origin g.
    by_country: GroupedCategorical
    abroad_factor: np.ndarray  # per group, as by_country: multiplies the born-abroad rate
    max_abroad: float
    origin_names: tuple[str, ...]
    birth_place_names: pa.Array  # commune names, then country names
    birth_code_values: np.ndarray
    birth_code_bytes: np.ndarray
    route_rate: float
    complements: pa.Array  # "", then ", " + every rendering of every second-line pattern
    # The renderings by size of commune (VILLAGE ... CAPITAL): item size * renderings +
    # rendering; floors and buildings that fit the commune.
    by_complement: GroupedCategorical
    complement_rate: float
    complement_min_age: np.ndarray  # per entry of ``complements``: youngest resident
    born_abroad_steps: list[list[float]]
    born_in_department_rate: float

    def draw_units(self, rng: np.random.Generator, department_index: np.ndarray) -> np.ndarray:
        return self.by_department.sample(rng, department_index)

    def residence(
        self, rng: np.random.Generator, unit: np.ndarray, age: np.ndarray | None = None
    ) -> Residence:
        """Addresses in the commune-table rows ``unit`` of people of ``age`` (see
        :meth:`draw_street_line`)."""
        return Residence(
            unit=unit,
            address=self.address_pool.join(*self.draw_street_line(rng, unit, age)),
            postcode=take(self.postcode, unit),
            city=take(self.city, unit),
            insee_code=take(self.insee_code, unit),
        )

    def draw_local_units(self, rng: np.random.Generator, home: np.ndarray) -> np.ndarray:
        """Where the patients of practices in communes ``home`` live: mostly the practice's
        own postal area (the communes whose postcode shares its first three digits: a
        town and its neighbours), by population; the others anywhere in its department
        (patients who moved and kept their GP)."""
        local = self.by_area.sample(rng, self.area_index[home])
        wider = self.draw_units(rng, self.department_index[home])
        return np.where(rng.random(len(home)) < self.local_rate, local, wider)

    def draw_street_line(
        self, rng: np.random.Generator, unit: np.ndarray, age: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first line of an address in each commune-table row ``unit``, as indices of
        :attr:`address_pool` parts: house number, street, second line (0: none).

        The second line fits the commune (no 9th floor in a village) and, when ``age``
        is given, the resident: no EHPAD for a toddler; such rows get none.
        """
        n = len(unit)
        # Street: one "type name" of the precomputed pool, or "route de <a commune of
        # the same department>" for some rows.
        size = self.size_class[unit]
        street = self.street_by_size.sample(rng, size) % self.n_street_combos
        # No "route de <neighbour>" in a city.
        route = np.flatnonzero((rng.random(n) < self.route_rate) & (size < CITY))
        if len(route):
            neighbour = self.draw_units(rng, self.department_index[unit[route]])
            street[route] = len(self.street_combos) + neighbour
        number = np.minimum(rng.geometric(0.035, n), len(self.house_numbers) // 3)
        suffix_roll = rng.random(n)
        suffix = np.select([suffix_roll < 0.03, suffix_roll < 0.04], [1, 2], 0)
        # Second line, e.g. ", Bât. B", for some rows; entry 0 of the pool is "" for the rest.
        complement = np.zeros(n, dtype=np.int64)
        has = np.flatnonzero(rng.random(n) < self.complement_rate)
        renderings = len(self.complements) - 1
        complement[has] = 1 + self.by_complement.sample(rng, size[has]) % renderings
        if age is not None:
            complement = np.where(self.complement_min_age[complement] > age, 0, complement)
        return (number - 1) * 3 + suffix, street, complement

    @functools.cached_property
    def address_pool(self) -> AddressPool:
        return AddressPool.build(self)

    @functools.cached_property
    def _birth_code_items(self) -> np.ndarray:
        return row_items(self.birth_code_bytes)

    def birth_place(
        self,
        rng: np.random.Generator,
        age: np.ndarray,
        residence_unit: np.ndarray,
        origin: np.ndarray | None = None,
    ) -> BirthPlace:
        """Birth places of people of ``age`` living in ``residence_unit``; ``origin`` (see
        :class:`NameOrigins`, -1 for none) is what their names suggest: how often they
        are born abroad, and where."""
        n = len(age)
        group = np.zeros(n, dtype=np.int64) if origin is None else np.asarray(origin) + 1
        rate = np.minimum(
            step_rate(self.born_abroad_steps, age) * self.abroad_factor[group], self.max_abroad
        )
        abroad = rng.random(n) < rate
        local = self.draw_units(rng, self.department_index[residence_unit])
        anywhere = self.by_population.sample(rng, n)
        unit = np.where(rng.random(n) < self.born_in_department_rate, local, anywhere)
        # Communes and countries share one pool: born abroad reads past the communes.
        place = unit.copy()
        born = np.flatnonzero(abroad)
        countries = len(self.birth_place_names) - len(self.insee_code)
        place[born] = len(self.insee_code) + self.by_country.sample(rng, group[born]) % countries
        return BirthPlace(
            born_abroad=abroad,
            place=take(self.birth_place_names, place),
            code_value=self.birth_code_values[place],
            code_bytes=self._birth_code_items[place].view(np.uint8).reshape(n, -1),
        )


@dataclass(frozen=True)
class AddressPool:
    """Every part of a written address in one string pool: house numbers (each with
    its trailing space), streets, second lines, postcodes, cities and the separators.

    An address is a few pool entries joined: one take and one join for a whole batch,
    instead of a take per part and an element-wise join.
    """

    pool: pa.Array
    street: int  # offsets of each part in the pool
    complement: int
    postcode: int
    city: int
    comma: int  # ", "
    space: int  # " "

    @classmethod
    def build(cls, places: PlacesModel) -> AddressPool:
        numbers = pa.array([f"{number} " for number in places.house_numbers.to_pylist()])
        parts = [
            numbers,
            places.streets,
            places.complements,
            places.postcode,
            places.city,
            pa.array([", ", " "]),
        ]
        pool, start = string_pool(parts)
        return cls(
            pool=pool,
            street=start[1],
            complement=start[2],
            postcode=start[3],
            city=start[4],
            comma=start[5],
            space=start[5] + 1,
        )

    def join(
        self,
        number: np.ndarray,
        street: np.ndarray,
        complement: np.ndarray,
        tail: Sequence[np.ndarray | int] = (),
    ) -> pa.Array:
        """The street lines of :meth:`PlacesModel.draw_street_line`, each followed by the
        pool entries of ``tail`` (a column, or one entry for every row). The empty second
        line (0) adds no piece."""
        has = complement > 0
        offsets = np.zeros(len(number) + 1, dtype=np.int64)
        np.cumsum(2 + len(tail) + has, out=offsets[1:])
        first = offsets[:-1]
        index = np.empty(offsets[-1], dtype=np.int64)
        index[first] = number
        index[first + 1] = self.street + street
        index[first[has] + 2] = self.complement + complement[has]
        after = first + 2 + has
        for k, column in enumerate(tail):
            index[after + k] = column
        return join_pieces(self.pool, index, offsets)


def insee_code_value(code: str) -> int:
    """The INSEE code as a number for the NIR key: Corsica's 2A reads 19, 2B reads 18."""
    return int(code.replace("2A", "19").replace("2B", "18"))


def _code_bytes(codes: list[str]) -> np.ndarray:
    return np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, 5)


COMPLEMENT_NUMBERS = range(1, 40)
COMPLEMENT_LETTERS = "ABCDEFGH"


_SIZE_KEYS = ("village", "weight", "city", "capital")  # weight keys of VILLAGE ... CAPITAL


def by_size(values: dict, size: int, default: float) -> float:
    """A value given by size class (``village``, ``weight`` for towns, ``city``,
    ``capital``): the class's own key, else the next smaller class's down to the town's
    (a capital is a city unless said otherwise), else ``default``."""
    keys = ("village", "weight") if size == VILLAGE else reversed(_SIZE_KEYS[1 : size + 1])
    for key in keys:
        if key in values:
            return float(values[key])
    return default


def size_weight(item: dict, size: int) -> float:
    """An item's weight in a size class (:func:`by_size`, ``weight`` required)."""
    return by_size(item, size, float(item["weight"]))


def _render_complements(items: list[dict]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every rendering of the second-line patterns (``{n}`` a small number, ``{letter}``
    a capital): the texts, their weights by size of commune (3, renderings) and the
    youngest resident each fits.

    A pattern's weight in a size class (``weight`` in towns, ``village`` and ``city``
    when given) is shared among its renderings whose ``{n}`` lies within ``min_n`` and the
    class's ``max_n``, each ``n_decay`` times as likely as the one before it (1: evenly;
    a 9th floor is rarer than a 2nd), letters evenly.
    """
    texts: list[str] = []
    weights: list[np.ndarray] = []
    min_age: list[int] = []
    for item in items:
        letters = list(COMPLEMENT_LETTERS) if "{letter}" in item["text"] else [""]
        numbered = "{n}" in item["text"]
        numbers = list(COMPLEMENT_NUMBERS) if numbered else [0]
        caps = item.get("max_n", {})
        low, decay = int(item.get("min_n", 1)), float(item.get("n_decay", 1.0))
        share = np.zeros((N_SIZES, len(numbers)))
        for size in range(N_SIZES):
            weight = size_weight(item, size)
            if not numbered:
                share[size] = weight
                continue
            high = int(by_size(caps, size, max(COMPLEMENT_NUMBERS)))
            n = np.array(numbers)
            relative = np.where((n >= low) & (n <= high), decay ** (n - low), 0.0)
            if weight > 0 and not relative.sum():
                raise ValueError(f"streets.yaml: complement {item['text']!r}: no {{n}} fits")
            share[size] = weight * relative / max(relative.sum(), 1e-300)
        for k, n in enumerate(numbers):
            if not share[:, k].any():
                continue  # a floor no commune has
            for letter in letters:
                text = item["text"].replace("{letter}", letter).replace("{n}", str(n))
                texts.append(text)
                weights.append(share[:, k] / len(letters))
                min_age.append(int(item.get("min_age", 0)))
    return texts, np.array(weights).T, np.array(min_age, dtype=np.int64)


NAME_ORIGINS_FILE = "formats/name_origins.yaml"


@dataclass(frozen=True)
class _CountryOrigins:
    """The country tables of ``formats/name_origins.yaml`` (see :class:`PlacesModel`)."""

    names: tuple[str, ...]
    countries: GroupedCategorical
    abroad: np.ndarray
    max_abroad: float

    @classmethod
    def build(cls, country_names: list[str], weights: np.ndarray) -> _CountryOrigins:
        spec = corpora.read_yaml(NAME_ORIGINS_FILE)
        column = {name: i for i, name in enumerate(country_names)}

        def weights_of(mapping: dict, where: str) -> np.ndarray:
            unknown = set(mapping) - set(column)
            if unknown:
                raise ValueError(f"{NAME_ORIGINS_FILE}: {where}: unknown countries {unknown}")
            out = np.zeros(len(country_names))
            out[[column[c] for c in mapping]] = [float(v) for v in mapping.values()]
            return out

        others = weights.copy()
        for country, factor in (spec.get("others") or {}).items():
            others[weights_of({country: 1}, "others") > 0] *= float(factor)
        groups = spec["groups"]
        tables = [others] + [weights_of(g["countries"], name) for name, g in groups.items()]
        return cls(
            names=tuple(groups),
            countries=GroupedCategorical.from_groups(
                np.repeat(np.arange(len(tables)), len(country_names)),
                np.concatenate(tables),
                len(tables),
            ),
            abroad=np.array([1.0] + [float(g["abroad"]) for g in groups.values()]),
            max_abroad=float(spec["max_abroad"]),
        )


@dataclass(frozen=True)
class NameOrigins:
    """The origin group (``formats/name_origins.yaml``) each surname and first name of
    the people model suggests, -1 for none."""

    surname: np.ndarray  # per surname of the people model
    first_name: np.ndarray  # per first name
    #: Share of a household's relatives whose first name follows its origin
    #: (``family_first_names``).
    family_share: float
    #: The first names of group g and sex x are ``family_names[family_starts[2g + x] :
    #: family_starts[2g + x + 1]]`` (indices into the people model's first names).
    family_starts: np.ndarray
    family_names: np.ndarray

    def of(self, people: People) -> np.ndarray:
        """Per person: their birth name's group, else their first name's, else -1."""
        return self.of_names(people.birth_name_index, people.first_name_index)

    def of_names(self, birth_name_index: np.ndarray, first_name_index: np.ndarray) -> np.ndarray:
        """:meth:`of`, from the people model's indices of the birth names and first names."""
        by_surname = self.surname[birth_name_index]
        return np.where(by_surname >= 0, by_surname, self.first_name[first_name_index])

    def follow(
        self, rng: np.random.Generator, group: np.ndarray, sex: np.ndarray, first: np.ndarray
    ) -> np.ndarray:
        """First names ``first`` (people-model indices) of people of origin ``group`` (-1:
        none) and ``sex``, replaced by one of their group's first names for the share
        ``family_share`` of them, where the group lists names of that sex: a Diallo is
        more often Moussa than Kevin, and second generations often get French names."""
        follow = (group >= 0) & (rng.random(len(group)) < self.family_share)
        if not follow.any():
            return first
        key = np.where(follow, group * 2 + sex, 0)
        low, high = self.family_starts[key], self.family_starts[key + 1]
        follow &= high > low  # a group with no first names of that sex keeps the draw
        pick = low + (rng.random(len(group)) * (high - low)).astype(np.int64)
        names = self.family_names
        return np.where(follow, names[np.minimum(pick, len(names) - 1)], first)

    def patients(self, rng: np.random.Generator, people: People) -> People:
        """``people`` whose first names follow their birth name's origin as their
        relatives' do (:meth:`follow`): a patient born Traore is not Kevin four times in
        five while his parents are Moussa and Aminata."""
        first = self.follow(
            rng, self.surname[people.birth_name_index], people.sex, people.first_name_index
        )
        changed = first != people.first_name_index
        if not changed.any():
            return people
        return replace(people, first_name_index=first)


@functools.cache
def load_name_origins() -> NameOrigins:
    """:class:`NameOrigins` of the installed corpora, for the installed people model;
    cached on disk (a tenth of a second of dictionaries in every worker otherwise)."""
    return derived("name-origins", _build_name_origins)


def _build_name_origins() -> NameOrigins:
    spec = corpora.read_yaml(NAME_ORIGINS_FILE)
    people = load_people()
    tables = {
        "surnames": people.surnames.to_pylist(),
        "first_names": people.first_names.to_pylist(),
    }
    out = {}
    for key, names in tables.items():
        origin = np.full(len(names), -1, dtype=np.int64)
        index: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            index.setdefault(name, []).append(i)
        for g, (group, entry) in enumerate(spec["groups"].items()):
            for name in entry.get(key) or ():
                if name not in index:
                    raise ValueError(f"{NAME_ORIGINS_FILE}: {group}: {name!r} is in no {key}")
                origin[index[name]] = g
        out[key] = origin
    sexes = corpora.read_table("reference/first_names.parquet")["sex"].to_pylist()
    sex = np.where(np.asarray(sexes) == "F", FEMALE, MALE)
    grouped = np.flatnonzero(out["first_names"] >= 0)
    key = out["first_names"][grouped] * 2 + sex[grouped]
    order = np.argsort(key, kind="stable")
    return NameOrigins(
        surname=out["surnames"],
        first_name=out["first_names"],
        family_share=float(spec["family_first_names"]),
        family_starts=np.searchsorted(key[order], np.arange(2 * len(spec["groups"]) + 1)),
        family_names=grouped[order],
    )


@functools.cache
def load_places() -> PlacesModel:
    """The places model of the installed corpora.

    Building it (commune samplers, street list and code tables) takes a few hundred
    milliseconds of Python in every process; it is cached on disk (``generator.data.derived``)
    and loads in milliseconds.
    """
    return derived("places", _build_places)


def _size_classes(sizes: dict, communes: pa.Table, department: np.ndarray) -> np.ndarray:
    """Each commune-table row's size class, by the population of its whole commune: an
    arrondissement of Paris (15,000 people in the 1st) has a capital's streets, not a
    small town's routes and hameaux."""
    city = np.asarray(communes["city"].to_pylist(), dtype=object)
    keys = np.char.add(department.astype(str), np.char.add(":", city.astype(str)))
    _, commune = np.unique(keys, return_inverse=True)
    population = communes["population"].to_numpy().astype(np.float64)
    whole = np.bincount(commune.reshape(-1), weights=population)[commune.reshape(-1)]
    return np.select(
        [
            whole >= sizes["capital_from"],
            whole >= sizes["city_from"],
            whole < sizes["village_below"],
        ],
        [CAPITAL, CITY, VILLAGE],
        TOWN,
    )


def _build_places() -> PlacesModel:
    communes = corpora.read_table("reference/communes.parquet")
    population = communes["population"].to_numpy().astype(np.float64)
    codes = communes["insee_code"].to_pylist()
    department = np.asarray(communes["department"].to_pylist(), dtype=object)
    departments = tuple(sorted(set(department)))
    department_index = np.searchsorted(np.asarray(departments, dtype=object), department)
    # A department with no population left (none, in practice) must still be drawable.
    weights = population + 1e-9

    code_value = np.array([insee_code_value(code) for code in codes], dtype=np.int64)
    countries = corpora.read_table("reference/birth_countries.csv")
    country_codes = [str(code) for code in countries["insee_code"].to_pylist()]
    origins = _CountryOrigins.build(
        countries["name"].to_pylist(), countries["weight"].to_numpy().astype(np.float64)
    )

    settings = corpora.read_yaml("formats/people.yaml")
    streets = corpora.read_yaml("reference/streets.yaml")
    type_weight = np.array([float(t["weight"]) for t in streets["types"]])
    by_size = [
        np.array([size_weight(t, size) for t in streets["types"]]) for size in range(N_SIZES)
    ]
    size_class = _size_classes(streets["size_classes"], communes, department)
    name_weight = np.array([float(t["weight"]) for t in streets["names"]])
    combos = [f"{t['name']} {m['name']}" for t in streets["types"] for m in streets["names"]]
    complements, complement_weights, complement_min_age = _render_complements(
        streets["complements"]["items"]
    )
    city = communes["city"].combine_chunks()
    postcodes = communes["postcode"].to_pylist()
    area_keys = np.asarray([f"{d}:{p[:3]}" for d, p in zip(department, postcodes, strict=True)])
    areas, area_index = np.unique(area_keys, return_inverse=True)
    return PlacesModel(
        insee_code=communes["insee_code"].combine_chunks(),
        name=communes["name"].combine_chunks(),
        city=city,
        postcode=communes["postcode"].combine_chunks(),
        code_value=code_value,
        code_bytes=_code_bytes(codes),
        department_index=department_index,
        departments=departments,
        region=np.asarray(communes["region"].to_pylist(), dtype=object),
        department=department,
        by_population=Categorical.from_weights(weights),
        by_practice=Categorical.from_weights(
            np.where(np.isin(department, settings["practice_excluded_departments"]), 0.0, weights)
        ),
        by_department=GroupedCategorical.from_groups(department_index, weights, len(departments)),
        department_weight=np.bincount(department_index, weights=population),
        streets=pa.array(
            combos + ["route " + s for s in load_prepositions().apply(city, "de").to_pylist()]
        ),
        street_combos=Categorical.from_weights(np.outer(type_weight, name_weight).ravel()),
        street_by_size=GroupedCategorical.from_groups(
            np.repeat(np.arange(N_SIZES), len(type_weight) * len(name_weight)),
            np.concatenate([np.outer(w, name_weight).ravel() for w in by_size]),
            N_SIZES,
        ),
        n_street_combos=len(type_weight) * len(name_weight),
        size_class=size_class.astype(np.int64),
        area_index=area_index.reshape(-1).astype(np.int64),
        by_area=GroupedCategorical.from_groups(area_index.reshape(-1), weights, len(areas)),
        local_rate=float(settings["practice_local_rate"]),
        house_numbers=pa.array(
            [f"{number}{suffix}" for number in range(1, 401) for suffix in ("", " bis", " ter")]
        ),
        by_country=origins.countries,
        abroad_factor=origins.abroad,
        max_abroad=origins.max_abroad,
        origin_names=origins.names,
        birth_place_names=pa.concat_arrays(
            [communes["name"].combine_chunks(), countries["name"].combine_chunks()]
        ),
        birth_code_values=np.concatenate(
            [code_value, np.array([int(code) for code in country_codes], dtype=np.int64)]
        ),
        birth_code_bytes=_code_bytes(codes + country_codes),
        route_rate=float(streets["route_de_neighbour_weight"]),
        complements=pa.array(["", *(", " + text for text in complements)]),
        by_complement=GroupedCategorical.from_groups(
            np.repeat(np.arange(N_SIZES), len(complements)), complement_weights.ravel(), N_SIZES
        ),
        complement_rate=float(streets["complements"]["rate"]),
        complement_min_age=np.concatenate([[0], complement_min_age]),
        born_abroad_steps=settings["born_abroad_rate_by_age"],
        born_in_department_rate=float(settings["born_in_residence_department_rate"]),
    )
