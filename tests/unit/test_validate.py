"""Schema validation (compiled draft-7 rewrite vs the official 2019-09 validator) and OB rules."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from credstack.errors import ConfigurationError, ValidationFailed
from credstack.models import validate
from credstack.models.validate import (
    Problem,
    SchemaName,
    check_credential,
    load_schema,
    schema_for,
    schema_problem,
    validate_credential,
)

ASSETS = Path(__file__).parent.parent / "assets" / "ob"
STRICT_EXAMPLES = [
    "minimal.json",
    "full.json",
    "hashed-email.json",
    "endorsement.json",
    "profile.json",
]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ASSETS / name).read_text(encoding="utf-8"))
    return data


@cache
def official(name: SchemaName) -> Draft201909Validator:
    """The reference: python-jsonschema's 2019-09 validator on the unmodified vendored file."""
    schema = load_schema(name)
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def edit(raw: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    """A copy of ``raw`` with ``path`` set to ``value`` (``KeyError`` deletes it)."""
    doc = copy.deepcopy(raw)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


# ---------------------------------------------------------------------------------------------
# Valid documents


@pytest.mark.parametrize("name", STRICT_EXAMPLES)
def test_validate_accepts_examples(name: str) -> None:
    raw = load(name)
    assert validate_credential(raw) == []
    check_credential(raw)


def test_validate_rejects_compacted_form_by_default() -> None:
    problems = validate_credential(load("compacted.json"))
    assert [p.code for p in problems] == ["SCHEMA_VIOLATION"]
    assert problems[0].path == "/credentialSubject/type"
    assert "must be array" in problems[0].message


def test_validate_accepts_compacted_form_when_allowed() -> None:
    raw = load("compacted.json")
    before = copy.deepcopy(raw)
    assert validate_credential(raw, allow_compacted=True) == []
    assert raw == before  # the input is not rewritten in place


def test_validate_still_checks_compacted_form_when_allowed() -> None:
    raw = edit(load("compacted.json"), ["credentialSubject", "achievement", "tag"], 3)
    problems = validate_credential(raw, allow_compacted=True)
    assert problems == [
        Problem(
            "/credentialSubject/achievement/tag/0",
            "SCHEMA_VIOLATION",
            "must be string (schema keyword 'type')",
        )
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("minimal.json", "achievementcredential"),
        ("hashed-email.json", "achievementcredential"),
        ("endorsement.json", "endorsementcredential"),
        ("profile.json", "profile"),
    ],
)
def test_schema_for_picks_schema_by_type(name: str, expected: str) -> None:
    assert schema_for(load(name)) == expected


def test_validate_reports_unknown_type() -> None:
    raw = edit(load("minimal.json"), ["type"], ["VerifiableCredential", "ClrCredential"])
    problems = validate_credential(raw)
    assert [(p.path, p.code) for p in problems] == [("/type", "TYPE")]
    assert "not an Open Badges 3.0 document" in problems[0].message


@pytest.mark.parametrize("raw", [[], "x", None])
def test_validate_reports_non_object(raw: Any) -> None:
    assert [p.code for p in validate_credential(raw)] == ["SCHEMA_VIOLATION"]


# ---------------------------------------------------------------------------------------------
# Schema problems and check_credential


def test_schema_problem_names_path_and_keyword() -> None:
    raw = edit(load("full.json"), ["credentialSubject", "achievement", "criteria"], KeyError)
    problem = schema_problem(raw, "achievementcredential")
    assert problem == Problem(
        "/credentialSubject/achievement",
        "SCHEMA_VIOLATION",
        "must contain ['criteria'] properties (schema keyword 'required')",
    )


def test_check_credential_raises_schema_violation() -> None:
    raw = edit(load("minimal.json"), ["issuer"], 42)
    with pytest.raises(ValidationFailed) as caught:
        check_credential(raw)
    assert caught.value.code == "SCHEMA_VIOLATION"
    assert caught.value.problems[0].startswith("/issuer: ")


