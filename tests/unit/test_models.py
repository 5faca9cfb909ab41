"""Open Badges 3.0 / VC 2.0 data models: parsing, serialisation, identity hashing, errors."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from credstack.errors import InvalidInput
from credstack.models import (
    OB_CONTEXT,
    VC_V2_CONTEXT,
    Achievement,
    AchievementSubject,
    AchievementType,
    Alignment,
    Criteria,
    EndorsementCredential,
    IdentityObject,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultStatus,
    VerifiablePresentation,
)
from credstack.models.validate import validate_credential
from credstack.models.vc import format_xsd_datetime, parse_xsd_date, parse_xsd_datetime

ASSETS = Path(__file__).parent.parent / "assets" / "ob"
SPEC_HASH = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ASSETS / name).read_text(encoding="utf-8"))
    return data


def walk(value: Any) -> list[Any]:
    """Every value nested in a JSON document."""
    found = [value]
    if isinstance(value, dict):
        for item in value.values():
            found.extend(walk(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(walk(item))
    return found


# ---------------------------------------------------------------------------------------------
# Identity objects


def test_hashed_email_reproduces_spec_example() -> None:
    identity = IdentityObject.hashed_email("a@example.com", "Kosher")
    assert identity.identity_hash == SPEC_HASH
    assert identity.to_json() == {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": SPEC_HASH,
        "identityType": "emailAddress",
        "salt": "Kosher",
    }


def test_identity_matches_only_the_hashed_identifier() -> None:
    identity = IdentityObject.hashed_email("a@example.com", "Kosher")
    assert identity.matches("a@example.com")
    assert not identity.matches("b@example.com")
    assert not identity.matches("a@example.comKosher")


def test_identity_matches_md5_and_uppercase_hex() -> None:
    md5 = "md5$" + "4A2B9C1E0A96A7E3A7D2D0A0C91C3B1F"
    wrong = IdentityObject(hashed=True, identity_hash=md5, identity_type="emailAddress")
    assert not wrong.matches("a@example.com")

    digest = hashlib.md5(b"a@example.comsalt", usedforsecurity=False).hexdigest().upper()
    identity = IdentityObject(
        hashed=True, identity_hash=f"md5${digest}", identity_type="emailAddress", salt="salt"
    )
    assert identity.matches("a@example.com")


def test_identity_matches_plain_identifier_exactly() -> None:
    identity = IdentityObject(
        hashed=False, identity_hash="learner-42", identity_type="sisSourcedId"
    )
    assert identity.matches("learner-42")
    assert not identity.matches("learner-4")


def test_identity_rejects_malformed_hash() -> None:
    with pytest.raises(ValidationError, match="sha256"):
        IdentityObject(hashed=True, identity_hash="sha256$abc", identity_type="emailAddress")


# ---------------------------------------------------------------------------------------------
# Parsing the example files


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("minimal.json", OpenBadgeCredential),
        ("full.json", OpenBadgeCredential),
        ("hashed-email.json", OpenBadgeCredential),
        ("compacted.json", OpenBadgeCredential),
        ("endorsement.json", EndorsementCredential),
        ("profile.json", Profile),
    ],
)
def test_from_json_parses_examples(name: str, cls: type[OpenBadgeCredential]) -> None:
    raw = load(name)
    parsed = cls.from_json(raw)
    assert parsed.id == raw["id"]
    assert parsed.original == raw


def test_from_json_reads_every_field_of_full_example() -> None:
    badge = OpenBadgeCredential.from_json(load("full.json"))
    achievement = badge.credential_subject.achievement
    assert achievement.achievement_type is AchievementType.MICRO_CREDENTIAL
    assert [a.target_type for a in achievement.alignment or []] == [
        "ext:ESCOSkill",
        "CFItem",
        "ceterms:Credential",
    ]
    assert achievement.creator is not None
    assert achievement.creator.date_of_birth is not None
    assert achievement.creator.date_of_birth.isoformat() == "1980-12-10"
    assert achievement.credits_available == 5
    assert achievement.tag == ["data", "statistics"]
    assert achievement.related is not None
    assert achievement.related[0].in_language == "nl"
    assert achievement.result_description is not None
    levels = achievement.result_description[1].rubric_criterion_level or []
    assert [level.name for level in levels] == ["Novice", "Proficient"]
    subject = badge.credential_subject
    assert subject.result is not None
    assert subject.result[0].status is ResultStatus.COMPLETED
    assert subject.activity_end_date == datetime(2025, 1, 31, 17, 0)  # DateTime: no zone needed
    assert badge.valid_until == datetime(2030, 3, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert badge.issuer_id == "https://badges.example.edu/issuers/1"
    assert isinstance(badge.issuer, Profile)
    assert badge.issuer.address is not None
    assert badge.issuer.address.geo is not None
    assert badge.issuer.address.geo.latitude == 52.37
    assert badge.endorsement is not None
    assert badge.endorsement[0].credential_subject.endorsement_comment is not None
    assert badge.credential_status is not None
    assert badge.credential_status.status_list_index == "94567"


def test_from_json_accepts_achievement_credential_type() -> None:
    badge = OpenBadgeCredential.from_json(load("hashed-email.json"))
    assert "AchievementCredential" in badge.type
    assert badge.issuer == "https://badges.example.edu/issuers/1"
    assert badge.credential_subject.identifier is not None
    assert badge.credential_subject.identifier[0].matches("a@example.com")


def test_from_json_wraps_compacted_single_values() -> None:
    badge = OpenBadgeCredential.from_json(load("compacted.json"))
    assert badge.credential_subject.type == ["AchievementSubject"]
    assert badge.credential_subject.achievement.tag == ["git"]
    assert badge.proof is not None
    assert len(badge.proof) == 1
    assert badge.credential_schema is not None
    assert len(badge.credential_schema) == 1
    assert isinstance(badge.issuer, Profile)
    assert badge.issuer.type == ["Profile"]


def test_to_json_of_compacted_input_is_strict_json() -> None:
    raw = load("compacted.json")
    assert validate_credential(raw) != []  # single values break the strict schema
    out = OpenBadgeCredential.from_json(raw).to_json()
    assert out["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert out["credentialSubject"]["result"] == [{"type": ["Result"], "status": "Completed"}]
    assert validate_credential(out) == []


def test_to_json_round_trips_minimal_example_exactly() -> None:
    raw = load("minimal.json")
    out = OpenBadgeCredential.from_json(raw).to_json()
    assert out == raw
    assert list(out)[:3] == ["@context", "id", "type"]


def test_to_json_round_trip_keeps_semantics_of_full_example() -> None:
    raw = load("full.json")
    badge = OpenBadgeCredential.from_json(raw)
    out = badge.to_json()
    assert OpenBadgeCredential.from_json(out).model_dump() == badge.model_dump()
    assert OpenBadgeCredential.from_json(out).to_json() == out
    assert validate_credential(out) == []
    assert out["exampleExtension"] == {"note": "kept as received"}
    assert out["credentialStatus"]["statusPurpose"] == "revocation"
    assert parse_xsd_datetime(out["validUntil"]) == parse_xsd_datetime(raw["validUntil"])
    assert list(out)[:3] == ["@context", "id", "type"]
    assert list(out)[-1] == "proof"
    # every key of the input survives
    assert set(out) == set(raw)
    assert set(out["credentialSubject"]["achievement"]) == set(
        raw["credentialSubject"]["achievement"]
    )


def test_to_json_drops_nulls_and_empty_arrays() -> None:
    achievement = Achievement(
        id="urn:uuid:1",
        name="n",
        description="d",
        criteria=Criteria(narrative="do it"),
        tag=[],
        alignment=[],
        version=None,
    )
    out = achievement.to_json()
    assert out == {
        "id": "urn:uuid:1",
        "type": ["Achievement"],
        "name": "n",
        "description": "d",
        "criteria": {"narrative": "do it"},
    }
    assert None not in walk(out)


def test_to_json_of_credential_built_in_code_validates() -> None:
    badge = OpenBadgeCredential(
        id="urn:uuid:4b0e0a52-1c1f-4f43-8a3c-2f1f8f6e0c01",
        issuer=Profile(id="did:example:issuer", name="Issuer"),
        valid_from=datetime(2025, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=2))),
        credential_subject=AchievementSubject(
            identifier=[IdentityObject.hashed_email("a@example.com", "Kosher")],
            achievement=Achievement(
                id="https://example.org/a/1",
                name="Safety",
                description="Safety training",
                criteria=Criteria(id="https://example.org/a/1/criteria"),
                achievement_type="ext:SafetyBadge",
                alignment=[
                    Alignment(target_name="Safety", target_url="https://example.org/s/1"),
                ],
            ),
            result=[Result(status=ResultStatus.COMPLETED)],
        ),
    )
    out = badge.to_json()
    assert out["@context"] == [VC_V2_CONTEXT, OB_CONTEXT]
    assert out["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert out["validFrom"] == "2025-05-01T08:30:00+02:00"
    assert out["credentialSubject"]["achievement"]["alignment"][0]["type"] == ["Alignment"]
    assert validate_credential(out) == []
    assert badge.original == out  # built in code: the original is its JSON


def test_original_is_isolated_from_caller_and_callers() -> None:
    raw = load("full.json")
    badge = OpenBadgeCredential.from_json(raw)
    raw["id"] = "changed after parsing"
    first = badge.original
    first["credentialSubject"]["achievement"]["name"] = "tampered"
    assert badge.original == load("full.json")
    assert badge.original is not badge.original


def test_original_shares_nothing_with_parsed_extension_data() -> None:
    raw = load("full.json")
    badge = OpenBadgeCredential.from_json(raw)
    extension = badge.model_extra
    assert extension is not None
    extension["exampleExtension"]["note"] = "changed through the model"
    assert badge.original["exampleExtension"] == {"note": "kept as received"}


def test_original_keeps_received_form_not_normalised_one() -> None:
    raw = load("compacted.json")
    badge = OpenBadgeCredential.from_json(raw)
    assert badge.original["proof"] == raw["proof"]  # still a single object
    assert isinstance(badge.to_json()["proof"], list)


def test_models_are_frozen() -> None:
    badge = OpenBadgeCredential.from_json(load("minimal.json"))
    with pytest.raises(ValidationError):
        badge.id = "urn:other"


@pytest.mark.parametrize("value", [*list(AchievementType), "ext:Nano-degree_1.0"])
def test_achievement_type_accepts_enum_and_extensions(value: str) -> None:
    achievement = Achievement.model_validate(
        {
            "id": "urn:a",
            "name": "n",
            "description": "d",
            "criteria": {"narrative": "x"},
            "achievementType": str(value),
        }
    )
    assert achievement.to_json()["achievementType"] == str(value)


def test_achievement_type_enum_has_every_spec_value() -> None:
    assert len(AchievementType) == 31
    assert {"MicroCredential", "QualityAssuranceCredential", "CoCurricular"} <= set(AchievementType)


# ---------------------------------------------------------------------------------------------
# Readable errors


def mutate(name: str, path: list[str | int], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(load(name))
    node: Any = raw
    for step in path[:-1]:
        node = node[step]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


ACH = ["credentialSubject", "achievement"]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ([*ACH, "criteria"], KeyError, "/credentialSubject/achievement/criteria: Field required"),
        (
            [*ACH, "achievementType"],
            "Nanodegree",
            "/credentialSubject/achievement/achievementType: 'Nanodegree' is not one of",
        ),
        ([*ACH, "criteria"], {}, "/credentialSubject/achievement/criteria: criteria needs an id"),
        (
            [*ACH, "alignment", 1, "targetType"],
            "Skill",
            "/credentialSubject/achievement/alignment/1/targetType: 'Skill' is not one of",
        ),
        (["issuer"], 7, "/issuer: Input should be a valid dictionary"),
        (["issuer", "type"], ["Organization"], "/issuer: type must contain 'Profile'"),
        (["validFrom"], "2025-03-01", "/validFrom: not an XSD dateTime"),
        (["validFrom"], "2025-03-01T12:00:00", "/validFrom: dateTime must carry a timezone"),
        (["validFrom"], "2031-01-01T00:00:00Z", "/: validFrom is later than validUntil"),
        (["type"], ["VerifiableCredential"], "/: type must contain 'OpenBadgeCredential'"),
        (["@context"], [VC_V2_CONTEXT], "/: @context must start with"),
        (["credentialSubject", "creditsEarned"], "5", "/credentialSubject/creditsEarned: Input"),
        (
            ["credentialSubject", "result", 0, "status"],
            "Done",
            "/credentialSubject/result/0/status: 'Done' is not one of the ResultStatus values",
        ),
        (
            ["credentialSubject", "identifier", 0, "hashed"],
            True,
            "/credentialSubject/identifier/0: a hashed identityHash must be",
        ),
    ],
)
def test_from_json_reports_readable_invalid_input(
    path: list[str | int], value: Any, expected: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        OpenBadgeCredential.from_json(mutate("full.json", path, value))
    error = caught.value
    assert not isinstance(error.__cause__, ValidationError)
    assert error.code == "INVALID_INPUT"
    assert expected in error.message
    assert "pydantic" not in error.message
    assert "function-" not in error.message  # no pydantic validator tags in paths


def test_from_json_reports_subject_without_identity() -> None:
    raw = mutate("minimal.json", ["credentialSubject", "id"], KeyError)
    with pytest.raises(InvalidInput, match="/credentialSubject: credentialSubject needs an id"):
        OpenBadgeCredential.from_json(raw)


def test_nested_from_json_reports_pointer_into_input() -> None:
    raw = load("full.json")["credentialSubject"]["achievement"]
    assert Achievement.from_json(raw).name == raw["name"]
    raw["tag"] = 5
    with pytest.raises(InvalidInput, match=r"^invalid Achievement: /tag: Input should be"):
        Achievement.from_json(raw)


def test_credential_to_json_orders_envelope_for_reading() -> None:
    out = OpenBadgeCredential.from_json(load("full.json")).to_json()
    keys = list(out)
    assert keys[:7] == ["@context", "id", "type", "name", "description", "image", "issuer"]
    assert keys.index("credentialSubject") < keys.index("credentialStatus")
    assert keys[-1] == "proof"


@pytest.mark.parametrize("raw", [[], "credential", None, 3])
def test_from_json_rejects_non_objects(raw: Any) -> None:
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        OpenBadgeCredential.from_json(raw)


def test_presentation_keeps_credentials_as_received() -> None:
    raw = load("compacted.json")
    presentation = VerifiablePresentation.from_json(
        {
            "@context": [VC_V2_CONTEXT],
            "type": "VerifiablePresentation",
            "holder": {"id": "did:example:learner-42"},
            "verifiableCredential": raw,
        }
    )
    assert presentation.verifiable_credential == [raw]
    assert presentation.to_json()["type"] == ["VerifiablePresentation"]
    with pytest.raises(InvalidInput, match="/: type must contain 'VerifiablePresentation'"):
        VerifiablePresentation.from_json({"@context": [VC_V2_CONTEXT], "type": ["Thing"]})


# ---------------------------------------------------------------------------------------------
# XSD dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T09:00:00Z", datetime(2025, 1, 15, 9, tzinfo=UTC)),
        ("2025-01-15T09:00:00.5-05:30", datetime(2025, 1, 15, 14, 30, 0, 500000, tzinfo=UTC)),
        ("2025-01-15T24:00:00Z", datetime(2025, 1, 16, tzinfo=UTC)),
        ("2025-01-15T09:00:00.1234567+00:00", datetime(2025, 1, 15, 9, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_xsd_datetime_reads_lexical_forms(text: str, expected: datetime) -> None:
    assert parse_xsd_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-15",
        "2025-01-15T09:00Z",
        "2025-13-15T09:00:00Z",
        "2025-02-30T09:00:00Z",
        "2025-01-15T09:00:00+15:00",
        "2025-01-15T24:00:01Z",
        "2025-01-15T09:00:00Z\n",
        "2025-01-15 09:00:00Z",
        "2025-01-15T09:00:00",
    ],
)
def test_parse_xsd_datetime_rejects_bad_values(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_xsd_datetime(text)


def test_parse_xsd_date_rejects_impossible_day() -> None:
    assert parse_xsd_date("2024-02-29").day == 29
    with pytest.raises(InvalidInput):
        parse_xsd_date("2023-02-29")


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3, minutes=-30))]),
    )
)
def test_format_xsd_datetime_round_trips(value: datetime) -> None:
    text = format_xsd_datetime(value)
    assert parse_xsd_datetime(text) == value
    assert format_xsd_datetime(parse_xsd_datetime(text)) == text
