"""Stackable pathways: a qualification defined as rules over achievements, and progress.

A pathway (``docs/pathways.md``) is versioned JSON whose ``rule`` is a tree of nodes::

    {"allOf": [nodes], "ordered"?: true}   every child; ordered = earned in that order
    {"anyOf": [nodes]}                     one child
    {"atLeast": n, "of": [nodes]}          n children
    {"achievement": "<achievement id>"}    a credential whose achievement has this id
    {"minTotal": {"ects"|"hours": x}, "of": [achievement leaves] | "any"}

Progress is computed from credentials that verify (Open Badges 3.0,
https://www.imsglobal.org/spec/ob/v3p0/#verification); the rule step runs over
:class:`Earned` summaries so that many learners can be evaluated quickly once their
credentials were verified (:func:`evaluate_many`).  A credential may count towards several
groups; ``minTotal`` counts each achievement once.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from credstack._json import MAX_DOCUMENT_BYTES, parse_json
from credstack.errors import CredstackError, InvalidInput, InvalidState
from credstack.platform.achievement_design import read_eu_elements
from credstack.proofs.dataintegrity import OPEN_BADGE_TYPES, parse_datetime
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = [
    "FORMAT_VERSION",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Completion",
    "Credits",
    "Earned",
    "Leaf",
    "MinTotal",
    "Node",
    "NodeResult",
    "Pathway",
    "Progress",
    "Rejected",
    "complete_pathway",
    "credits_of",
    "evaluate",
    "evaluate_many",
    "load_credential_inputs",
    "load_pathway",
    "parse_pathway",
    "progress",
    "summarize",
    "verify_credentials",
]

FORMAT_VERSION = 1
MAX_RULE_DEPTH = 32
MAX_RULE_NODES = 10_000
MAX_RULE_BYTES = 1_048_576
MAX_CREDENTIAL_FILES = 10_000
MAX_TOTAL = 1_000_000
Unit = Literal["ects", "hours"]
_UNITS: tuple[Unit, ...] = ("ects", "hours")
_KINDS = ("allOf", "anyOf", "atLeast", "achievement", "minTotal")
_ALLOWED = {
    "allOf": {"allOf", "ordered", "label"},
    "anyOf": {"anyOf", "label"},
    "atLeast": {"atLeast", "of", "label"},
    "achievement": {"achievement", "label"},
    "minTotal": {"minTotal", "of", "label"},
}
_INF = math.inf
_EPS = 1e-9


# ------------------------------------------------------------------------------ rule model


@dataclass(frozen=True, slots=True)
class Leaf:
    """A credential whose ``credentialSubject.achievement.id`` equals ``achievement``."""

    path: str
    achievement: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class AllOf:
    path: str
    children: tuple[Node, ...]
    ordered: bool = False
    label: str | None = None


@dataclass(frozen=True, slots=True)
class AnyOf:
    path: str
    children: tuple[Node, ...]
    label: str | None = None


@dataclass(frozen=True, slots=True)
class AtLeast:
    path: str
    count: int
    children: tuple[Node, ...]
    label: str | None = None


@dataclass(frozen=True, slots=True)
class MinTotal:
    """At least ``amount`` ECTS or hours from the listed achievements (``None`` = any)."""

    path: str
    unit: Unit
    amount: float
    achievements: tuple[str, ...] | None
    label: str | None = None


Node = Leaf | AllOf | AnyOf | AtLeast | MinTotal


@dataclass(frozen=True, slots=True)
class Credits:
    """What an achievement is worth (a catalog entry for the satisfiability check)."""

    ects: float | None = None
    hours: float | None = None

    def of(self, unit: Unit) -> float:
        value = self.ects if unit == "ects" else self.hours
        return value or 0.0


@dataclass(frozen=True, slots=True)
class Pathway:
    """A parsed, validated pathway rule file."""

    id: str
    name: str
    rule: Node
    version: int = FORMAT_VERSION
    description: str | None = None
    issues: dict[str, Any] | None = None

    def achievements(self) -> list[str]:
        """Every achievement id the rule names, in first-seen order."""
        return list(dict.fromkeys(_leaf_ids(self.rule)))

    @property
    def qualification(self) -> str | None:
        """The achievement awarded on completion (``issues.achievement``), if any."""
        return None if self.issues is None else str(self.issues["achievement"])


def _leaf_ids(node: Node) -> Iterator[str]:
    if isinstance(node, Leaf):
        yield node.achievement
    elif isinstance(node, MinTotal):
        yield from node.achievements or ()
    else:
        for child in node.children:
            yield from _leaf_ids(child)


# ------------------------------------------------------------------------------ parsing


class _Parser:
    def __init__(self) -> None:
        self.nodes = 0
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> InvalidInput:
        return InvalidInput(f"pathway rule {path}: {message}")

    def node(self, raw: Any, path: str, depth: int) -> Node:
        if depth > MAX_RULE_DEPTH:
            raise self.fail(path, f"nests deeper than {MAX_RULE_DEPTH} levels")
        self.nodes += 1
        if self.nodes > MAX_RULE_NODES:
            raise self.fail(path, f"the rule has more than {MAX_RULE_NODES} nodes")
        if not isinstance(raw, dict):
            raise self.fail(path, f"a node is a JSON object, not {type(raw).__name__}")
        kinds = [k for k in _KINDS if k in raw]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise self.fail(path, f"a node has exactly one of {', '.join(_KINDS)} (found {found})")
        kind = kinds[0]
        extra = sorted(set(raw) - _ALLOWED[kind])
        if extra:
            raise self.fail(path, f"unknown member(s) {', '.join(extra)} in an {kind} node")
        label = raw.get("label")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise self.fail(f"{path}.label", "must be a non-empty string")
        if kind == "achievement":
            return Leaf(path, self.achievement_id(raw["achievement"], f"{path}.achievement"), label)
        if kind == "minTotal":
            return self.min_total(raw, path, label)
        if kind == "atLeast":
            count = raw["atLeast"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise self.fail(f"{path}.atLeast", "must be an integer of at least 1")
            if "of" not in raw:
                raise self.fail(path, "an atLeast node needs 'of' (a list of nodes)")
            children = self.children(raw["of"], f"{path}.of", depth)
            if count > len(children):
                self.problems.append(
                    f"{path}: atLeast {count} of only {len(children)} alternative(s)"
                )
            return AtLeast(path, count, children, label)
        children = self.children(raw[kind], f"{path}.{kind}", depth)
        if kind == "anyOf":
            return AnyOf(path, children, label)
        ordered = raw.get("ordered", False)
        if not isinstance(ordered, bool):
            raise self.fail(f"{path}.ordered", "must be true or false")
        if ordered:
            self.check_ordered(children, path)
        return AllOf(path, children, ordered, label)

    def achievement_id(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > 2048:
            raise self.fail(path, "an achievement id is a non-empty string (a URI)")
        return value

    def children(self, raw: Any, path: str, depth: int) -> tuple[Node, ...]:
        if not isinstance(raw, list):
            raise self.fail(path, "must be a list of nodes")
        if not raw:
            self.problems.append(f"{path}: an empty list")
        children = tuple(self.node(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(raw))
        seen: dict[str, int] = {}
        for i, child in enumerate(children):
            if isinstance(child, Leaf):
                if child.achievement in seen:
                    self.problems.append(
                        f"{path}[{i}]: achievement {child.achievement} is listed twice "
                        f"(also at [{seen[child.achievement]}]); one credential would count twice"
                    )
                seen.setdefault(child.achievement, i)
        return children

    def check_ordered(self, children: tuple[Node, ...], path: str) -> None:
        owner: dict[str, int] = {}
        for i, child in enumerate(children):
            for achievement in set(_leaf_ids(child)):
                if achievement in owner and owner[achievement] != i:
                    self.problems.append(
                        f"{path}.allOf[{i}]: achievement {achievement} also appears in step "
                        f"{owner[achievement]} of this ordered allOf; one credential cannot be "
                        "two steps"
                    )
                owner.setdefault(achievement, i)

    def min_total(self, raw: dict[str, Any], path: str, label: str | None) -> MinTotal:
        spec = raw["minTotal"]
        if not isinstance(spec, dict) or len(spec) != 1:
            raise self.fail(f"{path}.minTotal", 'must be {"ects": x} or {"hours": x}')
        unit, amount = next(iter(spec.items()))
        if unit not in _UNITS:
            raise self.fail(f"{path}.minTotal", f"unknown unit {unit!r} (ects or hours)")
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or not 0 < amount <= MAX_TOTAL
        ):
            raise self.fail(f"{path}.minTotal.{unit}", f"must be a number in (0, {MAX_TOTAL}]")
        of = raw.get("of", "any")
        achievements: tuple[str, ...] | None = None
        if of != "any":
            if not isinstance(of, list):
                raise self.fail(f"{path}.of", 'must be "any" or a list of achievement nodes')
            if not of:
                self.problems.append(f"{path}.of: an empty list")
            ids: list[str] = []
            for i, item in enumerate(of):
                where = f"{path}.of[{i}]"
                if not isinstance(item, dict) or set(item) - {"achievement", "label"}:
                    raise self.fail(where, "minTotal counts achievements: use {achievement: id}")
                if "achievement" not in item:
                    raise self.fail(where, "minTotal counts achievements: use {achievement: id}")
                ids.append(self.achievement_id(item["achievement"], f"{where}.achievement"))
                self.nodes += 1
            if len(set(ids)) != len(ids):
                self.problems.append(f"{path}.of: an achievement is listed twice")
            achievements = tuple(ids)
        return MinTotal(path, unit, float(amount), achievements, label)


def _check_catalog(node: Node, catalog: Mapping[str, Credits], problems: list[str]) -> None:
    if isinstance(node, Leaf):
        if node.achievement not in catalog:
            problems.append(f"{node.path}: achievement {node.achievement} is not in the catalog")
        return
    if isinstance(node, MinTotal):
        pool = node.achievements if node.achievements is not None else tuple(catalog)
        unknown = [a for a in pool if a not in catalog]
        for achievement in unknown:
            problems.append(f"{node.path}: achievement {achievement} is not in the catalog")
        available = sum(catalog[a].of(node.unit) for a in pool if a in catalog)
        if not unknown and available + _EPS < node.amount:
            problems.append(
                f"{node.path}: needs {_num(node.amount)} {_unit(node.unit)} but the "
                f"{'listed' if node.achievements is not None else 'catalog'} achievements "
                f"offer only {_num(available)}"
            )
        return
    for child in node.children:
        _check_catalog(child, catalog, problems)


def parse_pathway(data: Any, *, catalog: Mapping[str, Credits] | None = None) -> Pathway:
    """Validate a pathway rule document (``docs/pathways.md``) and return it parsed.

    Raises :class:`InvalidInput` with the path of the offending node; a rule that can never
    be satisfied (atLeast n of fewer than n, an empty group, a duplicate or repeated step, a
    total above what the ``catalog`` offers) raises ``"cannot be satisfied: …"``.
    """
    if not isinstance(data, dict):
        raise InvalidInput("a pathway rule file holds a JSON object")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise InvalidInput(
            f"pathway rule version {version!r} is not supported (this is version {FORMAT_VERSION})"
        )
    extra = sorted(set(data) - {"version", "id", "name", "description", "rule", "issues"})
    if extra:
        raise InvalidInput(f"pathway rule: unknown member(s) {', '.join(extra)}")
    for member in ("id", "name"):
        if not isinstance(data.get(member), str) or not data[member].strip():
            raise InvalidInput(f"pathway rule: {member} must be a non-empty string")
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        raise InvalidInput("pathway rule: description must be a string")
    issues = data.get("issues")
    if issues is not None:
        if not isinstance(issues, dict) or not isinstance(issues.get("achievement"), str):
            raise InvalidInput(
                'pathway rule issues: must be {"achievement": "<achievement id>", ...}'
            )
    if "rule" not in data:
        raise InvalidInput("pathway rule: no rule")
    parser = _Parser()
    try:
        rule = parser.node(data["rule"], "rule", 1)
    except RecursionError:
        raise InvalidInput("pathway rule nests too deeply", code="INPUT_TOO_DEEP") from None
    problems = parser.problems
    if catalog is not None:
        _check_catalog(rule, catalog, problems)
    if issues is not None and issues["achievement"] in set(_leaf_ids(rule)):
        problems.append("issues.achievement: the qualification is also one of its own parts")
    if problems:
        raise InvalidInput("cannot be satisfied: " + "; ".join(problems))
    return Pathway(
        id=data["id"],
        name=data["name"],
        rule=rule,
        version=version,
        description=description,
        issues=dict(issues) if issues is not None else None,
    )


def load_pathway(path: str | Path, *, catalog: Mapping[str, Credits] | None = None) -> Pathway:
    """Read and validate a pathway rule file."""
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_RULE_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read rule file {path}: {exc.strerror or exc}") from None
    return parse_pathway(
        parse_json(data, what=f"rule file {path}", max_bytes=MAX_RULE_BYTES), catalog=catalog
    )


# ------------------------------------------------------------------------------ credentials


@dataclass(frozen=True, slots=True)
class Earned:
    """What the rule step needs of one verified achievement credential."""

    achievement_id: str
    credential_id: str
    awarded_ts: float  # POSIX seconds of awardedDate (else validFrom)
    ects: float | None = None
    hours: float | None = None
    name: str | None = None
    issuer: str | None = None
    document: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def awarded(self) -> datetime:
        return datetime.fromtimestamp(self.awarded_ts, UTC)

    def credits(self, unit: Unit) -> float:
        value = self.ects if unit == "ects" else self.hours
        return value or 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "credential": self.credential_id,
            "achievement": self.achievement_id,
            "name": self.name,
            "issuer": self.issuer,
            "awarded": _iso(self.awarded_ts),
            "ects": self.ects,
            "hours": self.hours,
        }


def credits_of(achievement: Mapping[str, Any]) -> Credits:
    """ECTS (``creditsAvailable`` with the ECTS marker) and workload hours
    (``otherIdentifier`` ``ext:EUWorkloadHours``) of an OB Achievement (docs/eu-elements.md)."""
    elements = read_eu_elements(achievement)
    ects, hours = elements["ects"], elements["workload_hours"]
    return Credits(
        ects=None if ects is None else float(ects), hours=None if hours is None else float(hours)
    )


def _types(value: Any) -> list[str]:
    raw = value.get("type") if isinstance(value, dict) else None
    return [raw] if isinstance(raw, str) else [t for t in raw or [] if isinstance(t, str)]


def summarize(credential: Mapping[str, Any], *, source: str = "") -> Earned:
    """The :class:`Earned` summary of an (already verified) achievement credential."""
    if not isinstance(credential, Mapping):
        raise InvalidInput("a credential is a JSON object")
    if not OPEN_BADGE_TYPES.intersection(_types(credential)) or "EndorsementCredential" in _types(
        credential
    ):
        raise InvalidInput("not an achievement credential (OpenBadgeCredential)")
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict) or not isinstance(achievement.get("id"), str):
        raise InvalidInput("the credential has no credentialSubject.achievement.id")
    date = credential.get("awardedDate", credential.get("validFrom"))
    if date is None:
        raise InvalidInput("the credential has neither awardedDate nor validFrom")
    awarded = parse_datetime(date)
    credits = credits_of(achievement)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    cid = credential.get("id")
    name = achievement.get("name")
    return Earned(
        achievement_id=achievement["id"],
        credential_id=cid if isinstance(cid, str) else source or "(no id)",
        awarded_ts=awarded.timestamp(),
        ects=credits.ects,
        hours=credits.hours,
        name=name if isinstance(name, str) else None,
        issuer=issuer_id if isinstance(issuer_id, str) else None,
        document=credential,
    )


@dataclass(frozen=True, slots=True)
class Rejected:
    """A credential that was not counted, and why."""

    source: str
    reason: str
    code: str
    credential_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "credential": self.credential_id,
            "code": self.code,
            "reason": self.reason,
        }


def _identity_matches(subject: Mapping[str, Any], email: str) -> bool:
    identifiers = subject.get("identifier")
    for entry in identifiers if isinstance(identifiers, list) else [identifiers]:
        if not isinstance(entry, dict) or entry.get("identityType") != "emailAddress":
            continue
        value = entry.get("identityHash")
        if not isinstance(value, str):
            continue
        if entry.get("hashed") is False or entry.get("hashed") == "false":
            if value.lower() == email.lower():
                return True
            continue
        salt = entry.get("salt") if isinstance(entry.get("salt"), str) else ""
        for algorithm in ("sha256", "md5"):
            if value.startswith(f"{algorithm}$"):
                digest = hashlib.new(algorithm, (email + str(salt)).encode(), usedforsecurity=False)
                if value[len(algorithm) + 1 :].lower() == digest.hexdigest():
                    return True
    return False


def _recipient_problem(
    credential: Mapping[str, Any], did: str | None, email: str | None
) -> str | None:
    if did is None and email is None:
        return None
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        return "the credential has no credentialSubject"
    if did is not None and subject.get("id") == did:
        return None
    if email is not None and (
        _identity_matches(subject, email) or _identity_matches(subject, email.lower())
    ):
        return None
    return "the credential was issued to someone else"


def verify_credentials(
    inputs: Iterable[tuple[str, Any]],
    *,
    at: datetime,
    verifier: Verifier | None = None,
    options: VerifyOptions | None = None,
    did_documents: Iterable[dict[str, Any]] = (),
    recipient_did: str | None = None,
    recipient_email: str | None = None,
) -> tuple[list[Earned], list[Rejected]]:
    """Verify ``(source, credential)`` pairs offline; only those that verify are summarized.

    The default verifier resolves did:key offline and did:web / https keys from
    ``did_documents`` (never the network).  A credential that fails verification, is not an
    achievement credential, or (when a recipient is given) names someone else is rejected.
    """
    if verifier is None:
        verifier = Verifier(CompositeResolver(documents=list(did_documents)))
    opts = options if options is not None else VerifyOptions(at=at)
    earned: list[Earned] = []
    rejected: list[Rejected] = []
    for source, raw in inputs:
        report = verifier.verify(raw, opts)
        if not report.verified:
            failure = report.first_failure
            reason = failure.message if failure is not None else "not verified"
            code = (failure.code if failure is not None else None) or "PROOF_VERIFICATION_ERROR"
            rejected.append(Rejected(source, reason, code, report.credential_id))
            continue
        try:
            document = raw if isinstance(raw, dict) else parse_json(raw, what=source)
        except CredstackError:
            reason = "only credentials with an embedded proof (JSON) are counted"
            rejected.append(Rejected(source, reason, "INVALID_INPUT", report.credential_id))
            continue
        problem = _recipient_problem(document, recipient_did, recipient_email)
        if problem is not None:
            rejected.append(Rejected(source, problem, "PERMISSION_DENIED", report.credential_id))
            continue
        try:
            earned.append(summarize(document, source=source))
        except CredstackError as exc:
            rejected.append(Rejected(source, exc.message, exc.code, report.credential_id))
    return earned, rejected


def load_credential_inputs(path: str | Path) -> list[tuple[str, Any]]:
    """``(source, credential)`` pairs from a folder (every ``*.json``) or a file holding one
    credential, a JSON array of them, or JSON Lines.

    Files of a folder and JSON Lines lines are returned as bytes: one that is not JSON is
    then rejected by the verify step like any other bad credential.
    """
    target = Path(path)
    if target.is_dir():
        files = sorted(target.glob("*.json"))
        if len(files) > MAX_CREDENTIAL_FILES:
            raise InvalidInput(f"{target} holds more than {MAX_CREDENTIAL_FILES} credentials")
        return [(str(f), _read_bytes(f)) for f in files]
    if not target.is_file():
        raise InvalidInput(f"{target} is neither a folder nor a file")
    data = _read_bytes(target)
    try:
        value = parse_json(data, what=str(target))
    except InvalidInput as first:
        lines = [(n, line) for n, line in enumerate(data.splitlines(), start=1) if line.strip()]
        if len(lines) < 2:
            raise first from None
        return [(f"{target}:{n}", line) for n, line in lines]
    if isinstance(value, list):
        return [(f"{target}[{i}]", item) for i, item in enumerate(value)]
    return [(str(target), value)]


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"{path} is larger than {MAX_DOCUMENT_BYTES} bytes", code="INPUT_TOO_LARGE"
        )
    return data


# ------------------------------------------------------------------------------ evaluation


class Holdings:
    """A learner's earned achievements, indexed by achievement id and sorted by award time."""

    __slots__ = ("by_achievement",)

    def __init__(self, earned: Iterable[Earned]) -> None:
        index: dict[str, list[Earned]] = {}
        for item in earned:
            index.setdefault(item.achievement_id, []).append(item)
        for items in index.values():
            items.sort(key=_award_key)
        self.by_achievement = index

    def first(self, achievement: str, not_before: float) -> Earned | None:
        for item in self.by_achievement.get(achievement, ()):
            if item.awarded_ts >= not_before:
                return item
        return None

    def pool(self, achievements: Sequence[str] | None, not_before: float) -> list[Earned]:
        """The earliest eligible credential of each achievement in the pool, by award time."""
        ids = self.by_achievement if achievements is None else achievements
        found = [e for a in ids if (e := self.first(a, not_before)) is not None]
        found.sort(key=_award_key)
        return found


