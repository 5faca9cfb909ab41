"""Validate Open Badges 3.0 JSON: the official JSON Schemas plus the rules they miss.

Schemas: https://www.imsglobal.org/spec/ob/v3p0/#json-schema (vendored in ``credstack/schemas``).
Rules: https://www.imsglobal.org/spec/ob/v3p0/#data-model and VC 2.0
(https://www.w3.org/TR/vc-data-model-2.0/#validity-period).

The vendored schemas declare JSON Schema 2019-09 but use only keywords whose meaning is the same
in draft 7, so they are rewritten to draft 7 once (``$defs`` -> ``definitions``) and compiled with
``fastjsonschema``.  ``format`` stays an annotation, as in 2019-09; the date-time rules below check
dates instead.  fastjsonschema stops at the first schema error, so a report holds at most one
schema problem (path + message) followed by every rule problem.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

import fastjsonschema

from credstack.errors import ConfigurationError, InvalidInput, ValidationFailed
from credstack.models.ob import (
    IDENTITY_HASH_PATTERN,
    OB_CONTEXT_PATTERN,
    AchievementType,
    AlignmentTargetType,
    IdentifierType,
    ResultType,
)
from credstack.models.vc import (
    EXT_PATTERN,
    VC_V2_CONTEXT,
    parse_xsd_date,
    parse_xsd_datetime,
)

__all__ = [
    "Problem",
    "SchemaName",
    "check_credential",
    "load_schema",
    "schema_for",
    "schema_problem",
    "validate_credential",
]

SchemaName = Literal["achievementcredential", "endorsementcredential", "profile"]

_DRAFT7 = "http://json-schema.org/draft-07/schema#"
_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document: where (JSON pointer), which check, and why."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message} [{self.code}]"


def _pointer(base: str, *steps: str | int) -> str:
    escaped = (str(s).replace("~", "~0").replace("/", "~1") for s in steps)
    return "/".join([base, *escaped])


# --------------------------------------------------------------------------------------------
# Schemas


# Keywords the 2019-09 -> draft 7 rewrite accepts: each means the same in both drafts.
_SAME_IN_DRAFT7 = frozenset(
    {
        "$schema", "$id", "title", "description", "$comment", "type", "properties", "required",
        "additionalProperties", "items", "additionalItems", "minItems", "enum", "pattern",
        "format", "$ref", "allOf", "oneOf", "contains", "$defs",
    }
)  # fmt: skip
_REF_SIBLINGS_OK = frozenset({"$ref", "description", "$comment", "title"})


def load_schema(name: SchemaName) -> dict[str, Any]:
    """The vendored 2019-09 schema, as published by 1EdTech."""
    try:
        text = resources.files("credstack.schemas").joinpath(f"ob_v3p0_{name}_schema.json")
        loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot load the {name} schema: {exc}") from exc
    return loaded


def _subschemas(node: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(keyword, subschema) pairs of a schema object."""
    for key in ("properties", "$defs"):
        for sub in node.get(key, {}).values():
            yield key, sub
    for key in ("items", "additionalItems", "additionalProperties", "contains"):
        sub = node.get(key)
        if isinstance(sub, list):
            yield from ((key, s) for s in sub)
        elif isinstance(sub, dict):
            yield key, sub
    for key in ("allOf", "oneOf"):
        yield from ((key, s) for s in node.get(key, []))


def _to_draft7(node: Any, where: str = "#") -> Any:
    """Rewrite a 2019-09 schema to draft 7, refusing any keyword whose meaning would change."""
    if not isinstance(node, dict):
        return node
    unknown = set(node) - _SAME_IN_DRAFT7
    if unknown:
        raise ConfigurationError(f"schema keyword(s) {sorted(unknown)} at {where} not supported")
    if "$ref" in node:
        if set(node) - _REF_SIBLINGS_OK:
            raise ConfigurationError(f"$ref with sibling keywords at {where} (2019-09 only)")
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
            raise ConfigurationError(f"non-local $ref {ref!r} at {where}")
        return {"$ref": "#/definitions/" + ref.removeprefix("#/$defs/")}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs"):
            target = "definitions" if key == "$defs" else key
            out[target] = {k: _to_draft7(v, f"{where}/{key}/{k}") for k, v in value.items()}
        elif key in ("items", "allOf", "oneOf") and isinstance(value, list):
            out[key] = [_to_draft7(v, f"{where}/{key}/{i}") for i, v in enumerate(value)]
        elif key in ("items", "additionalItems", "additionalProperties", "contains"):
            out[key] = _to_draft7(value, f"{where}/{key}")
        elif key == "$schema":
            out[key] = _DRAFT7
        else:
            out[key] = value
    return out


