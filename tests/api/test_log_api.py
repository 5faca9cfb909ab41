"""The transparency log over HTTP, checked with the library against the platform DID document."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from credstack.api import create_app
from credstack.crypto.keys import KeyPair
from credstack.errors import ConfigurationError
from credstack.log.checkpoint import Checkpoint, verify_checkpoint
from credstack.log.cosign import cosign, cosignature_verifier, verify_cosignatures
from credstack.log.leaf import EventType, credential_digest, decode_leaf
from credstack.log.merkle import leaf_hash, root, verify_consistency, verify_inclusion
from credstack.log.note import NoteVerifier, parse_note
from credstack.platform.platform_identity import ensure_platform_key
from credstack.platform.translog import log_verifiers
from tests.api.conftest import BASE, FAST_HASHER, HOST, T0, World, csv_upload

WITNESS = KeyPair(bytes(range(32)))
WITNESS_NAME = "witness.example/w1"


@pytest.fixture
def logged(world: World) -> World:
    """The API world with the platform identity (its key signs the log's checkpoints)."""
    uow = world.db.unit_of_work()
    ensure_platform_key(uow, world.custody, HOST, at=T0)
    uow.commit()
    return world


@pytest.fixture
def witnessed(logged: World) -> Iterator[TestClient]:
    """A client of an app that accepts cosignatures from one configured witness."""
    app = create_app(
        database=logged.db,
        custody=logged.custody,
        base_url=BASE,
        clock=logged.clock,
        password_hasher=FAST_HASHER,
        witnesses=[cosignature_verifier(WITNESS_NAME, WITNESS.public).to_vkey()],
    )
    with TestClient(app, base_url=BASE) as client:
        yield client


def _verifiers(world: World) -> list[NoteVerifier]:
    document = world.client.get("/.well-known/did.json")
    assert document.status_code == 200
    return log_verifiers(document.json(), HOST)


def _head(world: World) -> Checkpoint:
    response = world.client.get("/log/checkpoint")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return verify_checkpoint(response.text, _verifiers(world)).checkpoint


def _issue(world: World, email: str) -> dict[str, Any]:
    response = world.client.post(
        "/orgs/uni/credentials",
        headers=world.auth("issuer"),
        json={"achievement_version_id": world.published.id, "email": email},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _check_inclusion(world: World, body: dict[str, Any]) -> Checkpoint:
    head = verify_checkpoint(body["checkpoint"], _verifiers(world)).checkpoint
    leaf = _b64(body["leaf"])
    assert _b64(body["leaf_hash"]) == leaf_hash(leaf)
    assert body["tree_size"] == head.size
    verify_inclusion(
        body["leaf_index"],
        head.size,
        leaf_hash(leaf),
        [_b64(h) for h in body["proof"]],
        head.root_hash,
    )
    return head


def test_issued_credential_has_inclusion_proof_under_signed_checkpoint(logged: World) -> None:
    issued = _issue(logged, "zoe@example.org")
    response = logged.client.get("/log/proof/inclusion", params={"credential": issued["id"]})
    assert response.status_code == 200, response.text
    assert "max-age" in response.headers["cache-control"]
    body = response.json()
    head = _check_inclusion(logged, body)
    assert head == _head(logged)
    leaf = decode_leaf(_b64(body["leaf"]))
    assert leaf.event is EventType.CREDENTIAL_ISSUED
    assert leaf.issuer == logged.uni.did
    assert leaf.digest == credential_digest(issued["verifiableCredential"])
    by_hash = logged.client.get("/log/proof/inclusion", params={"hash": leaf.digest.hex()})
    assert by_hash.json() == body


def test_inclusion_proof_at_an_older_checkpoint_size(logged: World) -> None:
    issued = _issue(logged, "zoe@example.org")
    first = _head(logged)
    _issue(logged, "yan@example.org")
    assert _head(logged).size == first.size + 1
    params = {"credential": issued["id"], "size": first.size}
    response = logged.client.get("/log/proof/inclusion", params=params)
    assert response.status_code == 200, response.text
    assert _check_inclusion(logged, response.json()) == first
    unsigned = logged.client.get(
        "/log/proof/inclusion", params={"credential": issued["id"], "size": first.size - 1}
    )
    _problem(unsigned, 404)


def test_consistency_between_two_checkpoints_verifies(logged: World) -> None:
    first = _head(logged)
    for n in range(3):
        _issue(logged, f"p{n}@example.org")
    second = _head(logged)
    assert second.size == first.size + 3
    response = logged.client.get(
        "/log/proof/consistency", params={"from": first.size, "to": second.size}
    )
    assert response.status_code == 200, response.text
    assert "immutable" in response.headers["cache-control"]
    body = response.json()
    assert verify_checkpoint(body["from_checkpoint"], _verifiers(logged)).checkpoint == first
    assert verify_checkpoint(body["to_checkpoint"], _verifiers(logged)).checkpoint == second
    proof = [_b64(h) for h in body["proof"]]
    verify_consistency(first.size, second.size, proof, first.root_hash, second.root_hash)
    latest = logged.client.get("/log/proof/consistency", params={"from": first.size}).json()
    assert latest["to"] == second.size
    assert latest["proof"] == body["proof"]


def test_every_credential_of_a_bulk_job_has_inclusion_proof(logged: World) -> None:
    upload = csv_upload(*(f"b-{n},b{n}@example.org,,,,,,," for n in range(5)))
    created = logged.client.post(
        f"/orgs/uni/jobs?version={logged.published.id}",
        headers=logged.auth("issuer"),
        content=upload,
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    rows = logged.client.get(f"/orgs/uni/jobs/{job_id}/rows", headers=logged.auth("viewer"))
    ids = [row["credentialId"] for row in rows.json()["items"]]
    assert len(ids) == 5
    head = _head(logged)
    for credential_id in ids:
        response = logged.client.get("/log/proof/inclusion", params={"credential": credential_id})
        assert response.status_code == 200, response.text
        assert _check_inclusion(logged, response.json()) == head


def test_leaves_for_mirrors_rebuild_the_signed_root(logged: World) -> None:
    _issue(logged, "m@example.org")
    head = _head(logged)
    response = logged.client.get("/log/leaves", params={"start": 0, "end": head.size})
    assert response.status_code == 200, response.text
    assert "immutable" in response.headers["cache-control"]
    body = response.json()
    assert (body["start"], body["end"], body["tree_size"]) == (0, head.size, head.size)
    leaves = [_b64(leaf) for leaf in body["leaves"]]
    assert root([leaf_hash(leaf) for leaf in leaves]) == head.root_hash
    partial = logged.client.get("/log/leaves", params={"start": 1, "end": head.size + 50})
    assert partial.json()["leaves"] == body["leaves"][1:]
    assert "immutable" not in partial.headers["cache-control"]
    _problem(logged.client.get("/log/leaves", params={"start": 0, "end": 1001}), 400)
    _problem(logged.client.get("/log/leaves", params={"start": 5, "end": 2}), 400)
    _problem(
        logged.client.get("/log/leaves", params={"start": head.size, "end": head.size + 5}), 404
    )


def test_bad_proof_requests_are_problems(logged: World) -> None:
    client = logged.client
    _problem(client.get("/log/proof/inclusion"), 400)
    _problem(client.get("/log/proof/inclusion", params={"credential": "x", "hash": "00"}), 400)
    _problem(client.get("/log/proof/inclusion", params={"hash": "zz" * 32}), 400)
    _problem(client.get("/log/proof/inclusion", params={"hash": "ab" * 16}), 400)
    _problem(client.get("/log/proof/inclusion", params={"hash": "ab" * 32}), 404)
    _problem(client.get("/log/proof/inclusion", params={"credential": "urn:uuid:none"}), 404)
    _problem(client.get("/log/proof/consistency", params={"from": 0}), 400)
    _problem(client.get("/log/proof/consistency", params={"from": 3, "to": 2}), 400)
    _problem(client.get("/log/proof/consistency", params={"from": 1, "to": 10_000}), 400)


def test_checkpoint_without_platform_identity_is_404(world: World) -> None:
    _problem(world.client.get("/log/checkpoint"), 404)


def test_witness_cosignature_is_served_with_the_checkpoint(
    logged: World, witnessed: TestClient
) -> None:
    text = witnessed.get("/log/checkpoint").text
    head = verify_checkpoint(text, _verifiers(logged)).checkpoint
    line = parse_note(cosign(text, WITNESS, WITNESS_NAME, logged.clock())).signatures[-1].line
    response = witnessed.post("/log/cosignatures", json={"size": head.size, "cosignature": line})
    assert response.status_code == 200, response.text
    assert response.json()["witness"] == WITNESS_NAME
    served = witnessed.get("/log/checkpoint").text
    assert served == text + line
    witness = cosignature_verifier(WITNESS_NAME, WITNESS.public)
    _, cosignatures = verify_cosignatures(served, [witness], required_n=1, now=logged.clock())
    assert [c.name for c in cosignatures] == [WITNESS_NAME]
    assert verify_checkpoint(served, _verifiers(logged)).checkpoint == head
    later = parse_note(
        cosign(text, WITNESS, WITNESS_NAME, logged.clock() + timedelta(seconds=1))
    ).signatures[-1]
    conflict = {"size": head.size, "cosignature": later.line}
    _problem(witnessed.post("/log/cosignatures", json=conflict), 409)


def test_unknown_or_invalid_cosignatures_are_refused(logged: World, witnessed: TestClient) -> None:
    text = witnessed.get("/log/checkpoint").text
    size = verify_checkpoint(text, _verifiers(logged)).checkpoint.size
    stranger = parse_note(cosign(text, KeyPair(bytes(32)), "other.example", logged.clock()))
    body = {"size": size, "cosignature": stranger.signatures[-1].line}
    _problem(witnessed.post("/log/cosignatures", json=body), 403)
    _problem(logged.client.post("/log/cosignatures", json=body), 403)  # no witness configured
    valid = parse_note(cosign(text, WITNESS, WITNESS_NAME, logged.clock())).signatures[-1]
    tampered = valid.line[:-6] + ("A" if valid.line[-6] != "A" else "B") + valid.line[-5:]
    problem = _problem(
        witnessed.post("/log/cosignatures", json={"size": size, "cosignature": tampered}), 400
    )
    assert problem["code"] == "PROOF_VERIFICATION_ERROR"
    _problem(witnessed.post("/log/cosignatures", json={"size": size, "cosignature": "x"}), 400)
    missing = {"size": size + 7, "cosignature": valid.line}
    _problem(witnessed.post("/log/cosignatures", json=missing), 404)
    assert witnessed.get("/log/checkpoint").text == text


def test_bad_witness_configuration_is_refused(logged: World) -> None:
    plain_key = NoteVerifier.for_key(WITNESS_NAME, WITNESS.public)  # a note key, not 0x04
    for witnesses in ([plain_key], ["not a key"]):
        with pytest.raises(ConfigurationError):
            create_app(
                database=logged.db,
                custody=logged.custody,
                base_url=BASE,
                clock=logged.clock,
                password_hasher=FAST_HASHER,
                witnesses=witnesses,
            )


def test_vcapi_issued_credential_is_logged(logged: World) -> None:
    response = logged.client.post(
        "/issuers/uni/credentials/issue",
        headers=logged.auth("issuer"),
        json={
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:alice"},
            }
        },
    )
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    proof = logged.client.get("/log/proof/inclusion", params={"credential": credential["id"]})
    assert proof.status_code == 200, proof.text
    _check_inclusion(logged, proof.json())
    assert decode_leaf(_b64(proof.json()["leaf"])).digest == credential_digest(credential)


def test_bundle_verifies_offline_after_the_server_is_gone(logged: World) -> None:
    from credstack.log.bundle import TrustAnchors, verify_bundle

    issued = _issue(logged, "offline@example.org")
    pinned = _verifiers(logged)  # the log key, pinned while the server was up
    response = logged.client.get(
        f"/orgs/uni/credentials/{issued['id']}/bundle", headers=logged.auth("viewer")
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert logged.client.get(f"/orgs/uni/credentials/{issued['id']}/bundle").status_code == 401
    assert (
        logged.client.get(
            f"/orgs/uni/credentials/{issued['id']}/bundle", headers=logged.auth("other-owner")
        ).status_code
        == 403
    )
    logged.client.close()  # the server is gone: only the bundle and the pinned key remain
    at = logged.clock() + timedelta(days=1)
    report = verify_bundle(bundle, at=at, trust=TrustAnchors(log_keys=tuple(pinned)))
    assert report.verified, report.render()
    # an altered credential in the bundle fails
    bundle["credential"]["name"] = "Something else"
    assert not verify_bundle(bundle, at=at, trust=TrustAnchors(log_keys=tuple(pinned))).verified