def _award_key(item: Earned) -> tuple[float, str]:
    return (item.awarded_ts, item.credential_id)


@dataclass(frozen=True, slots=True)
class NodeResult:
    """The evaluation of one rule node."""

    path: str
    kind: str
    satisfied: bool
    fraction: float
    completed_ts: float | None
    used: tuple[Earned, ...]
    missing: tuple[str, ...]
    children: tuple[NodeResult, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "satisfied": self.satisfied,
            "fraction": round(self.fraction, 4),
            **self.detail,
            "completed": None if self.completed_ts is None else _iso(self.completed_ts),
            "used": [e.credential_id for e in self.used],
            "missing": list(self.missing),
        }
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _unit(unit: Unit) -> str:
    return "ECTS" if unit == "ects" else "hours"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Evaluator:
    """Detailed evaluation (per-node results, what is missing, credentials used)."""

    def __init__(self, holdings: Holdings, names: Mapping[str, str]) -> None:
        self.holdings = holdings
        self.names = names

    def describe(self, node: Node) -> str:
        if node.label:
            return node.label
        if isinstance(node, Leaf):
            name = self.names.get(node.achievement)
            return f"{name} ({node.achievement})" if name else node.achievement
        if isinstance(node, MinTotal):
            return f"{_num(node.amount)} {_unit(node.unit)}"
        if isinstance(node, AnyOf):
            return "one of: " + ", ".join(self.describe(c) for c in node.children)
        if isinstance(node, AtLeast):
            return f"{node.count} of: " + ", ".join(self.describe(c) for c in node.children)
        steps = ", then " if node.ordered else ", "
        return ("in order: " if node.ordered else "all of: ") + steps.join(
            self.describe(c) for c in node.children
        )

    def run(self, node: Node, not_before: float) -> NodeResult:
        if isinstance(node, Leaf):
            return self.leaf(node, not_before)
        if isinstance(node, MinTotal):
            return self.total(node, not_before)
        if isinstance(node, AllOf):
            return self.all_of(node, not_before)
        return self.choice(node, not_before)

    def leaf(self, node: Leaf, not_before: float) -> NodeResult:
        found = self.holdings.first(node.achievement, not_before)
        detail: dict[str, Any] = {"achievement": node.achievement}
        if found is not None:
            return NodeResult(
                node.path, "achievement", True, 1.0, found.awarded_ts, (found,), (), (), detail
            )
        earlier = self.holdings.by_achievement.get(node.achievement)
        if earlier and not_before < _INF:
            detail["note"] = (
                f"earned on {_iso(earlier[-1].awarded_ts)}, before the previous step; "
                "it must be earned after it"
            )
        elif earlier:
            detail["note"] = "earned, but the previous step is not complete yet"
        return NodeResult(
            node.path, "achievement", False, 0.0, None, (), (self.describe(node),), (), detail
        )

    def total(self, node: MinTotal, not_before: float) -> NodeResult:
        pool = self.holdings.pool(node.achievements, not_before)
        total, used, completed = 0.0, [], None
        for item in pool:
            value = item.credits(node.unit)
            if value <= 0:
                continue
            total += value
            used.append(item)
            if total + _EPS >= node.amount:
                completed = item.awarded_ts
                break
        satisfied = completed is not None
        missing: tuple[str, ...] = ()
        if not satisfied:
            text = f"{_num(node.amount - total)} more {_unit(node.unit)}"
            if node.achievements is not None:
                rest = [a for a in node.achievements if a not in {e.achievement_id for e in used}]
                text += " from: " + ", ".join(self.names.get(a, a) for a in rest)
            missing = (node.label + ": " + text if node.label else text,)
        detail = {"unit": node.unit, "required": node.amount, "total": round(total, 6)}
        return NodeResult(
            node.path,
            "minTotal",
            satisfied,
            min(total / node.amount, 1.0),
            completed,
            tuple(used),
            missing,
            (),
            detail,
        )

    def all_of(self, node: AllOf, not_before: float) -> NodeResult:
        results: list[NodeResult] = []
        bound = not_before
        for child in node.children:
            result = self.run(child, bound)
            results.append(result)
            if node.ordered:
                bound = (
                    result.completed_ts
                    if result.satisfied and result.completed_ts is not None
                    else _INF
                )
        satisfied = all(r.satisfied for r in results)
        completed = max((r.completed_ts or 0.0) for r in results) if satisfied else None
        missing = tuple(m for r in results for m in r.missing)
        used = tuple(e for r in results for e in r.used)
        fraction = sum(r.fraction for r in results) / len(results)
        detail: dict[str, Any] = {"ordered": True} if node.ordered else {}
        if node.label:
            detail["label"] = node.label
        return NodeResult(
            node.path,
            "allOf",
            satisfied,
            fraction,
            completed,
            used,
            missing,
            tuple(results),
            detail,
        )

    def choice(self, node: AnyOf | AtLeast, not_before: float) -> NodeResult:
        need = 1 if isinstance(node, AnyOf) else node.count
        kind = "anyOf" if isinstance(node, AnyOf) else "atLeast"
        results = [self.run(child, not_before) for child in node.children]
        done = sorted(
            (r for r in results if r.satisfied), key=lambda r: (r.completed_ts or 0.0, r.path)
        )
        satisfied = len(done) >= need
        best = sorted((r.fraction for r in results), reverse=True)[:need]
        fraction = sum(best) / need
        if satisfied:
            chosen = done[:need]
            completed: float | None = max((r.completed_ts or 0.0) for r in chosen)
            missing: tuple[str, ...] = ()
        else:
            chosen = [r for r in results if r.used]
            completed = None
            open_children = [
                self.describe(c)
                for c, r in zip(node.children, results, strict=True)
                if not r.satisfied
            ]
            more = need - len(done)
            text = ("one of: " if need == 1 else f"{more} more of: ") + ", ".join(open_children)
            missing = (node.label + ": " + text if node.label else text,)
        used = tuple(e for r in chosen for e in r.used)
        detail: dict[str, Any] = {"required": need, "satisfied_children": len(done)}
        if node.label:
            detail["label"] = node.label
        return NodeResult(
            node.path, kind, satisfied, fraction, completed, used, missing, tuple(results), detail
        )


