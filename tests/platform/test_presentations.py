"""Presentations: a learner's wallet signs over a one-time challenge; the verifier uses the
challenge up and checks the holder and every credential."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.errors import ConfigurationError, InvalidInput
from credstack.jsonld.loader import CREDENTIALS_V2
from credstack.platform.issuance import Issuer, IssueRequest, revoke
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys, signing_key
from credstack.platform.presentations import (
    MAX_BUILT_BYTES,
    MAX_PRESENTATION_BYTES,
    MAX_PRESENTED,
    REQUEST_TTL,
    build_presentation,
    check_challenge,
    consume_challenge,
    new_challenge,
    open_learner_key,
    parse_presentation,
    presentation_answer,
    verify_presentation,
)
from credstack.platform.statuslists import status_list_credential, status_list_url
from credstack.proofs.dataintegrity import add_proof
from credstack.verify.report import StepName
from credstack.verify.verifier import Verifier
from credstack.web.wallet_keys import new_learner_key
from tests.platform.conftest import BASE, HOST, T0, World


def _credential(world: World, did: str) -> dict[str, Any]:
    uow = world.db.unit_of_work()
    issued = Issuer(uow, world.custody, world.org, BASE).issue(
        world.version, IssueRequest(did=did), at=T0
    )
    uow.commit()
    document: dict[str, Any] = json.loads(issued.credential_json)
    return document


def _learner_pair(world: World) -> KeyPair:
    return open_learner_key(world.custody, new_learner_key(world.custody, "learner-1", at=T0))


def _challenge(world: World, domain: str = HOST) -> str:
    uow = world.db.unit_of_work()
    created = new_challenge(uow, domain=domain, at=T0, ttl=REQUEST_TTL)
    uow.commit()
    return created.value


def _use(world: World, value: str, *, domain: str = HOST, days: float = 0) -> Any:
    uow = world.db.unit_of_work()
    consumed = consume_challenge(uow, value, at=T0 + timedelta(days=days))
    uow.commit()
    return check_challenge(consumed, domain=domain)


def _verify(world: World, vp: dict[str, Any], challenge: Any) -> Any:
    return verify_presentation(
        Verifier(world.resolver()), vp, challenge=challenge, at=T0, status_lists={}
    )


def test_round_trip_verifies_once(world: World) -> None:
    key = _learner_pair(world)
    credentials = [_credential(world, key.did_key), _credential(world, key.did_key)]
    value = _challenge(world)
    vp = build_presentation(credentials, key, challenge=value, domain=HOST, at=T0)
    assert vp["holder"] == key.did_key
    assert vp["verifiableCredential"] == credentials  # exactly as held
    text = json.dumps(vp, indent=2)
    parsed = parse_presentation(text)
    answer = presentation_answer(parsed)
    assert (answer.challenge, answer.domain) == (value, HOST)
    report = _verify(world, parsed, _use(world, answer.challenge))
    assert report.verified, report.render()
    assert [r.verified for r in report.nested] == [True, True]
    with pytest.raises(InvalidInput) as replay:
        _use(world, answer.challenge)
    assert replay.value.code == "INVALID_CHALLENGE_ERROR"
    assert "already used" in replay.value.message


def test_tampered_presentation_is_not_valid(world: World) -> None:
    key = _learner_pair(world)
    vp = build_presentation(
        [_credential(world, key.did_key)], key, challenge=_challenge(world), domain=HOST, at=T0
    )
    tampered = copy.deepcopy(vp)
    tampered["verifiableCredential"][0]["credentialSubject"]["id"] = "did:example:someone-else"
    report = _verify(world, tampered, _use(world, vp["proof"]["challenge"]))
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.name is StepName.PROOF


def test_presentation_signed_by_another_key_than_the_holder_fails(world: World) -> None:
    key, thief = _learner_pair(world), KeyPair.generate()
    value = _challenge(world)
    claiming = {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "holder": key.did_key,  # claims to be the learner, signed by someone else
        "verifiableCredential": [_credential(world, key.did_key)],
    }
    signed = add_proof(
        claiming, thief, proof_purpose="authentication", challenge=value, domain=HOST, created=T0
    )
    report = _verify(world, signed, _use(world, value))
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CONTROLLER_MISMATCH"


def test_revoked_credential_makes_the_presentation_not_valid(world: World) -> None:
    key = _learner_pair(world)
    credential = _credential(world, key.did_key)
    uow = world.db.unit_of_work()
    stored = revoke(uow, world.org, credential["id"], reason=None, at=T0)
    uow.commit()
    uow = world.db.unit_of_work()
    assert stored.status_list_id is not None
    status = uow.status_lists.get(stored.status_list_id)
    assert status is not None
    url = status_list_url(BASE, world.org, status.id)
    pair = signing_key(uow, world.custody, world.org)
    lists = {url: status_list_credential(world.org, status, pair, url=url, at=T0)}
    vp = build_presentation([credential], key, challenge=_challenge(world), domain=HOST, at=T0)
    report = verify_presentation(
        Verifier(world.resolver()),
        vp,
        challenge=_use(world, vp["proof"]["challenge"]),
        at=T0,
        status_lists=lists,
    )
    assert not report.verified
    assert report.nested[0].first_failure is not None
    assert report.nested[0].first_failure.code == "CREDENTIAL_REVOKED"


def test_challenge_for_another_domain_or_expired_is_refused(world: World) -> None:
    other = _challenge(world, domain="elsewhere.example")
    with pytest.raises(InvalidInput, match="already used"):
        _use(world, other)
    expired = _challenge(world)
    with pytest.raises(InvalidInput, match="expired"):
        _use(world, expired, days=REQUEST_TTL.days + 1)
    with pytest.raises(InvalidInput):
        _use(world, "x" * 300)  # never looked up
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidInput, match="domain"):
        new_challenge(uow, domain="  ", at=T0)


def test_building_is_bounded(world: World) -> None:
    key = _learner_pair(world)
    credential = _credential(world, key.did_key)
    with pytest.raises(InvalidInput, match="at least one"):
        build_presentation([], key, challenge="c", domain=HOST, at=T0)
    with pytest.raises(InvalidInput, match=f"at most {MAX_PRESENTED}"):
        build_presentation(
            [credential] * (MAX_PRESENTED + 1), key, challenge="c", domain=HOST, at=T0
        )
    with pytest.raises(InvalidInput, match="challenge is missing"):
        build_presentation([credential], key, challenge=" ", domain=HOST, at=T0)
    with pytest.raises(InvalidInput, match="domain is missing"):
        build_presentation([credential], key, challenge="c", domain="", at=T0)
    big = {**credential, "description": "x" * MAX_BUILT_BYTES}
    with pytest.raises(InvalidInput, match="choose fewer"):
        build_presentation([big], key, challenge="c", domain=HOST, at=T0)


def test_reading_a_presentation_gives_plain_errors() -> None:
    with pytest.raises(InvalidInput, match="not valid JSON"):
        parse_presentation('{"type": ')
    with pytest.raises(InvalidInput, match="paste the presentation"):
        parse_presentation("  \n")
    with pytest.raises(InvalidInput, match="over the limit"):
        parse_presentation(b" " * (MAX_PRESENTATION_BYTES + 1))
    with pytest.raises(InvalidInput, match="JSON object"):
        parse_presentation("[1, 2]")
    with pytest.raises(InvalidInput, match="not a verifiable presentation"):
        parse_presentation('{"type": ["VerifiableCredential"]}')
    unsigned = parse_presentation('{"type": "VerifiablePresentation"}')
    with pytest.raises(InvalidInput, match="not signed over a challenge"):
        presentation_answer(unsigned)


def test_wallet_key_opens_only_as_its_own_did(world: World) -> None:
    mine = new_learner_key(world.custody, "learner-1", at=T0)
    theirs = new_learner_key(world.custody, "learner-2", at=T0)
    assert open_learner_key(world.custody, mine).did_key == mine.did
    with pytest.raises(ConfigurationError, match="does not open"):
        open_learner_key(world.custody, replace(mine, sealed_seed=theirs.sealed_seed))
    other_deployment = KeyCustody(KeyEncryptionKeys.generate("kek-2"))
    with pytest.raises(ConfigurationError, match="not configured"):
        open_learner_key(other_deployment, mine)
