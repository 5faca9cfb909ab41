"""Skills frameworks: ESCO v1.2, O*NET 29.2 and an organisation's own skills list.

Everything is read from the data shipped in ``credstack/skills/data`` (never from the
network).  ESCO: https://esco.ec.europa.eu/en/use-esco/download ; O*NET:
https://www.onetcenter.org/database.html .  The attribution lines the product must show are
:data:`ESCO_ATTRIBUTION` and :data:`ONET_ATTRIBUTION`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from credstack.errors import InvalidInput, NotFound

__all__ = [
    "ESCO_ATTRIBUTION",
    "ESCO_LICENCE",
    "ONET_ATTRIBUTION",
    "Framework",
    "Occupation",
    "OnetData",
    "OnetOccupation",
    "OnetRating",
    "OnetTask",
    "OnetTechnology",
    "Skill",
    "SkillGroup",
    "SkillLink",
    "alignment",
    "data_dir",
    "load_custom",
    "load_esco",
    "load_onet",
    "occupation_alignment",
]

ESCO_ATTRIBUTION = "This service uses the ESCO classification of the European Commission."
ESCO_LICENCE = (
    "ESCO v1.2.0, English. © European Union, reuse authorised (commercial use included) "
    "with acknowledgement of the source (Commission Decision 2011/833/EU)."
)
ONET_ATTRIBUTION = (
    "This product includes information from the O*NET 29.2 Database by the U.S. Department of "
    "Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 "
    "license. O*NET® is a trademark of USDOL/ETA. The data were modified (reshaped into CSV; "
    "importance and level ratings joined per row)."
)

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
ESCO_SKILL_TYPE = "ext:ESCOSkill"
ESCO_OCCUPATION_TYPE = "ext:ESCOOccupation"

MAX_CUSTOM_BYTES = 200 * 1024 * 1024


def data_dir() -> Path:
    """The folder of the shipped reference data (``esco/``, ``onet/``, ``models/``)."""
    return Path(__file__).resolve().parent / "data"


# ------------------------------------------------------------------------------ types


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill or knowledge concept; ``broader`` holds the URIs of its parents."""

    uri: str
    label: str
    alt_labels: tuple[str, ...] = ()
    description: str = ""
    skill_type: str = "skill"
    broader: tuple[str, ...] = ()
    code: str = ""
    alt_labels_unsplit: str = ""
    """Alternative labels only available as one space-joined string (ESCO knowledge)."""
    collections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Occupation:
    """An occupation with the URIs of its essential and optional skills."""

    uri: str
    label: str
    alt_labels: tuple[str, ...] = ()
    description: str = ""
    isco_code: str = ""
    code: str = ""
    essential: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkillGroup:
    """A node of the skill hierarchy above the concepts (ESCO skill groups, ISCED-F fields)."""

    uri: str
    label: str
    code: str = ""
    description: str = ""
    broader: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkillLink:
    """A skill→skill link (ESCO: mostly skill → knowledge it needs)."""

    skill_uri: str
    relation_type: str
    related_uri: str