def evaluate(
    pathway: Pathway, earned: Iterable[Earned], *, names: Mapping[str, str] | None = None
) -> NodeResult:
    """Evaluate the rule tree over one learner's verified credentials (detailed)."""
    holdings = earned if isinstance(earned, Holdings) else Holdings(earned)
    return _Evaluator(holdings, names or {}).run(pathway.rule, -_INF)


# -------------------------------------------------------------- fast path (many learners)

_Fast = Callable[[Holdings, float], tuple[bool, float, float]]


def _compile(node: Node) -> _Fast:
    """A closure computing (satisfied, fraction, completion time) without any detail."""
    if isinstance(node, Leaf):
        achievement = node.achievement

        def leaf(h: Holdings, nb: float) -> tuple[bool, float, float]:
            for item in h.by_achievement.get(achievement, ()):
                if item.awarded_ts >= nb:
                    return True, 1.0, item.awarded_ts
            return False, 0.0, _INF

        return leaf
    if isinstance(node, MinTotal):
        unit, amount, pool = node.unit, node.amount, node.achievements

        def total(h: Holdings, nb: float) -> tuple[bool, float, float]:
            acc = 0.0
            for item in h.pool(pool, nb):
                value = item.credits(unit)
                if value > 0:
                    acc += value
                    if acc + _EPS >= amount:
                        return True, 1.0, item.awarded_ts
            return False, min(acc / amount, 1.0), _INF

        return total
    parts = [_compile(c) for c in node.children]
    if isinstance(node, AllOf):
        ordered, n = node.ordered, len(parts)

        def all_of(h: Holdings, nb: float) -> tuple[bool, float, float]:
            ok, frac, last, bound = True, 0.0, -_INF, nb
            for part in parts:
                sat, f, t = part(h, bound)
                frac += f
                if sat:
                    last = max(last, t)
                    if ordered:
                        bound = t
                else:
                    ok = False
                    if ordered:
                        bound = _INF
            return ok, frac / n, last if ok else _INF

        return all_of
    need = 1 if isinstance(node, AnyOf) else node.count

    def choice(h: Holdings, nb: float) -> tuple[bool, float, float]:
        results = [part(h, nb) for part in parts]
        times = sorted(t for sat, _, t in results if sat)
        fractions = sorted((f for _, f, _ in results), reverse=True)[:need]
        if len(times) >= need:
            return True, sum(fractions) / need, times[need - 1]
        return False, sum(fractions) / need, _INF

    return choice


