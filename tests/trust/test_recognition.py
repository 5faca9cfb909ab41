"""Recognition rules: listed entries, validity windows, scopes, accreditations, lists' own
validity — and why something did not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from credstack.errors import InvalidInput
from credstack.trust import (
    Accreditation,
    Basis,
    Check,
    CheckState,
    EntryRole,
    Registry,
    RegistryEntry,
    RegistrySource,
    achievement_type_of,
    new_entry,
    new_registry,
    recognise,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)
UNI = "did:web:uni.example"
BODY = "did:web:accreditor.example"


def _registry(
    registry_id: str,
    *entries: RegistryEntry,
    list_valid_from: datetime | None = None,
    list_valid_until: datetime | None = None,
) -> Registry:
    return new_registry(
        registry_id,
        registry_id.upper(),
        RegistrySource.LOCAL,
        entries=entries,
        list_valid_from=list_valid_from,
        list_valid_until=list_valid_until,
    )


def _accreditation(check: CheckState = CheckState.VALID, **kw: object) -> Accreditation:
    return Accreditation(
        id="urn:uuid:acc-1",
        accreditor=BODY,
        issuer=UNI,
        name="Institutional accreditation",
        check=Check(check, "the issuer revoked it" if check is CheckState.REVOKED else ""),
        **kw,  # type: ignore[arg-type]
    )


def test_listed_issuer_is_recognised_with_its_registry_named() -> None:
    eu = _registry("eu", new_entry(UNI, "Uni of Example"))
    other = _registry("other", new_entry("did:web:else.example", "Else"))
    found = recognise(UNI, T0, [eu, other])
    assert found.recognised
    assert found.registry_names == ("EU",)
    assert found.consulted_names == ("EU", "OTHER")
    [reason] = found.reasons
    assert reason.basis is Basis.LISTED
    assert reason.describe() == "EU: listed as “Uni of Example”"
    assert found.summary() == "Recognised by EU"
    assert found.to_json()["recognisedBy"][0]["registry"] == "eu"


def test_several_registries_are_all_named() -> None:
    found = recognise(
        UNI, T0, [_registry("a", new_entry(UNI, "U")), _registry("b", new_entry(UNI, "U"))]
    )
    assert found.summary() == "Recognised by A and B"


def test_unlisted_issuer_is_not_recognised() -> None:
    found = recognise(UNI, T0, [_registry("eu", new_entry("did:web:x.example", "X"))])
    assert not found.recognised
    assert found.summary() == "Not recognised by the registries you trust"
    assert found.notes == ()


def test_no_registry_consulted() -> None:
    found = recognise(UNI, T0, [])
    assert not found.recognised
    assert found.summary() == "No trust registry was consulted"


def test_expired_entry_does_not_count_and_says_why() -> None:
    entry = new_entry(UNI, "U", valid_from=T0 - timedelta(days=400), valid_until=T0)
    found = recognise(UNI, T0, [_registry("eu", entry)])
    assert not found.recognised
    [note] = found.notes
    assert note.registry_name == "EU"
    assert "only until 1 June 2026" in note.text
    # the moment before it ended, it counted
    assert recognise(UNI, T0 - timedelta(seconds=1), [_registry("eu", entry)]).recognised


def test_entry_not_yet_valid() -> None:
    entry = new_entry(UNI, "U", valid_from=T0 + timedelta(days=1))
    found = recognise(UNI, T0, [_registry("eu", entry)])
    assert not found.recognised
    assert "only from 2 June 2026" in found.notes[0].text


def test_scope_limits_achievement_types() -> None:
    entry = new_entry(UNI, "U", scope=["MicroCredential"])
    registry = _registry("eu", entry)
    assert recognise(UNI, T0, [registry], achievement_type="MicroCredential").recognised
    badge = recognise(UNI, T0, [registry], achievement_type="Badge")
    assert not badge.recognised
    assert "for MicroCredential only (not for Badge)" in badge.notes[0].text
    assert not recognise(UNI, T0, [registry]).recognised  # type unknown: a scoped entry fails


def test_an_accreditor_entry_alone_does_not_recognise_the_body_as_an_issuer() -> None:
    registry = _registry("eu", new_entry(BODY, "Body", role=EntryRole.ACCREDITOR))
    assert not recognise(BODY, T0, [registry]).recognised


def test_accreditation_by_a_listed_body_counts() -> None:
    registry = _registry("eu", new_entry(BODY, "Quality Agency", role=EntryRole.ACCREDITOR))
    found = recognise(
        UNI,
        T0,
        [registry],
        accreditations=[_accreditation(valid_until=T0 + timedelta(days=30))],
    )
    assert found.recognised
    [reason] = found.reasons
    assert reason.basis is Basis.ACCREDITED
    assert reason.accreditor == BODY
    assert reason.valid_until == T0 + timedelta(days=30)
    assert "accredited by Quality Agency" in reason.describe()


def test_accreditation_by_a_body_the_registry_does_not_list_does_not_count() -> None:
    registry = _registry("eu", new_entry("did:web:other-body.example", "Other", role="accreditor"))
    assert not recognise(UNI, T0, [registry], accreditations=[_accreditation()]).recognised
    # nor does listing the body as a mere issuer
    as_issuer = _registry("eu", new_entry(BODY, "Body"))
    assert not recognise(UNI, T0, [as_issuer], accreditations=[_accreditation()]).recognised


def test_revoked_accreditation_is_not_counted() -> None:
    registry = _registry("eu", new_entry(BODY, "Quality Agency", role=EntryRole.ACCREDITOR))
    found = recognise(UNI, T0, [registry], accreditations=[_accreditation(CheckState.REVOKED)])
    assert not found.recognised
    [note] = found.notes
    assert note.text == "the accreditation by Quality Agency is revoked: the issuer revoked it"


@pytest.mark.parametrize("state", [CheckState.INVALID, CheckState.SUSPENDED, CheckState.EXPIRED])
def test_accreditation_that_does_not_verify_is_not_counted(state: CheckState) -> None:
    registry = _registry("eu", new_entry(BODY, "Quality Agency", role=EntryRole.ACCREDITOR))
    assert not recognise(UNI, T0, [registry], accreditations=[_accreditation(state)]).recognised


def test_expired_accreditation_or_expired_body_entry_is_not_counted() -> None:
    body = new_entry(BODY, "Quality Agency", role=EntryRole.ACCREDITOR)
    registry = _registry("eu", body)
    ended = _accreditation(valid_until=T0)
    found = recognise(UNI, T0, [registry], accreditations=[ended])
    assert not found.recognised
    assert "expired on 1 June 2026" in found.notes[0].text
    old_body = _registry("eu", new_entry(BODY, "Q", role="accreditor", valid_until=T0))
    assert not recognise(UNI, T0, [old_body], accreditations=[_accreditation()]).recognised


def test_accreditations_of_someone_else_are_ignored() -> None:
    registry = _registry("eu", new_entry(BODY, "Q", role=EntryRole.ACCREDITOR))
    assert not recognise(
        "did:web:x.example", T0, [registry], accreditations=[_accreditation()]
    ).recognised


def test_an_expired_list_recognises_no_one() -> None:
    registry = _registry(
        "eu",
        new_entry(UNI, "U"),
        list_valid_from=T0 - timedelta(days=10),
        list_valid_until=T0 - timedelta(days=1),
    )
    found = recognise(UNI, T0, [registry])
    assert not found.recognised
    assert "the list expired on 31 May 2026" in found.notes[0].text


def test_entries_are_checked_when_made() -> None:
    with pytest.raises(InvalidInput, match="not a DID"):
        new_entry("https://uni.example", "U")
    with pytest.raises(InvalidInput, match="role"):
        new_entry(UNI, "U", role="boss")
    with pytest.raises(InvalidInput, match="ends before it starts"):
        new_entry(UNI, "U", valid_from=T0, valid_until=T0)
    with pytest.raises(InvalidInput, match="not an achievement type"):
        new_entry(UNI, "U", scope=["<script>"])
    with pytest.raises(InvalidInput, match="http"):
        new_entry(UNI, "U", url="javascript:alert(1)")
    with pytest.raises(InvalidInput, match="no zone"):
        new_entry(UNI, "U", valid_from=datetime(2026, 1, 1))
    with pytest.raises(InvalidInput, match="registry id"):
        new_registry("Not An Id", "X", RegistrySource.LOCAL)
    with pytest.raises(InvalidInput, match="twice"):
        new_registry("eu", "EU", RegistrySource.LOCAL, entries=(new_entry(UNI, "A"),) * 2)


def test_achievement_type_of_a_credential() -> None:
    credential = {"credentialSubject": {"achievement": {"achievementType": "Badge"}}}
    assert achievement_type_of(credential) == "Badge"
    assert achievement_type_of({"credentialSubject": [{"achievement": {}}]}) is None
    assert achievement_type_of("not a credential") is None