def _refuse_remote(uri: str) -> Any:
    raise ConfigurationError(f"schema tried to load {uri}; remote references are not allowed")


@functools.cache
def _compiled(name: SchemaName) -> Callable[[Any], Any]:
    """The draft-7 rewrite of ``name`` compiled by fastjsonschema (once per process)."""
    converted = _to_draft7(load_schema(name))
    try:
        validator: Callable[[Any], Any] = fastjsonschema.compile(
            converted,
            handlers={"http": _refuse_remote, "https": _refuse_remote},
            use_default=False,
            use_formats=False,
        )
    except fastjsonschema.JsonSchemaDefinitionException as exc:
        raise ConfigurationError(f"cannot compile the {name} schema: {exc}") from exc
    return validator


def schema_for(raw: Mapping[str, Any]) -> SchemaName | None:
    """Which OB 3.0 schema applies, by ``type``; ``None`` if the type is not an OB document."""
    types = _types(raw.get("type"))
    if "AchievementCredential" in types or "OpenBadgeCredential" in types:
        return "achievementcredential"
    if "EndorsementCredential" in types:
        return "endorsementcredential"
    if "Profile" in types:
        return "profile"
    return None


def schema_problem(raw: Any, name: SchemaName) -> Problem | None:
    """The first violation of schema ``name`` in ``raw`` (fastjsonschema), or ``None``."""
    validate = _compiled(name)
    try:
        validate(raw)
    except fastjsonschema.JsonSchemaValueException as exc:
        path: list[Any] = list(exc.path or [])
        steps = [s for s in path[1:] if isinstance(s, str | int)]
        message = exc.message.removeprefix(exc.name or "").strip()
        if exc.rule:
            message = f"{message} (schema keyword {exc.rule!r})"
        return Problem(_pointer("", *steps), "SCHEMA_VIOLATION", message)
    except RecursionError:
        return Problem("", "SCHEMA_VIOLATION", "document is nested too deeply")
    return None


def _is_array_schema(node: Mapping[str, Any]) -> bool:
    if node.get("type") == "array":
        return True
    branches: list[Mapping[str, Any]] = node.get("allOf") or []
    return bool(branches) and all(b.get("type") == "array" for b in branches)