def evaluate_many(
    pathway: Pathway, learners: Iterable[Iterable[Earned]]
) -> Iterator[tuple[bool, float]]:
    """(satisfied, fraction) per learner, over pre-verified summaries — the bulk rule step."""
    run = _compile(pathway.rule)
    for earned in learners:
        holdings = earned if isinstance(earned, Holdings) else Holdings(earned)
        satisfied, fraction, _ = run(holdings, -_INF)
        yield satisfied, fraction


# ------------------------------------------------------------------------------ progress


@dataclass(frozen=True, slots=True)
class Progress:
    """A learner's progress on a pathway."""

    pathway: Pathway
    tree: NodeResult
    rejected: tuple[Rejected, ...] = ()

    @property
    def satisfied(self) -> bool:
        return self.tree.satisfied

    @property
    def fraction(self) -> float:
        return self.tree.fraction

    @property
    def missing(self) -> list[str]:
        return list(self.tree.missing)

    @property
    def used(self) -> list[Earned]:
        return list({e.credential_id: e for e in self.tree.used}.values())

    @property
    def completed_at(self) -> datetime | None:
        ts = self.tree.completed_ts
        return None if ts is None else datetime.fromtimestamp(ts, UTC)

    def to_json(self) -> dict[str, Any]:
        return {
            "pathway": {"id": self.pathway.id, "name": self.pathway.name},
            "satisfied": self.satisfied,
            "fraction": round(self.fraction, 4),
            "completed": None if self.completed_at is None else _iso(self.tree.completed_ts or 0),
            "missing": self.missing,
            "used": [e.to_json() for e in self.used],
            "rejected": [r.to_json() for r in self.rejected],
            "tree": self.tree.to_json(),
        }