def test_check_credential_raises_rule_violation_with_every_problem() -> None:
    raw = load("minimal.json")
    raw["credentialSubject"].pop("id")
    raw["credentialSubject"]["achievement"]["criteria"] = {}
    with pytest.raises(ValidationFailed) as caught:
        check_credential(raw)
    assert caught.value.code == "RULE_VIOLATION"
    assert caught.value.problems == [
        "/credentialSubject: needs an id or at least one identifier [SUBJECT_IDENTITY]",
        "/credentialSubject/achievement/criteria: needs an id or a narrative [CRITERIA]",
    ]
    assert "(and 1 more)" in caught.value.message


# ---------------------------------------------------------------------------------------------
# Rules the schema misses: each broken once


ACH = ["credentialSubject", "achievement"]
FULL_ACH = [*ACH]
RULE_CASES: list[tuple[str, list[str | int], Any, str, str]] = [
    (
        "minimal.json",
        ["credentialSubject", "id"],
        KeyError,
        "/credentialSubject",
        "SUBJECT_IDENTITY",
    ),
    ("minimal.json", [*ACH, "criteria"], {}, "/credentialSubject/achievement/criteria", "CRITERIA"),
    (
        "minimal.json",
        [*ACH, "achievementType"],
        "Badge-ext:x",
        "/credentialSubject/achievement/achievementType",
        "ACHIEVEMENT_TYPE",
    ),
    (
        "minimal.json",
        [*ACH, "achievementType"],
        "ext:two words",
        "/credentialSubject/achievement/achievementType",
        "ACHIEVEMENT_TYPE",
    ),
    (
        "full.json",
        [*ACH, "alignment", 2, "targetType"],
        "myext:Skill",
        "/credentialSubject/achievement/alignment/2/targetType",
        "ALIGNMENT_TARGET_TYPE",
    ),
    (
        "full.json",
        [*ACH, "resultDescription", 1, "rubricCriterionLevel", 1, "alignment", 0, "targetType"],
        "ext:CF Item",
        "/credentialSubject/achievement/resultDescription/1/rubricCriterionLevel/1/alignment/0"
        "/targetType",
        "ALIGNMENT_TARGET_TYPE",
    ),
    (
        "full.json",
        ["credentialSubject", "result", 1, "alignment", 0, "targetType"],
        "ext:a/b",
        "/credentialSubject/result/1/alignment/0/targetType",
        "ALIGNMENT_TARGET_TYPE",
    ),
    (
        "full.json",
        [*ACH, "resultDescription", 0, "resultType"],
        "Percent ext:x",
        "/credentialSubject/achievement/resultDescription/0/resultType",
        "RESULT_TYPE",
    ),
    (
        "full.json",
        ["validFrom"],
        "2030-03-01T12:00:00Z",
        "/validUntil",
        "VALIDITY_PERIOD",
    ),
    ("minimal.json", ["validFrom"], "2025-01-15T09:00:00", "/validFrom", "DATETIME"),
    ("minimal.json", ["validFrom"], "15 January 2025", "/validFrom", "DATETIME"),
    ("full.json", ["awardedDate"], "2025-02-30T16:30:00Z", "/awardedDate", "DATETIME"),
    (
        "full.json",
        ["credentialSubject", "activityStartDate"],
        "2024-09-02",
        "/credentialSubject/activityStartDate",
        "DATETIME",
    ),
    (
        "hashed-email.json",
        ["credentialSubject", "identifier", 0, "identityHash"],
        "sha256$B5809D8A",
        "/credentialSubject/identifier/0/identityHash",
        "IDENTITY_HASH",
    ),
    (
        "hashed-email.json",
        ["credentialSubject", "identifier", 0, "identityHash"],
        "sha1$" + "0" * 40,
        "/credentialSubject/identifier/0/identityHash",
        "IDENTITY_HASH",
    ),
    (
        "hashed-email.json",
        ["credentialSubject", "identifier", 0, "identityType"],
        "xext:email",
        "/credentialSubject/identifier/0/identityType",
        "IDENTIFIER_TYPE",
    ),
    (
        "full.json",
        ["issuer", "otherIdentifier", 0, "identifierType"],
        "ext:bad id",
        "/issuer/otherIdentifier/0/identifierType",
        "IDENTIFIER_TYPE",
    ),
    (
        "full.json",
        ["endorsement", 0, "validUntil"],
        "2020-01-01T00:00:00Z",
        "/endorsement/0/validUntil",
        "VALIDITY_PERIOD",
    ),
    (
        "full.json",
        [*ACH, "creator", "dateOfBirth"],
        "1980-02-30",
        "/credentialSubject/achievement/creator/dateOfBirth",
        "DATE",
    ),
    (
        "profile.json",
        ["otherIdentifier", 0, "identifierType"],
        "Erasmus-ext:Code",
        "/otherIdentifier/0/identifierType",
        "IDENTIFIER_TYPE",
    ),
    (
        "endorsement.json",
        ["validUntil"],
        "2024-08-31T23:59:59Z",
        "/validUntil",
        "VALIDITY_PERIOD",
    ),
]


