"""The EU standard-element check: which of the 16 elements an achievement or a credential states.

Council Recommendation 2022/C 243/02, Annex I
(https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32022H0627(02)) lists 11 mandatory
and 5 optional elements describing a micro-credential.  credstack writes them into Open Badges
3.0 JSON as ``docs/eu-elements.md`` documents (:mod:`credstack.platform.achievement_design`);
this module reads them back along the same paths and says, per element, whether it is
*present*, *missing* or *malformed*, why, and where it looked.  Scoring rules: ``docs/quality.md``.

Input is any parsed JSON: a credential from another issuer, from the VC-API or from a file is
checked the same way, and a shape the mapping does not expect yields "missing" or "malformed"
findings, never an exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from credstack.errors import InvalidInput
from credstack.models.vc import parse_xsd_datetime
from credstack.platform.achievement_design import (
    ASSESSMENT_DETAILS,
    ASSESSMENT_TYPE,
    CREDIT_SYSTEM,
    EQF_LEVEL,
    FURTHER_INFORMATION,
    LEARNING_OUTCOME,
    NQF_LEVEL,
    PARTICIPATION_FORM,
    PREREQUISITES,
    QUALITY_ASSURANCE,
    STACKABILITY,
    STACKABLE_TOWARDS,
    SUPERVISION,
    WORKLOAD_HOURS,
    AchievementDesign,
    AssessmentType,
    ParticipationForm,
    StackabilityMode,
    Supervision,
    to_achievement,
)

__all__ = [
    "ELEMENTS",
    "MANDATORY_COUNT",
    "OPTIONAL_COUNT",
    "Element",
    "ElementReport",
    "Finding",
    "Status",
    "Tally",
    "check_achievement",
    "check_credential",
]


class Status(StrEnum):
    """What the check found for one element."""

    PRESENT = "present"
    """Found where the mapping puts it, with a usable value."""
    MISSING = "missing"
    """Nothing where the mapping puts it."""
    MALFORMED = "malformed"
    """Something is where the mapping puts it, but it cannot be read as the element."""
    AT_ISSUANCE = "at-issuance"
    """Achievement reports only: the element is written into each credential when it is issued
    (the learner, the date), or taken from the issuer then (no ``creator`` in the achievement)."""


@dataclass(frozen=True, slots=True)
class Element:
    """One standard element: a stable id, its Annex I wording, and whether it is mandatory."""

    id: str
    name: str
    mandatory: bool
    number: int | None = None
    """Its number in the Annex I list of mandatory elements (``None`` for optional ones)."""


ELEMENTS: tuple[Element, ...] = (
    Element("learner", "Identification of the learner", True, 1),
    Element("title", "Title of the micro-credential", True, 2),
    Element("country", "Country(ies)/Region(s) of the issuer", True, 3),
    Element("awarding-body", "Awarding body(ies)", True, 4),
    Element("date-of-issuing", "Date of issuing", True, 5),
    Element("learning-outcomes", "Learning outcomes", True, 6),
    Element(
        "workload",
        "Notional workload needed to achieve the learning outcomes (in ECTS, wherever possible)",
        True,
        7,
    ),
    Element(
        "level",
        "Level (and cycle, if applicable) of the learning experience leading to the "
        "micro-credential (EQF, QF-EHEA), if applicable",
        True,
        8,
    ),
    Element("assessment", "Type of assessment", True, 9),
    Element("participation", "Form of participation in the learning activity", True, 10),
    Element(
        "quality-assurance",
        "Type of quality assurance used to underpin the micro-credential",
        True,
        11,
    ),
    Element("prerequisites", "Prerequisites needed to enrol in the learning activity", False),
    Element("supervision", "Supervision and identity verification during assessment", False),
    Element("grade", "Grade achieved", False),
    Element("stackability", "Integration/stackability options", False),
    Element("further-information", "Further information", False),
)
MANDATORY_COUNT = sum(1 for e in ELEMENTS if e.mandatory)
OPTIONAL_COUNT = len(ELEMENTS) - MANDATORY_COUNT
_BY_ID = {e.id: e for e in ELEMENTS}

MAX_VALUE_CHARS = 200
"""Display values are cut to this many characters."""
MAX_PATHS = 8
"""At most this many JSON paths are listed per finding."""

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")
_COUNTRY = re.compile(r"[A-Z]{2}")
_EQF_URL = re.compile(r"https?://data\.europa\.eu/snb/eqf/([1-8])")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


# --------------------------------------------------------------------------------------------
# Findings and the report


@dataclass(frozen=True, slots=True)
class Finding:
    """The check's result for one element."""

    element: Element
    status: Status
    reason: str
    """A plain sentence: what was found, or what is missing or wrong."""
    paths: tuple[str, ...]
    """Where it was read (or looked for), as JSON paths from the checked document's root."""
    value: str | None = None
    """The element's value in short, for display (present elements only)."""

    @property
    def sentence(self) -> str:
        """The reason as a sentence for display: capitalised, unless it opens with a JSON path
        (``credentialSubject.id …``, ``validFrom …``), and with a full stop."""
        first = self.reason.split(" ", 1)[0]
        path = any(c in first for c in ".[") or first[1:] != first[1:].lower()
        text = self.reason if path else self.reason[:1].upper() + self.reason[1:]
        return text if text.endswith(".") else f"{text}."

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.element.id,
            "name": self.element.name,
            "mandatory": self.element.mandatory,
            "status": self.status.value,
            "reason": self.reason,
            "paths": list(self.paths),
        }
        if self.element.number is not None:
            out["number"] = self.element.number
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of one group of elements (mandatory or optional)."""

    present: int
    at_issuance: int
    missing: int
    malformed: int
    total: int

    @property
    def met(self) -> int:
        """Elements that count towards the score: present, or written at issuance."""
        return self.present + self.at_issuance

    @property
    def score(self) -> float:
        """``met / total``, between 0 and 1."""
        return self.met / self.total if self.total else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "total": self.total,
            "score": round(self.score, 4),
            "present": self.present,
            "atIssuance": self.at_issuance,
            "missing": self.missing,
            "malformed": self.malformed,
        }


def _tally(findings: Iterable[Finding]) -> Tally:
    counts = dict.fromkeys(Status, 0)
    total = 0
    for finding in findings:
        counts[finding.status] += 1
        total += 1
    return Tally(
        present=counts[Status.PRESENT],
        at_issuance=counts[Status.AT_ISSUANCE],
        missing=counts[Status.MISSING],
        malformed=counts[Status.MALFORMED],
        total=total,
    )


@dataclass(frozen=True, slots=True)
class ElementReport:
    """One finding per element of :data:`ELEMENTS`, in that order."""

    subject: Literal["achievement", "credential"]
    findings: tuple[Finding, ...]

    @property
    def mandatory(self) -> Tally:
        return _tally(f for f in self.findings if f.element.mandatory)

    @property
    def optional(self) -> Tally:
        return _tally(f for f in self.findings if not f.element.mandatory)

    @property
    def score(self) -> float:
        """The completeness score: mandatory elements met / 11 (see ``docs/quality.md``)."""
        return self.mandatory.score

    @property
    def complete(self) -> bool:
        """Whether every mandatory element is met."""
        mandatory = self.mandatory
        return mandatory.met == mandatory.total

    @property
    def gaps(self) -> tuple[Finding, ...]:
        """The mandatory elements that are missing or malformed."""
        return tuple(
            f
            for f in self.findings
            if f.element.mandatory and f.status in (Status.MISSING, Status.MALFORMED)
        )

    def finding(self, element_id: str) -> Finding:
        """The finding of one element, by id (``KeyError`` for an unknown id)."""
        wanted = _BY_ID[element_id]
        return next(f for f in self.findings if f.element is wanted)

    def summary(self) -> str:
        """One sentence, e.g. "9 of 11 mandatory EU elements, 3 of 5 optional ones"."""
        mandatory, optional = self.mandatory, self.optional
        text = (
            f"{mandatory.met} of {mandatory.total} mandatory EU elements, "
            f"{optional.met} of {optional.total} optional ones"
        )
        problems = []
        if mandatory.missing:
            problems.append(f"{mandatory.missing} mandatory missing")
        if mandatory.malformed:
            problems.append(f"{mandatory.malformed} mandatory malformed")
        return f"{text} ({', '.join(problems)})" if problems else text

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "score": round(self.score, 4),
            "complete": self.complete,
            "summary": self.summary(),
            "mandatory": self.mandatory.to_json(),
            "optional": self.optional.to_json(),
            "elements": [f.to_json() for f in self.findings],
        }


# --------------------------------------------------------------------------------------------
# Reading helpers (total functions: any JSON value in, never an exception out)

_Entry = tuple[str, dict[str, Any]]


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _entries(value: Any, path: str) -> list[_Entry]:
    """The objects of a set given as an array or (JSON-LD compacted) one object, with paths."""
    if isinstance(value, dict):
        return [(path, value)]
    if isinstance(value, list):
        return [(f"{path}[{i}]", item) for i, item in enumerate(value) if isinstance(item, dict)]
    return []


def _text(value: Any) -> str | None:
    """A non-blank string, else ``None``."""
    return value if isinstance(value, str) and value.strip() else None


def _short(value: str) -> str:
    text = " ".join(value.split())
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return repr(_short(value)) if value.strip() else "an empty string"
    return _kind(value)


def _paths(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for path in items:
        if path not in out:
            out.append(path)
        if len(out) == MAX_PATHS:
            break
    return tuple(out)


def _is_uri(value: Any) -> bool:
    return isinstance(value, str) and _URI.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class _Result:
    status: Status
    reason: str
    paths: tuple[str, ...]
    value: str | None = None


def _present(reason: str, paths: Iterable[str], value: str | None) -> _Result:
    return _Result(Status.PRESENT, reason, _paths(paths), None if value is None else _short(value))


def _missing(reason: str, *paths: str) -> _Result:
    return _Result(Status.MISSING, reason, _paths(paths))


def _malformed(reason: str, paths: Iterable[str]) -> _Result:
    return _Result(Status.MALFORMED, reason, _paths(paths))


def _at_issuance(reason: str, *paths: str) -> _Result:
    return _Result(Status.AT_ISSUANCE, reason, _paths(paths))


@dataclass(slots=True)
class _Parts:
    """The valid and the malformed entries found for one element."""

    good: list[tuple[str, str]]  # (path, display value)
    bad: list[tuple[str, str]]  # (path, problem)

    def verdict(self, missing: _Result, label: str) -> _Result:
        if self.bad:
            path, problem = self.bad[0]
            more = f" ({len(self.bad) - 1} more such entries)" if len(self.bad) > 1 else ""
            return _malformed(f"{path}: {problem}{more}", (p for p, _ in self.bad))
        if not self.good:
            return missing
        values = [v for _, v in self.good if v]  # an empty value: a path read, nothing to show
        return _present(f"read from {label}", (p for p, _ in self.good), "; ".join(values))


def _parts() -> _Parts:
    return _Parts([], [])


@dataclass(slots=True)
class _Achievement:
    """The Achievement's members the mapping reads, indexed once."""

    base: str
    data: dict[str, Any]
    alignments: list[_Entry]
    by_target_type: dict[str, list[_Entry]]
    identifiers: dict[str, list[_Entry]]
    descriptions: list[_Entry]

    @classmethod
    def of(cls, data: dict[str, Any], base: str) -> _Achievement:
        alignments = _entries(data.get("alignment"), _join(base, "alignment"))
        by_type: dict[str, list[_Entry]] = {}
        for entry in alignments:
            kind = entry[1].get("targetType")
            if isinstance(kind, str):
                by_type.setdefault(kind, []).append(entry)
        identifiers: dict[str, list[_Entry]] = {}
        for entry in _entries(data.get("otherIdentifier"), _join(base, "otherIdentifier")):
            kind = entry[1].get("identifierType")
            if isinstance(kind, str):
                identifiers.setdefault(kind, []).append(entry)
        descriptions = _entries(data.get("resultDescription"), _join(base, "resultDescription"))
        return cls(base, data, alignments, by_type, identifiers, descriptions)

    def path(self, key: str) -> str:
        return _join(self.base, key)

    def alignment_path(self, target_type: str) -> str:
        return f"{self.path('alignment')}[?(@.targetType=='{target_type}')]"

    def identifier_path(self, identifier_type: str) -> str:
        return f"{self.path('otherIdentifier')}[?(@.identifierType=='{identifier_type}')]"

    def outcome_path(self) -> str:
        return f"{self.path('resultDescription')}[?(@.resultType=='{LEARNING_OUTCOME}')]"

    def codes(self, identifier_type: str, allowed: Iterable[str], parts: _Parts) -> None:
        """Check the ``identifier`` of every otherIdentifier of ``identifier_type``."""
        choices = tuple(allowed)
        for path, entry in self.identifiers.get(identifier_type, []):
            code = entry.get("identifier")
            if isinstance(code, str) and code in choices:
                parts.good.append((path, code))
            else:
                parts.bad.append(
                    (path, f"identifier {_quote(code)} is not one of {', '.join(choices)}")
                )

    def texts(self, target_type: str, parts: _Parts) -> None:
        """Check the ``targetDescription`` of every alignment of ``target_type``."""
        for path, entry in self.alignments_of(target_type):
            description = _text(entry.get("targetDescription"))
            url = entry.get("targetUrl")
            if description is None:
                problem = f"targetDescription is {_quote(entry.get('targetDescription'))}"
                parts.bad.append((path, f"{problem}, not the element's text"))
            elif url is not None and not _is_uri(url):
                parts.bad.append((path, f"targetUrl {_quote(url)} is not an absolute URI"))
            else:
                parts.good.append((path, description))

    def alignments_of(self, target_type: str) -> list[_Entry]:
        return self.by_target_type.get(target_type, [])

    def outcomes(self) -> list[_Entry]:
        return [e for e in self.descriptions if e[1].get("resultType") == LEARNING_OUTCOME]

    def grade_scales(self) -> list[_Entry]:
        return [e for e in self.descriptions if e[1].get("resultType") != LEARNING_OUTCOME]