def progress(
    pathway: Pathway,
    earned: Iterable[Earned],
    *,
    rejected: Iterable[Rejected] = (),
    names: Mapping[str, str] | None = None,
) -> Progress:
    """Progress over verified summaries (see :func:`verify_credentials` for the verify step).

    Achievement names default to those in the credentials.
    """
    items = list(earned)
    known = {e.achievement_id: e.name for e in items if e.name}
    known.update(names or {})
    return Progress(pathway, evaluate(pathway, items, names=known), tuple(rejected))


# ------------------------------------------------------------------------------ completion


@dataclass(frozen=True, slots=True)
class Completion:
    """A completed pathway: the progress, the qualification credential and the CLR."""

    progress: Progress
    qualification: dict[str, Any]
    clr: dict[str, Any]


IssueQualification = Callable[[Pathway, Progress], Mapping[str, Any]]
BuildClr = Callable[[Pathway, Progress, Mapping[str, Any]], dict[str, Any]]


def complete_pathway(
    pathway: Pathway,
    earned: Iterable[Earned],
    *,
    issue: IssueQualification,
    bundle: BuildClr,
    rejected: Iterable[Rejected] = (),
) -> Completion:
    """Issue the qualification when the rule is satisfied, then bundle the CLR.

    ``issue(pathway, progress)`` returns the signed qualification credential (for instance
    through the platform's ``Issuer``); ``bundle(pathway, progress, qualification)`` returns
    the signed ClrCredential (see :func:`credstack.skills.clr.clr_bundler`).  An incomplete
    pathway raises :class:`InvalidState` naming what is missing; nothing is issued then.
    """
    state = progress(pathway, earned, rejected=rejected)
    if not state.satisfied:
        raise InvalidState(
            f"pathway {pathway.id} is not complete: missing " + "; ".join(state.missing)
        )
    qualification = dict(issue(pathway, state))
    if pathway.qualification is not None:
        try:
            awarded = summarize(qualification).achievement_id
        except CredstackError as exc:
            raise InvalidState(f"the issued qualification is unusable: {exc.message}") from exc
        if awarded != pathway.qualification:
            raise InvalidState(
                f"the issued qualification awards {awarded}, not {pathway.qualification}"
            )
    return Completion(state, qualification, bundle(pathway, state, qualification))