class Framework:
    """One skills framework: concepts, occupations, hierarchy and skill→skill links."""

    def __init__(
        self,
        name: str,
        version: str,
        skills: Mapping[str, Skill],
        occupations: Mapping[str, Occupation] | None = None,
        related: Mapping[str, tuple[str, ...]] | None = None,
        *,
        groups: Mapping[str, SkillGroup] | None = None,
        links: tuple[SkillLink, ...] = (),
    ) -> None:
        self.name = name
        self.version = version
        self.skills: dict[str, Skill] = dict(skills)
        self.occupations: dict[str, Occupation] = dict(occupations or {})
        self.related: dict[str, tuple[str, ...]] = dict(related or {})
        self.groups: dict[str, SkillGroup] = dict(groups or {})
        self.links = links
        self._needed_by: dict[str, tuple[str, ...]] | None = None
        self._fingerprint: str | None = None

    def __repr__(self) -> str:
        return (
            f"Framework({self.title!r}, skills={len(self.skills)}, "
            f"occupations={len(self.occupations)}, relations={self.relation_count})"
        )

    @property
    def title(self) -> str:
        """Name and version as ``targetFramework`` shows it (e.g. ``ESCO v1.2``)."""
        return f"{self.name} v{self.version}" if self.version else self.name

    @property
    def relation_count(self) -> int:
        """Number of occupation→skill relations (essential plus optional)."""
        return sum(len(o.essential) + len(o.optional) for o in self.occupations.values())

    def skill(self, uri: str) -> Skill:
        """The skill with this URI; :class:`NotFound` if the framework has none."""
        found = self.skills.get(uri)
        if found is None:
            raise NotFound(f"{self.title} has no skill {uri!r}")
        return found

    def occupation(self, uri: str) -> Occupation:
        """The occupation with this URI; :class:`NotFound` if the framework has none."""
        found = self.occupations.get(uri)
        if found is None:
            raise NotFound(f"{self.title} has no occupation {uri!r}")
        return found

    def group(self, uri: str) -> SkillGroup:
        """The skill group with this URI; :class:`NotFound` if the framework has none."""
        found = self.groups.get(uri)
        if found is None:
            raise NotFound(f"{self.title} has no skill group {uri!r}")
        return found

    def label_of(self, uri: str) -> str:
        """The label of a skill, group or occupation (the URI itself if unknown)."""
        for table in (self.skills, self.groups, self.occupations):
            item = table.get(uri)
            if item is not None:
                return item.label
        return uri

    def occupations_needing(self, skill_uri: str) -> tuple[str, ...]:
        """URIs of the occupations that list this skill (essential first)."""
        self.skill(skill_uri)
        if self._needed_by is None:
            essential: dict[str, list[str]] = {}
            optional: dict[str, list[str]] = {}
            for occ in self.occupations.values():
                for uri in occ.essential:
                    essential.setdefault(uri, []).append(occ.uri)
                for uri in occ.optional:
                    optional.setdefault(uri, []).append(occ.uri)
            keys = set(essential) | set(optional)
            self._needed_by = {
                k: tuple(dict.fromkeys(essential.get(k, []) + optional.get(k, []))) for k in keys
            }
        return self._needed_by.get(skill_uri, ())

    def fingerprint(self) -> str:
        """sha256 over the text of every concept: a cache key for indexes built on it."""
        if self._fingerprint is None:
            digest = hashlib.sha256(self.title.encode())
            for uri in sorted(self.skills):
                s = self.skills[uri]
                parts = (
                    s.uri,
                    s.label,
                    "|".join(s.alt_labels),
                    s.alt_labels_unsplit,
                    s.description,
                )
                digest.update("\x1f".join(parts).encode() + b"\x1e")
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def alignment(self, uri: str) -> dict[str, Any]:
        """The OB 3.0 Alignment of the skill or occupation with this URI."""
        if uri in self.occupations:
            return occupation_alignment(self.occupations[uri], self)
        return alignment(self.skill(uri), self)


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, "")}


def alignment(skill: Skill, framework: Framework) -> dict[str, Any]:
    """OB 3.0 Alignment (https://www.imsglobal.org/spec/ob/v3p0/#alignment) of a skill.

    The skills alignment rule of ``docs/eu-elements.md``: ``targetUrl`` = concept URI,
    ``targetName`` = label, ``targetFramework`` = name and version, ``targetCode`` = code,
    ``targetType`` = ``ext:ESCOSkill`` for ESCO URIs (omitted otherwise).
    """
    return _compact(
        {
            "type": ["Alignment"],
            "targetName": skill.label,
            "targetUrl": skill.uri,
            "targetDescription": skill.description or None,
            "targetFramework": framework.title,
            "targetCode": skill.code or None,
            "targetType": ESCO_SKILL_TYPE if skill.uri.startswith(ESCO_SKILL_PREFIX) else None,
        }
    )


def occupation_alignment(occupation: Occupation, framework: Framework) -> dict[str, Any]:
    """OB 3.0 Alignment of an occupation (``targetType`` ``ext:ESCOOccupation`` for ESCO)."""
    is_esco = occupation.uri.startswith(ESCO_OCCUPATION_PREFIX)
    return _compact(
        {
            "type": ["Alignment"],
            "targetName": occupation.label,
            "targetUrl": occupation.uri,
            "targetDescription": occupation.description or None,
            "targetFramework": framework.title,
            "targetCode": occupation.code or None,
            "targetType": ESCO_OCCUPATION_TYPE if is_esco else None,
        }
    )


# ------------------------------------------------------------------------------ readers


def _rows(path: Path) -> Iterator[dict[str, str]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read reference table {path.name}: {exc}") from exc


def _split(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in value.split("|") if p.strip()))


