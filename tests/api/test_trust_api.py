"""Issuer trust on a running app: imported lists and local registries, recognition in
``POST /credentials/verify`` and ``GET /trust/*``, accreditations issued and revoked on this
platform, endorsements verified one by one, and bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from credstack.api.context import AppContext
from credstack.api.routes_trust import checks, trust_store, trust_view
from credstack.crypto.keys import KeyPair
from credstack.errors import Conflict, InvalidInput, InvalidState, NotFound, ProofError
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.endorsements import endorse
from credstack.platform.issuance import Issuer, IssueRequest, revoke
from credstack.platform.trust import (
    add_accreditation,
    add_entry,
    add_local_registry,
    choose_registries,
    endorsements_of,
    import_dcc_registry,
    import_trust_list,
    tally,
)
from credstack.proofs.dataintegrity import add_proof
from credstack.trust import ACCREDITATION_TYPE, Basis, EntryRole, build_trust_list, new_entry
from tests.api.conftest import BASE, DESIGN, T0, World

PUBLISHER = KeyPair.generate()


def _ctx(world: World) -> AppContext:
    ctx = world.client.app.state.credstack  # type: ignore[attr-defined]
    assert isinstance(ctx, AppContext)
    return ctx


def _signed_list(dids: list[str], *, edition: str = "urn:uuid:1", days: int = 0) -> dict[str, Any]:
    unsigned = build_trust_list(
        publisher=PUBLISHER.did_key,
        edition=edition,
        list_id="https://registry.example/heis",
        name="Higher education register",
        entries=[new_entry(did, f"Listed {n}") for n, did in enumerate(dids)],
        valid_from=T0 + timedelta(days=days),
    )
    return add_proof(unsigned, PUBLISHER, created=T0)


def _credential(world: World) -> dict[str, Any]:
    found = world.db.unit_of_work().credentials.get(world.credential_id)
    assert found is not None
    document: dict[str, Any] = json.loads(found.credential_json)
    return document


def _verify(world: World, credential: dict[str, Any]) -> dict[str, Any]:
    response = world.client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_verify_answer_names_the_default_registries_that_recognise_the_issuer(
    world: World,
) -> None:
    ctx = _ctx(world)
    store = trust_store(ctx)
    assert _verify(world, _credential(world))["results"]["recognition"]["recognised"] is False
    import_trust_list(
        store,
        _signed_list([world.uni.did]),
        registry_id="heis",
        publisher=PUBLISHER.did_key,
        at=T0,
        default=True,
    )
    add_local_registry(store, "ours", "Our partners", at=T0)  # not a default: not consulted
    add_entry(store, "ours", new_entry(world.uni.did, "Uni"), at=T0)
    recognition = _verify(world, _credential(world))["results"]["recognition"]
    assert recognition["recognised"] is True
    assert recognition["summary"] == "Recognised by Higher education register"
    assert [r["registry"] for r in recognition["recognisedBy"]] == ["heis"]
    assert [c["id"] for c in recognition["consulted"]] == ["heis"]


def test_trust_endpoints_list_show_and_recognise(world: World) -> None:
    store = trust_store(_ctx(world))
    import_trust_list(
        store, _signed_list([world.uni.did]), registry_id="heis", publisher=PUBLISHER.did_key, at=T0
    )
    add_local_registry(store, "ours", "Our partners", at=T0, default=True)
    add_entry(
        store,
        "ours",
        new_entry(world.other.did, "Other", valid_until=T0 + timedelta(hours=1)),
        at=T0,
    )
    listed = world.client.get("/trust/registries").json()["registries"]
    assert [(r["id"], r["source"], r["entries"], r["default"]) for r in listed] == [
        ("heis", "signed-list", 1, False),
        ("ours", "local", 1, True),
    ]
    assert listed[0]["publisher"] == PUBLISHER.did_key
    one = world.client.get("/trust/registries/heis").json()
    assert one["items"][0]["id"] == world.uni.did
    assert world.client.get("/trust/registries/nope").status_code == 404
    chosen = world.client.get(
        "/trust/recognition", params={"issuer": world.uni.did, "registry": ["heis", "ours"]}
    ).json()
    assert chosen["recognised"] is True
    assert chosen["recognisedBy"][0]["basis"] == "listed"
    # the defaults ("ours") list "other", whose entry ended an hour after T0 (now: T0 + 1 day)
    other = world.client.get("/trust/recognition", params={"issuer": world.other.did}).json()
    assert other["recognised"] is False
    assert "only until" in other["notes"][0]["note"]


def test_trust_endpoints_refuse_bad_input_with_problems(world: World) -> None:
    bad = world.client.get("/trust/recognition", params={"issuer": "not a did"})
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    unknown = world.client.get(
        "/trust/recognition", params={"issuer": world.uni.did, "registry": "missing"}
    )
    assert unknown.status_code == 400
    assert "no trust registry" in unknown.json()["detail"]
    many = world.client.get(
        "/trust/recognition",
        params={"issuer": world.uni.did, "registry": [f"r{n}" for n in range(51)]},
    )
    assert many.status_code == 400
    assert "at most 50" in many.json()["detail"]


def test_imports_refused_leave_nothing_behind(world: World) -> None:
    store = trust_store(_ctx(world))
    stranger = KeyPair.generate()
    theirs = add_proof(
        build_trust_list(
            publisher=stranger.did_key,
            edition="urn:uuid:x",
            list_id="https://registry.example/heis",
            name="Fake",
            entries=[new_entry(world.uni.did, "U")],
            valid_from=T0,
        ),
        stranger,
        created=T0,
    )
    with pytest.raises(ProofError, match="pinned publisher"):
        import_trust_list(
            store, theirs, registry_id="heis", publisher=PUBLISHER.did_key, at=T0 + timedelta(1)
        )
    tampered = _signed_list([world.uni.did])
    tampered["credentialSubject"]["name"] = "Renamed"
    with pytest.raises(ProofError, match="signature"):
        import_trust_list(
            store, tampered, registry_id="heis", publisher=PUBLISHER.did_key, at=T0 + timedelta(1)
        )
    assert store.registries() == []


def test_reimporting_a_list_takes_newer_editions_only(world: World) -> None:
    store = trust_store(_ctx(world))
    at = T0 + timedelta(days=3)
    newer = _signed_list([world.uni.did, world.other.did], edition="urn:uuid:2", days=2)
    import_trust_list(store, newer, registry_id="heis", publisher=PUBLISHER.did_key, at=at)
    older = _signed_list([world.uni.did], edition="urn:uuid:1", days=1)
    with pytest.raises(InvalidInput, match="older"):
        import_trust_list(store, older, registry_id="heis", publisher=PUBLISHER.did_key, at=at)
    found = store.get_registry("heis")
    assert found is not None
    assert len(found.entries) == 2
    with pytest.raises(InvalidState, match="imported list"):
        add_entry(store, "heis", new_entry("did:web:x.example", "X"), at=at)
    with pytest.raises(Conflict):
        import_dcc_registry(store, {"registry": {}}, registry_id="heis", name="DCC", at=at)
    dcc = import_dcc_registry(
        store,
        {"registry": {world.other.did: {"name": "Other College"}}},
        registry_id="dcc",
        name="DCC sandbox",
        at=at,
    )
    assert dcc.entries[0].did == world.other.did


def _accreditation(world: World) -> tuple[dict[str, Any], str]:
    """'other' (an accreditation body) accredits 'uni' with a credential issued here."""
    uow = world.db.unit_of_work()
    design = {
        **DESIGN,
        "name": "Institutional accreditation",
        "achievement_type": ACCREDITATION_TYPE,
    }
    version = publish(
        uow,
        world.other,
        create_achievement(uow, world.other, design, base_url=BASE, at=T0).id,
        at=T0,
    )
    issued = Issuer(uow, world.custody, world.other, BASE).issue(
        version, IssueRequest(did=world.uni.did), at=T0
    )
    uow.commit()
    return json.loads(issued.credential_json), issued.id


def test_an_accreditation_counts_until_it_is_revoked(world: World) -> None:
    ctx = _ctx(world)
    store = trust_store(ctx)
    document, credential_id = _accreditation(world)
    text = json.dumps(document, separators=(",", ":"))
    [check] = checks(ctx, [text])
    assert check.valid
    add_accreditation(store, document, check=check, at=T0)
    add_local_registry(store, "agencies", "Recognised agencies", at=T0, default=True)
    add_entry(
        store,
        "agencies",
        new_entry(world.other.did, "Other College (agency)", role=EntryRole.ACCREDITOR),
        at=T0,
    )
    found = trust_view(ctx).recognise(world.uni.did)
    assert found.recognised
    assert found.reasons[0].basis is Basis.ACCREDITED
    assert found.reasons[0].accreditor == world.other.did
    listed = world.client.get("/trust/accreditations", params={"issuer": world.uni.did}).json()
    assert [(i["id"], i["status"]) for i in listed["items"]] == [(credential_id, "valid")]

    uow = world.db.unit_of_work()
    revoke(uow, world.other, credential_id, reason="lapsed", at=T0 + timedelta(hours=1))
    uow.commit()
    again = trust_view(ctx).recognise(world.uni.did)
    assert not again.recognised
    assert "revoked" in again.notes[0].text
    listed = world.client.get("/trust/accreditations", params={"issuer": world.uni.did}).json()
    assert listed["items"][0]["status"] == "revoked"
    # a revoked accreditation is refused at import too
    [revoked_check] = checks(ctx, [text])
    with pytest.raises(ProofError, match="revoked"):
        add_accreditation(store, {**document, "id": "urn:uuid:copy"}, check=revoked_check, at=T0)


def test_a_tampered_accreditation_is_refused(world: World) -> None:
    ctx = _ctx(world)
    document, _ = _accreditation(world)
    document["credentialSubject"]["id"] = world.other.did.replace("other", "mallory")
    [check] = checks(ctx, [json.dumps(document)])
    assert not check.valid
    with pytest.raises(ProofError, match="not valid"):
        add_accreditation(trust_store(ctx), document, check=check, at=T0)
    assert trust_store(ctx).accreditations() == []


def test_endorsements_are_verified_one_by_one_and_invalid_ones_not_counted(
    world: World,
) -> None:
    ctx = _ctx(world)
    uow = world.db.unit_of_work()
    good = endorse(
        uow, world.custody, world.other, subject_id=world.uni.did, comment="Rigorous", at=T0
    )
    bad = endorse(
        uow,
        world.custody,
        world.other,
        subject_id=world.published.achievement_id,
        comment="Fine",
        at=T0,
    )
    uow.endorsements.add(  # a stored copy altered after signing
        replace(
            bad,
            id="urn:uuid:altered",
            credential_json=bad.credential_json.replace("Fine", "Outstanding"),
        )
    )
    uow.commit()
    add_local_registry(trust_store(ctx), "ours", "Ours", at=T0, default=True)
    add_entry(trust_store(ctx), "ours", new_entry(world.other.did, "Other College"), at=T0)
    view = trust_view(ctx)
    views = endorsements_of(
        world.db.unit_of_work(),
        [world.uni.did, world.published.achievement_id],
        view.checker,
        view,
    )
    states = {v.id: v.check.label for v in views}
    assert states == {good.id: "Verified", bad.id: "Verified", "urn:uuid:altered": "Not valid"}
    counted = tally(views)
    assert (counted.organisations, counted.recognised, counted.not_valid) == (1, 1, 1)
    assert counted.text() == (
        "Endorsed by 1 organisation, 1 recognised (1 endorsement not valid, not counted)"
    )


def test_endorsing_a_credential_that_does_not_exist_is_a_404(world: World) -> None:
    response = world.client.post(
        "/orgs/uni/endorsements",
        headers=world.auth("issuer"),
        json={"subjectId": "urn:uuid:00000000-0000-4000-8000-000000000000", "comment": "Great"},
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "nothing to endorse" in response.json()["detail"]
    listed = world.client.get(
        "/endorsements", params={"subject": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    ).json()
    assert listed["total"] == 0


def test_employer_choices_name_existing_registries_only(world: World) -> None:
    store = trust_store(_ctx(world))
    add_local_registry(store, "ours", "Ours", at=T0)
    assert choose_registries(store, "employer-1", ["ours", "ours"], at=T0) == ("ours",)
    with pytest.raises(InvalidInput, match="no trust registry"):
        choose_registries(store, "employer-1", ["ours", "ghost"], at=T0)
    assert store.get_choice("employer-1") is not None
    with pytest.raises(NotFound):
        add_entry(store, "ghost", new_entry(world.uni.did, "U"), at=T0)