def _expand_compacted(value: Any, node: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    """Wrap single values where the schema wants an array (JSON-LD compacted form)."""
    while "$ref" in node:
        node = defs[node["$ref"].removeprefix("#/$defs/")]
    if _is_array_schema(node) and value is not None and not isinstance(value, list):
        value = [value]
    if isinstance(value, list):
        items = node.get("items")
        if isinstance(items, dict):
            return [_expand_compacted(v, items, defs) for v in value]
        return value
    if isinstance(value, dict):
        for branch in node.get("oneOf", []):
            while "$ref" in branch:
                branch = defs[branch["$ref"].removeprefix("#/$defs/")]
            if branch.get("type") == "object":
                node = branch
        props = node.get("properties", {})
        return {
            k: _expand_compacted(v, props[k], defs) if k in props else v for k, v in value.items()
        }
    return value


# --------------------------------------------------------------------------------------------
# Rules the schema misses


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _each(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Objects of a set given as an array or (compacted) a single object, with their paths."""
    if isinstance(value, dict):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield _pointer(path, index), item


class _Rules:
    """Collects rule problems while walking an OB 3.0 document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.problems.append(Problem(path, code, message))

    # -- values

    def extensible(self, obj: Mapping[str, Any], key: str, path: str, enum: type[StrEnum]) -> None:
        value = obj.get(key)
        if value is None:
            return
        ok = isinstance(value, str) and (
            value in enum._value2member_map_ or EXT_PATTERN.fullmatch(value) is not None
        )
        if not ok:
            code = {
                AchievementType: "ACHIEVEMENT_TYPE",
                AlignmentTargetType: "ALIGNMENT_TARGET_TYPE",
                ResultType: "RESULT_TYPE",
            }.get(enum, "IDENTIFIER_TYPE")
            self.add(
                _pointer(path, key),
                code,
                f"{value!r} is not a {enum.__name__} value nor an 'ext:' extension",
            )

    def datetime(
        self, obj: Mapping[str, Any], key: str, path: str, *, zoned: bool
    ) -> datetime | None:
        value = obj.get(key)
        if value is None or not isinstance(value, str):
            return None  # absence and type are the schema's business
        try:
            return parse_xsd_datetime(value, require_timezone=zoned)
        except InvalidInput as exc:
            self.add(_pointer(path, key), "DATETIME", exc.message)
            return None

    # -- classes

    def envelope(self, doc: Mapping[str, Any], path: str, subtypes: tuple[str, ...]) -> None:
        context = doc.get("@context")
        contexts = context if isinstance(context, list) else [context]
        if not contexts or contexts[0] != VC_V2_CONTEXT:
            self.add(_pointer(path, "@context", 0), "CONTEXT", f"must be {VC_V2_CONTEXT!r}")
        second = contexts[1] if len(contexts) > 1 else None
        if not isinstance(second, str) or not OB_CONTEXT_PATTERN.fullmatch(second):
            self.add(
                _pointer(path, "@context", 1),
                "CONTEXT",
                "must be an Open Badges 3.0 context URL "
                "(https://purl.imsglobal.org/spec/ob/v3p0/context-3.x.y.json)",
            )
        types = _types(doc.get("type"))
        if "VerifiableCredential" not in types:
            self.add(_pointer(path, "type"), "TYPE", "must contain 'VerifiableCredential'")
        if not any(t in types for t in subtypes):
            wanted = " or ".join(repr(t) for t in subtypes)
            self.add(_pointer(path, "type"), "TYPE", f"must contain {wanted}")
        start = self.datetime(doc, "validFrom", path, zoned=True)
        end = self.datetime(doc, "validUntil", path, zoned=True)
        self.datetime(doc, "awardedDate", path, zoned=True)
        if start is not None and end is not None and start > end:
            self.add(_pointer(path, "validUntil"), "VALIDITY_PERIOD", "is before validFrom")
        issuer = doc.get("issuer")
        if isinstance(issuer, dict):
            self.profile(issuer, _pointer(path, "issuer"))
        for item_path, item in _each(doc.get("endorsement"), _pointer(path, "endorsement")):
            self.endorsement(item, item_path)

    def endorsement(self, doc: Mapping[str, Any], path: str) -> None:
        if path.count("/endorsement") > _MAX_DEPTH:
            self.add(path, "TOO_DEEP", "endorsements are nested too deeply")
            return
        self.envelope(doc, path, ("EndorsementCredential",))

    def profile(self, doc: Mapping[str, Any], path: str, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            self.add(path, "TOO_DEEP", "parentOrg chain is too long")
            return
        for item_path, item in _each(doc.get("otherIdentifier"), _pointer(path, "otherIdentifier")):
            self.extensible(item, "identifierType", item_path, IdentifierType)
        for item_path, item in _each(doc.get("endorsement"), _pointer(path, "endorsement")):
            self.endorsement(item, item_path)
        birth = doc.get("dateOfBirth")
        if isinstance(birth, str):
            try:
                parse_xsd_date(birth)
            except InvalidInput as exc:
                self.add(_pointer(path, "dateOfBirth"), "DATE", exc.message)
        parent = doc.get("parentOrg")
        if isinstance(parent, dict):
            self.profile(parent, _pointer(path, "parentOrg"), depth + 1)

    def alignments(self, owner: Mapping[str, Any], path: str) -> None:
        for item_path, item in _each(owner.get("alignment"), _pointer(path, "alignment")):
            self.extensible(item, "targetType", item_path, AlignmentTargetType)

    def achievement(self, doc: Mapping[str, Any], path: str) -> None:
        criteria = doc.get("criteria")
        if isinstance(criteria, dict) and "id" not in criteria and "narrative" not in criteria:
            self.add(_pointer(path, "criteria"), "CRITERIA", "needs an id or a narrative")
        self.extensible(doc, "achievementType", path, AchievementType)
        self.alignments(doc, path)
        descriptions = _each(doc.get("resultDescription"), _pointer(path, "resultDescription"))
        for item_path, item in descriptions:
            self.extensible(item, "resultType", item_path, ResultType)
            self.alignments(item, item_path)
            levels = _each(
                item.get("rubricCriterionLevel"), _pointer(item_path, "rubricCriterionLevel")
            )
            for level_path, level in levels:
                self.alignments(level, level_path)
        for item_path, item in _each(doc.get("otherIdentifier"), _pointer(path, "otherIdentifier")):
            self.extensible(item, "identifierType", item_path, IdentifierType)
        creator = doc.get("creator")
        if isinstance(creator, dict):
            self.profile(creator, _pointer(path, "creator"))
        for item_path, item in _each(doc.get("endorsement"), _pointer(path, "endorsement")):
            self.endorsement(item, item_path)

    def identity(self, doc: Mapping[str, Any], path: str) -> None:
        self.extensible(doc, "identityType", path, IdentifierType)
        value = doc.get("identityHash")
        if doc.get("hashed") is True and isinstance(value, str):
            if not IDENTITY_HASH_PATTERN.fullmatch(value):
                self.add(
                    _pointer(path, "identityHash"),
                    "IDENTITY_HASH",
                    "a hashed identity must be 'sha256$<64 hex>' or 'md5$<32 hex>'",
                )

    def subject(self, doc: Mapping[str, Any], path: str) -> None:
        identifiers = list(_each(doc.get("identifier"), _pointer(path, "identifier")))
        if "id" not in doc and not identifiers:
            self.add(path, "SUBJECT_IDENTITY", "needs an id or at least one identifier")
        for item_path, item in identifiers:
            self.identity(item, item_path)
        self.datetime(doc, "activityStartDate", path, zoned=False)
        self.datetime(doc, "activityEndDate", path, zoned=False)
        achievement = doc.get("achievement")
        if isinstance(achievement, dict):
            self.achievement(achievement, _pointer(path, "achievement"))
        for item_path, item in _each(doc.get("result"), _pointer(path, "result")):
            self.alignments(item, item_path)
        source = doc.get("source")
        if isinstance(source, dict):
            self.profile(source, _pointer(path, "source"))

    def credential(self, doc: Mapping[str, Any]) -> None:
        self.envelope(doc, "", ("OpenBadgeCredential", "AchievementCredential"))
        subject = doc.get("credentialSubject")
        if isinstance(subject, dict):
            self.subject(subject, "/credentialSubject")


def _rule_problems(raw: Mapping[str, Any], name: SchemaName) -> list[Problem]:
    rules = _Rules()
    if name == "achievementcredential":
        rules.credential(raw)
    elif name == "endorsementcredential":
        rules.endorsement(raw, "")
    else:
        rules.profile(raw, "")
    return rules.problems


# --------------------------------------------------------------------------------------------
# Public entry points


def validate_credential(raw: Any, *, allow_compacted: bool = False) -> list[Problem]:
    """Every problem found in an OB 3.0 credential, endorsement or profile (``[]`` = valid).

    The schema is chosen by ``type``.  With ``allow_compacted`` single values are accepted where
    the schema wants arrays (JSON-LD compacted form); by default plain-JSON arrays are required.
    """
    if not isinstance(raw, dict):
        return [Problem("", "SCHEMA_VIOLATION", "must be a JSON object")]
    name = schema_for(raw)
    if name is None:
        return [
            Problem(
                "/type",
                "TYPE",
                "not an Open Badges 3.0 document (expected OpenBadgeCredential, "
                "AchievementCredential, EndorsementCredential or Profile)",
            )
        ]
    document = raw
    if allow_compacted:
        schema = load_schema(name)
        document = _expand_compacted(raw, schema, schema["$defs"])
    problems: list[Problem] = []
    first = schema_problem(document, name)
    if first is not None:
        problems.append(first)
    problems.extend(_rule_problems(raw, name))
    return problems


def check_credential(raw: Any, *, allow_compacted: bool = False) -> None:
    """Raise ``ValidationFailed`` (``SCHEMA_VIOLATION`` or ``RULE_VIOLATION``) unless valid."""
    problems = validate_credential(raw, allow_compacted=allow_compacted)
    if not problems:
        return
    schema_failed = any(p.code == "SCHEMA_VIOLATION" for p in problems)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise ValidationFailed(
        f"not a valid Open Badges 3.0 document: {problems[0]}{more}",
        code="SCHEMA_VIOLATION" if schema_failed else "RULE_VIOLATION",
        problems=[str(p) for p in problems],
    )