@pytest.mark.parametrize(("name", "path", "value", "where", "code"), RULE_CASES)
def test_rule_violation_is_reported_when_schema_passes(
    name: str, path: list[str | int], value: Any, where: str, code: str
) -> None:
    raw = edit(load(name), path, value)
    schema = schema_for(raw)
    assert schema is not None
    assert official(schema).is_valid(raw)  # the official schema misses it
    problems = validate_credential(raw)
    assert [(p.path, p.code) for p in problems] == [(where, code)]
    with pytest.raises(ValidationFailed) as caught:
        check_credential(raw)
    assert caught.value.code == "RULE_VIOLATION"


def test_rule_accepts_md5_hash_and_extensions() -> None:
    raw = load("hashed-email.json")
    raw["credentialSubject"]["identifier"][0]["identityHash"] = "md5$" + "ab" * 16
    raw["credentialSubject"]["identifier"][0]["identityType"] = "ext:StudentEmail"
    raw["credentialSubject"]["achievement"]["achievementType"] = "ext:Nano.degree-1_0"
    assert validate_credential(raw) == []


def test_rule_ignores_unhashed_identity_format() -> None:
    raw = load("hashed-email.json")
    raw["credentialSubject"]["identifier"][0].update(hashed=False, identityHash="a@example.com")
    assert validate_credential(raw) == []


@pytest.mark.parametrize(
    ("path", "value", "where", "code"),
    [
        (["@context", 0], "https://www.w3.org/2018/credentials/v1", "/@context/0", "CONTEXT"),
        (
            ["@context", 1],
            "https://purl.imsglobal.org/spec/ob/v3p0/context.jsonld",
            "/@context/1",
            "CONTEXT",
        ),
        (["type"], ["OpenBadgeCredential"], "/type", "TYPE"),
        (["@context"], [], "/@context/0", "CONTEXT"),
    ],
)
def test_rule_checks_envelope_also_enforced_by_schema(
    path: list[str | int], value: Any, where: str, code: str
) -> None:
    raw = edit(load("minimal.json"), path, value)
    problems = validate_credential(raw)
    assert problems[0].code == "SCHEMA_VIOLATION"
    assert (where, code) in [(p.path, p.code) for p in problems[1:]]


def test_rule_checks_context_pattern_in_full() -> None:
    """The schema's ``$`` lets a final newline through in python-jsonschema; the rule does not."""
    raw = edit(load("minimal.json"), ["@context", 1], load("minimal.json")["@context"][1] + "\n")
    assert official("achievementcredential").is_valid(raw)
    # fastjsonschema reads ``$`` as end of string (ECMA-262), the one known divergence
    assert schema_problem(raw, "achievementcredential") is not None
    problems = validate_credential(raw)
    assert ("/@context/1", "CONTEXT") in [(p.path, p.code) for p in problems]