# --------------------------------------------------------------------------------------------
# Element checks on the Achievement (paths relative to the checked document)


def _title(a: _Achievement) -> _Result:
    path = a.path("name")
    if "name" not in a.data:
        return _missing("the achievement has no name", path)
    name = _text(a.data["name"])
    if name is None:
        return _malformed(f"name is {_quote(a.data['name'])}, not a title", [path])
    return _present("read from the achievement's name", [path], name)


def _learning_outcomes(a: _Achievement) -> _Result:
    parts = _parts()
    for path, entry in a.outcomes():
        name = _text(entry.get("name"))
        if name is None:
            parts.bad.append((path, f"the outcome's name is {_quote(entry.get('name'))}"))
        else:
            parts.good.append((path, name))
    missing = _missing(
        f"no resultDescription with resultType {LEARNING_OUTCOME} (the criteria text is for "
        "people and is not read as learning outcomes)",
        a.outcome_path(),
    )
    result = parts.verdict(missing, "the learning-outcome result descriptions")
    if result.status is Status.PRESENT and len(parts.good) > 1:
        first = parts.good[0][1]
        return _present(result.reason, result.paths, f"{len(parts.good)} outcomes: {first} …")
    return result


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _format(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


def _workload(a: _Achievement) -> _Result:
    parts = _parts()
    credits_path = a.path("creditsAvailable")
    credits = a.data.get("creditsAvailable")
    systems = a.identifiers.get(CREDIT_SYSTEM, [])
    for path, entry in systems:
        system = _text(entry.get("identifier"))
        if system is None:
            parts.bad.append((path, f"the credit system is {_quote(entry.get('identifier'))}"))
        elif "creditsAvailable" not in a.data:
            parts.bad.append((path, f"names the credit system {system!r} but there is no "
                                    "creditsAvailable"))  # fmt: skip
        elif (number := _number(credits)) is None:
            parts.bad.append((credits_path, f"{_quote(credits)} is not a positive number"))
        else:
            parts.good.append((credits_path, f"{_format(number)} {system}"))
            parts.good.append((path, ""))
    for path, entry in a.identifiers.get(WORKLOAD_HOURS, []):
        hours = entry.get("identifier")
        if not (isinstance(hours, str) and _DECIMAL.fullmatch(hours) and float(hours) > 0):
            parts.bad.append((path, f"the hours {_quote(hours)} are not a positive decimal"))
        else:
            parts.good.append((path, f"{hours} hours"))
    if "creditsAvailable" in a.data and not systems:
        reason = (
            f"creditsAvailable {_quote(credits)} has no credit system (an otherIdentifier "
            f"{CREDIT_SYSTEM} such as ECTS), so it is not read as a workload, and there are no "
            f"workload hours ({WORKLOAD_HOURS})"
        )
    else:
        reason = (
            f"no creditsAvailable with an {CREDIT_SYSTEM} credit system, and no workload hours "
            f"(otherIdentifier {WORKLOAD_HOURS})"
        )
    missing = _missing(reason, credits_path, a.identifier_path(WORKLOAD_HOURS))
    return parts.verdict(missing, "the credits and workload hours")


def _level(a: _Achievement) -> _Result:
    parts = _parts()
    for path, entry in a.alignments:
        url = entry.get("targetUrl")
        match = _EQF_URL.fullmatch(url) if isinstance(url, str) else None
        if match is not None:
            parts.good.append((path, f"EQF level {match[1]}"))
        elif entry.get("targetType") == EQF_LEVEL:
            parts.bad.append(
                (path, f"targetUrl {_quote(url)} is not http://data.europa.eu/snb/eqf/<1-8>")
            )
    for path, entry in a.alignments_of(NQF_LEVEL):
        code, framework = _text(entry.get("targetCode")), _text(entry.get("targetFramework"))
        if code is None or framework is None or not _is_uri(entry.get("targetUrl")):
            parts.bad.append(
                (path, "an NQF level needs targetCode, targetFramework and a targetUrl URI")
            )
        else:
            parts.good.append((path, f"{framework} level {code}"))
    missing = _missing(
        "no EQF level (an alignment to http://data.europa.eu/snb/eqf/<n>) and no national "
        f"level ({NQF_LEVEL}); Annex I asks for the level if one applies",
        a.alignment_path(EQF_LEVEL),
        a.alignment_path(NQF_LEVEL),
    )
    return parts.verdict(missing, "the level alignments")


def _assessment(a: _Achievement) -> _Result:
    parts, details = _parts(), _parts()
    a.codes(ASSESSMENT_TYPE, (t.value for t in AssessmentType), parts)
    a.texts(ASSESSMENT_DETAILS, details)
    other = [p for p, v in parts.good if v == AssessmentType.OTHER.value]
    if other and not details.good and not details.bad:
        parts.bad.append(
            (other[0], f"type 'other' needs the details text (alignment {ASSESSMENT_DETAILS})")
        )
    parts.good.extend(details.good)
    parts.bad.extend(details.bad)
    missing = _missing(
        f"no assessment type (otherIdentifier {ASSESSMENT_TYPE}) and no assessment details "
        f"(alignment {ASSESSMENT_DETAILS})",
        a.identifier_path(ASSESSMENT_TYPE),
        a.alignment_path(ASSESSMENT_DETAILS),
    )
    return parts.verdict(missing, "the assessment types and details")


def _participation(a: _Achievement) -> _Result:
    parts = _parts()
    a.codes(PARTICIPATION_FORM, (f.value for f in ParticipationForm), parts)
    missing = _missing(
        f"no form of participation (otherIdentifier {PARTICIPATION_FORM})",
        a.identifier_path(PARTICIPATION_FORM),
    )
    return parts.verdict(missing, "the form of participation")


def _text_element(a: _Achievement, target_type: str, what: str) -> _Result:
    parts = _parts()
    a.texts(target_type, parts)
    missing = _missing(f"no {what} (alignment {target_type})", a.alignment_path(target_type))
    return parts.verdict(missing, f"the {what} alignment")


def _supervision(a: _Achievement) -> _Result:
    parts = _parts()
    a.codes(SUPERVISION, (s.value for s in Supervision), parts)
    missing = _missing(
        f"no supervision and identity verification (otherIdentifier {SUPERVISION})",
        a.identifier_path(SUPERVISION),
    )
    return parts.verdict(missing, "the supervision entry")


def _stackability(a: _Achievement) -> _Result:
    parts = _parts()
    a.codes(STACKABILITY, (m.value for m in StackabilityMode), parts)
    standalone = [p for p, v in parts.good if v == StackabilityMode.STANDALONE.value]
    targets = a.alignments_of(STACKABLE_TOWARDS)
    for path, entry in targets:
        name = _text(entry.get("targetName"))
        if name is None or not _is_uri(entry.get("targetUrl")):
            parts.bad.append((path, "a stacking target needs a targetUrl URI and a targetName"))
        else:
            parts.good.append((path, f"towards {name}"))
    if standalone and targets:
        parts.bad.append((standalone[0], "a standalone micro-credential stacks towards nothing"))
    missing = _missing(
        f"no stackability (otherIdentifier {STACKABILITY}, alignments {STACKABLE_TOWARDS})",
        a.identifier_path(STACKABILITY),
        a.alignment_path(STACKABLE_TOWARDS),
    )
    return parts.verdict(missing, "the stackability entries")


def _grade_scale(a: _Achievement) -> tuple[_Entry | None, _Result]:
    """The grade scale (the first result description that is not a learning outcome)."""
    scales = a.grade_scales()
    if not scales:
        missing = _missing(
            "no grade scale (a resultDescription that is not a learning outcome)",
            a.path("resultDescription"),
        )
        return None, missing
    path, entry = scales[0]
    name, kind = _text(entry.get("name")), _text(entry.get("resultType"))
    if name is None or kind is None:
        return None, _malformed(f"{path}: a grade scale needs a name and a resultType", [path])
    allowed = entry.get("allowedValue")
    items = allowed if isinstance(allowed, list) else [allowed]
    values = [text for v in items if (text := _text(v)) is not None]
    shown = f"{name} ({kind}: {', '.join(values)})" if values else f"{name} ({kind})"
    return (path, entry), _present("read from the grade scale", [path], shown)


# --------------------------------------------------------------------------------------------
# Issuer (awarding body, country): the credential's issuer, or the achievement's creator


def _profile_name(profile: Any, path: str) -> _Result:
    if isinstance(profile, str):
        if not _is_uri(profile):
            return _malformed(f"{path} {_quote(profile)} is not a URI", [path])
        return _malformed(
            f"{path} is only an identifier ({_short(profile)}), without a name", [path]
        )
    if not isinstance(profile, dict):
        return _malformed(f"{path} is {_kind(profile)}, not a profile", [path])
    if not _is_uri(profile.get("id")):
        return _malformed(
            f"{path}.id {_quote(profile.get('id'))} is not a URI", [_join(path, "id")]
        )
    name = _text(profile.get("name"))
    if name is None:
        return _malformed(f"{path} has no name", [_join(path, "name")])
    return _present(f"read from {path}", [_join(path, "name")], name)


def _country_of(profile: Any, path: str) -> _Result:
    address_path = _join(path, "address")
    code_path = _join(address_path, "addressCountryCode")
    if not isinstance(profile, dict):
        return _missing(f"{path} is not a profile with an address", code_path)
    address = profile.get("address")
    if address is None:
        return _missing(f"{path} has no address with an addressCountryCode", code_path)
    if not isinstance(address, dict):
        return _malformed(f"{address_path} is {_kind(address)}, not an address", [address_path])
    if "addressCountryCode" not in address:
        return _missing(f"{address_path} has no addressCountryCode", code_path)
    code = address["addressCountryCode"]
    if not (isinstance(code, str) and _COUNTRY.fullmatch(code)):
        return _malformed(
            f"{code_path} {_quote(code)} is not an ISO 3166-1 alpha-2 code (e.g. AT)", [code_path]
        )
    return _present(f"read from {code_path}", [code_path], code)


def _creator(a: _Achievement) -> tuple[_Result, _Result]:
    """Awarding body and country of an achievement, from its ``creator``."""
    path = a.path("creator")
    if "creator" not in a.data:
        return (
            _at_issuance("no creator: the credential's issuer is the awarding body", path),
            _at_issuance("no creator: the country is read from the credential's issuer", path),
        )
    creator = a.data["creator"]
    return _profile_name(creator, path), _country_of(creator, path)


def _issuer(credential: dict[str, Any], a: _Achievement | None) -> tuple[_Result, _Result]:
    """Awarding body and country of a credential: its issuer (and a co-branding creator)."""
    if "issuer" not in credential:
        return (
            _missing("the credential has no issuer", "issuer"),
            _missing("the credential has no issuer", "issuer.address.addressCountryCode"),
        )
    issuer = credential["issuer"]
    body = _profile_name(issuer, "issuer")
    country = _country_of(issuer, "issuer")
    creator = a.data.get("creator") if a is not None else None
    if a is None or not isinstance(creator, dict) or not isinstance(issuer, dict):
        return body, country
    same = creator.get("id") == issuer.get("id")
    if country.status is Status.MISSING and same:  # the issuer is the creator
        fallback = _country_of(creator, a.path("creator"))
        if fallback.status is not Status.MISSING:
            country = fallback
    if body.status is Status.PRESENT and not same:
        partner = _profile_name(creator, a.path("creator"))
        if partner.status is Status.PRESENT:
            body = _present(
                "read from issuer and the achievement's creator (co-branding)",
                (*body.paths, *partner.paths),
                f"{body.value} with {partner.value}",
            )
    return body, country


# --------------------------------------------------------------------------------------------
# Credential-level elements: learner, date of issuing, grade achieved


def _learner(subject: Any, path: str) -> _Result:
    id_path, identifier_path = _join(path, "id"), _join(path, "identifier")
    if not isinstance(subject, dict):
        return _missing(f"{path} is {_kind(subject)}, not a subject", id_path)
    parts = _parts()
    if "id" in subject:
        subject_id = subject["id"]
        if _is_uri(subject_id):
            parts.good.append((id_path, str(subject_id)))
        else:
            parts.bad.append((id_path, f"{_quote(subject_id)} is not a URI"))
    raw = subject.get("identifier")
    entries = _entries(raw, identifier_path)
    if raw is not None and not entries:
        parts.bad.append((identifier_path, f"{_kind(raw)}, not identity objects"))
    for entry_path, entry in entries:
        kind = _text(entry.get("identityType"))
        if kind is None or _text(entry.get("identityHash")) is None:
            parts.bad.append((entry_path, "an identifier needs identityType and identityHash"))
        else:  # the kind only: a plain identifier (an e-mail address) is not shown
            parts.good.append(
                (entry_path, f"{'hashed ' if entry.get('hashed') is True else ''}{kind}")
            )
    missing = _missing(
        f"the subject has neither an id nor an identifier ({id_path}, {identifier_path})",
        id_path,
        identifier_path,
    )
    return parts.verdict(missing, "the credential subject")


def _date(credential: dict[str, Any]) -> _Result:
    for key in ("validFrom", "issuanceDate"):  # VC 2.0; VC 1.1 for credentials from elsewhere
        if key not in credential:
            continue
        value = credential[key]
        try:
            parse_xsd_datetime(value)
        except (InvalidInput, ValueError, OverflowError):
            return _malformed(
                f"{key} {_quote(value)} is not a date and time with a time zone", [key]
            )
        return _present(f"read from {key}", [key], str(value))
    return _missing("the credential has no validFrom (nor a VC 1.1 issuanceDate)", "validFrom")


def _grade(subject: Any, path: str, a: _Achievement | None) -> _Result:
    """The learner's grade: a ``result`` that refers to a result description which is not a
    learning outcome (or to none), with a value (allowed by the grade scale, if it lists any)."""
    result_path = _join(path, "result")
    scale = _grade_scale(a)[0] if a is not None else None
    outcomes = {i for _, e in a.outcomes() if isinstance(i := e.get("id"), str)} if a else set()
    scales = {i: e for _, e in a.grade_scales() if isinstance(i := e.get("id"), str)} if a else {}
    results = _entries(subject.get("result"), result_path) if isinstance(subject, dict) else []
    parts = _parts()
    for entry_path, entry in results:
        refers = entry.get("resultDescription")
        refers = refers if isinstance(refers, str) else None
        if refers in outcomes:
            continue
        value = entry.get("value")
        if _text(value) is None:
            if "value" in entry:
                parts.bad.append((entry_path, f"the grade value is {_quote(value)}"))
            continue
        described = scales.get(refers) if refers is not None else None
        allowed = described.get("allowedValue") if described is not None else None
        if isinstance(allowed, list) and allowed and value not in allowed:
            parts.bad.append((entry_path, f"{_quote(value)} is not an allowed value of the scale"))
        else:
            parts.good.append((entry_path, str(value)))
    if scale is not None:
        reason = (
            f"the achievement defines a grade scale ({scale[0]}) but {result_path} holds no "
            "grade value"
        )
    else:
        reason = f"no grade: {result_path} holds no value"
    return parts.verdict(_missing(reason, result_path), result_path)


# --------------------------------------------------------------------------------------------
# Entry points


def _achievement_results(a: _Achievement) -> dict[str, _Result]:
    return {
        "title": _title(a),
        "learning-outcomes": _learning_outcomes(a),
        "workload": _workload(a),
        "level": _level(a),
        "assessment": _assessment(a),
        "participation": _participation(a),
        "quality-assurance": _text_element(a, QUALITY_ASSURANCE, "quality assurance"),
        "prerequisites": _text_element(a, PREREQUISITES, "prerequisites"),
        "supervision": _supervision(a),
        "stackability": _stackability(a),
        "further-information": _text_element(a, FURTHER_INFORMATION, "further information"),
    }


def _report(
    subject: Literal["achievement", "credential"], results: Mapping[str, _Result]
) -> ElementReport:
    findings = tuple(
        Finding(element, r.status, r.reason, r.paths, r.value)
        for element in ELEMENTS
        for r in (results[element.id],)
    )
    return ElementReport(subject, findings)


_DESIGN_ID = "urn:credstack:design-check"
_DESIGN_ISSUER = {"id": "urn:credstack:design-issuer", "type": ["Profile"], "name": "issuer"}


def check_achievement(
    achievement: Any, *, issuer_profile: Mapping[str, Any] | None = None
) -> ElementReport:
    """The element report of an OB 3.0 ``Achievement`` (parsed JSON) or an
    :class:`~credstack.platform.achievement_design.AchievementDesign`.

    Paths are relative to the Achievement.  The learner and the date of issuing are
    :attr:`Status.AT_ISSUANCE`.  The awarding body and the country are read, as in a credential,
    from ``issuer_profile`` (the issuing organisation's Profile; paths ``issuer…``) with the
    ``creator`` as co-branding partner; without it from the ``creator`` alone, and left to
    issuance when there is none.  A design is first mapped with
    :func:`~credstack.platform.achievement_design.to_achievement` (``issuer_profile`` becomes its
    creator unless the design names one).  Only a bad ``issuer_profile`` given with a design
    raises (``InvalidInput``); anything else yields findings.
    """
    if isinstance(achievement, AchievementDesign):
        rendered = to_achievement(
            achievement, achievement_id=_DESIGN_ID, issuer_profile=issuer_profile or _DESIGN_ISSUER
        )
        if issuer_profile is None and achievement.creator is None:
            del rendered["creator"]
        achievement = rendered
    if not isinstance(achievement, dict):
        reason = f"the achievement is {_kind(achievement)}, not a JSON object"
        results = {e.id: _missing(reason, "$") for e in ELEMENTS}
        return _report("achievement", results)
    a = _Achievement.of(achievement, "")
    if issuer_profile is not None:  # as a credential will have them
        body, country = _issuer({"issuer": dict(issuer_profile)}, a)
    else:
        body, country = _creator(a)
    results = _achievement_results(a)
    results["learner"] = _at_issuance(
        "written into each credential at issuance (credentialSubject.id or identifier)",
        "credentialSubject.id",
        "credentialSubject.identifier",
    )
    results["date-of-issuing"] = _at_issuance(
        "written into each credential at issuance (validFrom)", "validFrom"
    )
    results["awarding-body"] = body
    results["country"] = country
    results["grade"] = _grade_scale(a)[1]
    return _report("achievement", results)


def check_credential(credential: Any) -> ElementReport:
    """The element report of a credential (parsed JSON of an OpenBadgeCredential, or anything).

    Paths are from the credential's root; the Achievement is read at
    ``credentialSubject.achievement`` (the first subject if there are several).  Never raises.
    """
    if not isinstance(credential, dict):
        reason = f"the credential is {_kind(credential)}, not a JSON object"
        return _report("credential", {e.id: _missing(reason, "$") for e in ELEMENTS})
    subject: Any = credential.get("credentialSubject")
    subject_path = "credentialSubject"
    if isinstance(subject, list):
        found = _entries(subject, subject_path)
        subject_path, subject = found[0] if found else (f"{subject_path}[0]", None)
    achievement_path = _join(subject_path, "achievement")
    raw = subject.get("achievement") if isinstance(subject, dict) else None
    a = _Achievement.of(raw, achievement_path) if isinstance(raw, dict) else None
    if a is not None:
        results = _achievement_results(a)
    else:
        if raw is None:
            problem = _missing(f"the credential has no {achievement_path}", achievement_path)
        else:
            problem = _malformed(
                f"{achievement_path} is {_kind(raw)}, not an Achievement object",
                [achievement_path],
            )
        results = {e.id: problem for e in ELEMENTS}
    if subject is None:
        results["learner"] = _missing(f"the credential has no {subject_path}", subject_path)
    else:
        results["learner"] = _learner(subject, subject_path)
    body, country = _issuer(credential, a)
    results["awarding-body"] = body
    results["country"] = country
    results["date-of-issuing"] = _date(credential)
    results["grade"] = _grade(subject, subject_path, a)
    return _report("credential", results)