def _uuid(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


@cache
def load_esco() -> Framework:
    """ESCO v1.2.0 (English): 13,939 skills, 3,039 occupations, 129,004 relations (cached)."""
    folder = data_dir() / "esco"
    broader: dict[str, list[str]] = {}
    for row in _rows(folder / "skill_broader.csv.gz"):
        broader.setdefault(row["concept_uri"], []).append(row["broader_uri"])
    collections: dict[str, list[str]] = {}
    for row in _rows(folder / "skill_collections.csv.gz"):
        collections.setdefault(row["skill_uri"], []).append(row["collection"])
    skills: dict[str, Skill] = {}
    for row in _rows(folder / "skills.csv.gz"):
        uri = row["uri"]
        skills[uri] = Skill(
            uri=uri,
            label=row["preferred_label"].strip(),
            alt_labels=_split(row["alt_labels"]),
            description=row["description"].strip(),
            skill_type=row["skill_type"] or "skill",
            broader=tuple(broader.get(uri, ())),
            code=_uuid(uri),
            alt_labels_unsplit=row["alt_labels_unsplit"].strip(),
            collections=tuple(collections.get(uri, ())),
        )
    groups = {
        row["uri"]: SkillGroup(
            uri=row["uri"],
            label=row["preferred_label"].strip(),
            code=row["code"],
            description=row["description"].strip(),
            broader=tuple(broader.get(row["uri"], ())),
        )
        for row in _rows(folder / "skill_groups.csv.gz")
    }
    essential: dict[str, list[str]] = {}
    optional: dict[str, list[str]] = {}
    for row in _rows(folder / "occupation_skill_relations.csv.gz"):
        target = essential if row["relation_type"] == "essential" else optional
        target.setdefault(row["occupation_uri"], []).append(row["skill_uri"])
    occupations: dict[str, Occupation] = {}
    for row in _rows(folder / "occupations.csv.gz"):
        uri = row["uri"]
        occupations[uri] = Occupation(
            uri=uri,
            label=row["preferred_label"].strip(),
            alt_labels=_split(row["alt_labels"]),
            description=row["description"].strip(),
            isco_code=row["isco_code"],
            code=row["esco_code"],
            essential=tuple(essential.get(uri, ())),
            optional=tuple(optional.get(uri, ())),
        )
    links: list[SkillLink] = []
    related: dict[str, list[str]] = {}
    for row in _rows(folder / "skill_skill_relations.csv.gz"):
        link = SkillLink(row["skill_uri"], row["relation_type"], row["related_skill_uri"])
        links.append(link)
        related.setdefault(link.skill_uri, []).append(link.related_uri)
    return Framework(
        "ESCO",
        "1.2",
        skills,
        occupations,
        {k: tuple(v) for k, v in related.items()},
        groups=groups,
        links=tuple(links),
    )


# ------------------------------------------------------------------------------ O*NET


@dataclass(frozen=True, slots=True)
class OnetTask:
    """A task statement (``Core`` or ``Supplemental``)."""

    task_id: str
    text: str
    task_type: str


@dataclass(frozen=True, slots=True)
class OnetTechnology:
    """A technology skill example with its UNSPSC commodity and demand flags."""

    example: str
    commodity_code: str
    commodity_title: str
    hot: bool
    in_demand: bool


@dataclass(frozen=True, slots=True)
class OnetRating:
    """A skill or knowledge rating: importance 1–5 and level 0–7."""

    element_id: str
    name: str
    importance: float | None
    level: float | None


@dataclass(frozen=True, slots=True)
class OnetOccupation:
    """An O*NET-SOC occupation with its tasks, technologies and ratings."""

    code: str
    title: str
    description: str
    job_zone: int | None
    tasks: tuple[OnetTask, ...] = ()
    technologies: tuple[OnetTechnology, ...] = ()
    skills: tuple[OnetRating, ...] = ()
    knowledge: tuple[OnetRating, ...] = ()
    alternate_titles: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def hot_technologies(self) -> tuple[str, ...]:
        """Names of the technologies O*NET flags as hot."""
        return tuple(t.example for t in self.technologies if t.hot)


@dataclass(frozen=True, slots=True)
class OnetData:
    """O*NET 29.2 occupations keyed by O*NET-SOC code."""

    version: str
    occupations: dict[str, OnetOccupation] = field(default_factory=dict)

    def occupation(self, code: str) -> OnetOccupation:
        """The occupation with this O*NET-SOC code; :class:`NotFound` otherwise."""
        found = self.occupations.get(code)
        if found is None:
            raise NotFound(f"O*NET {self.version} has no occupation {code!r}")
        return found


def _float(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _group(rows: Iterable[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        out.setdefault(row["onet_soc_code"], []).append(row)
    return out


def _ratings(rows: list[dict[str, str]]) -> tuple[OnetRating, ...]:
    return tuple(
        OnetRating(r["element_id"], r["element_name"], _float(r["importance"]), _float(r["level"]))
        for r in rows
    )


@cache
def load_onet() -> OnetData:
    """O*NET 29.2: occupations, tasks, technology skills, skill and knowledge ratings (cached)."""
    folder = data_dir() / "onet"
    tasks = _group(_rows(folder / "task_statements.csv.gz"))
    tech = _group(_rows(folder / "technology_skills.csv.gz"))
    skills = _group(_rows(folder / "skills_ratings.csv.gz"))
    knowledge = _group(_rows(folder / "knowledge_ratings.csv.gz"))
    titles = _group(_rows(folder / "alternate_titles.csv.gz"))
    related = _group(_rows(folder / "related_occupations.csv.gz"))
    occupations: dict[str, OnetOccupation] = {}
    for row in _rows(folder / "occupations.csv.gz"):
        code = row["onet_soc_code"]
        zone = row["job_zone"]
        occupations[code] = OnetOccupation(
            code=code,
            title=row["title"],
            description=row["description"],
            job_zone=int(zone) if zone.isdigit() else None,
            tasks=tuple(
                OnetTask(t["task_id"], t["task"], t["task_type"]) for t in tasks.get(code, [])
            ),
            technologies=tuple(
                OnetTechnology(
                    t["example"],
                    t["commodity_code"],
                    t["commodity_title"],
                    t["hot_technology"] == "Y",
                    t["in_demand"] == "Y",
                )
                for t in tech.get(code, [])
            ),
            skills=_ratings(skills.get(code, [])),
            knowledge=_ratings(knowledge.get(code, [])),
            alternate_titles=tuple(t["alternate_title"] for t in titles.get(code, [])),
            related=tuple(r["related_onet_soc_code"] for r in related.get(code, [])),
        )
    return OnetData("29.2", occupations)


# ------------------------------------------------------------------------------ custom


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string")
    return value.strip()


def _labels(value: object, what: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return _split(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    raise InvalidInput(f"{what} must be a list of strings or a |-separated string")


def _custom_skill(record: Mapping[str, object], where: str) -> Skill:
    uri = _text(record.get("uri"), f"{where}: uri")
    label = _text(record.get("label"), f"{where}: label")
    if not uri or not label:
        raise InvalidInput(f"{where}: every skill needs a uri and a label")
    return Skill(
        uri=uri,
        label=label,
        alt_labels=_labels(record.get("alt_labels"), f"{where}: alt_labels"),
        description=_text(record.get("description"), f"{where}: description"),
        skill_type=_text(record.get("skill_type"), f"{where}: skill_type") or "skill",
        broader=_labels(record.get("broader"), f"{where}: broader"),
        code=_text(record.get("code"), f"{where}: code"),
    )


def load_custom(path: Path | str, *, name: str | None = None, version: str = "") -> Framework:
    """An organisation's own skills list, from JSON Lines (``.jsonl``) or CSV (``.csv``).

    Each record has ``uri`` and ``label`` (required), ``alt_labels`` (a JSON list, or a
    ``|``-separated string in CSV), ``description``, and optionally ``skill_type``,
    ``broader`` and ``code``.  Duplicate URIs and malformed lines raise :class:`InvalidInput`.
    """
    source = Path(path)
    try:
        if source.stat().st_size > MAX_CUSTOM_BYTES:
            raise InvalidInput(f"{source} is larger than {MAX_CUSTOM_BYTES} bytes")
        raw = source.read_bytes()
        content = raw.decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read skills list {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"skills list {source} is not UTF-8") from exc
    skills: dict[str, Skill] = {}
    records: list[tuple[str, Mapping[str, object]]] = []
    if source.suffix.lower() == ".csv":
        try:
            reader = csv.DictReader(io.StringIO(content, newline=""))
            for number, row in enumerate(reader, start=2):
                records.append((f"{source.name} line {number}", dict(row)))
        except csv.Error as exc:
            raise InvalidInput(f"{source} is not valid CSV: {exc}") from exc
        if not records:
            raise InvalidInput(f"{source} has no skills (a header row and one row a skill)")
    else:
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{source.name} line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{where} is not JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise InvalidInput(f"{where} is not a JSON object")
            records.append((where, record))
    for where, record in records:
        skill = _custom_skill(record, where)
        if skill.uri in skills:
            raise InvalidInput(f"{where}: duplicate uri {skill.uri!r}")
        skills[skill.uri] = skill
    if not skills:
        raise InvalidInput(f"{source} has no skills")
    return Framework(name or source.stem, version, skills)