def test_rule_accepts_context_versions_and_extra_contexts() -> None:
    raw = load("minimal.json")
    raw["@context"][1] = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
    raw["@context"].append({"ex": "https://example.org/vocab#"})
    assert validate_credential(raw) == []
    raw["@context"][1] = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
    assert validate_credential(raw) == []


# ---------------------------------------------------------------------------------------------
# Equivalence of the compiled draft-7 rewrite with the official 2019-09 validator

REPLACEMENTS: list[Any] = [KeyError, None, 0, 2.5, True, "", "x", [], {}, ["x"], [{}]]
FEW_REPLACEMENTS: list[Any] = [KeyError, 0, "x", {}]  # for the large full.json


def json_paths(node: Any, prefix: list[str | int]) -> Iterator[list[str | int]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield [*prefix, key]
            yield from json_paths(value, [*prefix, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield [*prefix, index]
            yield from json_paths(value, [*prefix, index])


def lookup(doc: Any, path: list[str | int]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def mutations(raw: dict[str, Any], replacements: list[Any]) -> Iterator[dict[str, Any]]:
    """Documents near ``raw``: each member replaced, removed, wrapped or unwrapped."""
    yield raw
    for path in json_paths(raw, []):
        current = lookup(raw, path)
        for value in replacements:
            if value is KeyError and isinstance(path[-1], int):
                continue
            yield edit(raw, path, value)
        yield edit(raw, path, [current])
        if isinstance(current, list) and current:
            yield edit(raw, path, current[0])
        if isinstance(current, dict):
            yield edit(raw, path, {**current, "unexpected": 1})


def corpus() -> Iterator[tuple[SchemaName, dict[str, Any]]]:
    for name in [*STRICT_EXAMPLES, "compacted.json"]:
        raw = load(name)
        schema = schema_for(raw)
        assert schema is not None
        replacements = FEW_REPLACEMENTS if name == "full.json" else REPLACEMENTS
        for doc in mutations(raw, replacements):
            yield schema, doc
    # the same documents judged by a schema they were not written for
    yield "profile", load("minimal.json")
    yield "endorsementcredential", load("minimal.json")
    yield "achievementcredential", load("endorsement.json")


def test_compiled_schema_agrees_with_official_validator() -> None:
    checked = invalid = 0
    for schema, doc in corpus():
        errors = list(official(schema).iter_errors(doc))
        problem = schema_problem(doc, schema)
        assert (problem is None) == (not errors), (schema, doc, errors[:1], problem)
        if problem is not None:
            # the reported place is one the official validator also reports
            official_paths = {
                "".join(f"/{step}" for step in error.absolute_path) for error in errors
            }
            assert problem.path in official_paths, (problem, official_paths)
            invalid += 1
        checked += 1
    assert checked > 2000
    assert invalid > checked // 2
    assert checked - invalid > 100


@pytest.mark.parametrize("name", ["achievementcredential", "endorsementcredential", "profile"])
def test_draft7_rewrite_only_renames_defs(name: SchemaName) -> None:
    original = load_schema(name)
    converted = validate._to_draft7(original)
    text = json.dumps(converted)
    assert "$defs" not in text
    assert converted["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert (
        json.loads(text.replace("#/definitions/", "#/$defs/").replace('"definitions"', '"$defs"'))[
            "properties"
        ]
        == original["properties"]
    )
    assert validate._compiled(name) is validate._compiled(name)  # compiled once


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "unevaluatedProperties": False},
        {
            "$defs": {"A": {"type": "string"}},
            "properties": {"a": {"$ref": "#/$defs/A", "minLength": 2}},
        },
        {"properties": {"a": {"$ref": "https://example.org/remote.json"}}},
        {"type": "array", "minContains": 2, "contains": {"type": "string"}},
    ],
)
def test_draft7_rewrite_refuses_keywords_that_change_meaning(schema: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        validate._to_draft7(schema)
