"""CompositeResolver: did:key, did:web and https controller documents, supplied or fetched."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credstack.errors import FetchError, InvalidInput, ResolutionError
from credstack.resolve.base import KeyResolver
from credstack.resolve.did_key import resolve_did_key
from credstack.resolve.did_web import did_web_to_url, make_did_document
from credstack.resolve.fetch import GuardedFetcher
from credstack.resolve.resolver import CompositeResolver, load_documents

PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
OTHER_PUBLIC = "z6MktgKTsu1QhX6QPbyqG6geXdw6FQCZBPq7uQpieWbiQiG7"
WEB = "did:web:issuer.example"
ISSUER = "https://issuer.example/issuer"
LONE = "https://issuer.example/keys/1"
JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}


class FakeFetcher:
    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.calls: list[str] = []

    def fetch(self, url: str, *, accept: str = "application/json") -> bytes:
        self.calls.append(url)
        if url not in self.documents:
            raise FetchError(f"{url} answered HTTP 404", code="FETCH_FAILED")
        return json.dumps(self.documents[url]).encode()


def _clock() -> datetime:
    return datetime(2025, 6, 1, tzinfo=UTC)


def _web_doc() -> dict[str, Any]:
    return make_did_document(
        WEB,
        [("key-2", OTHER_PUBLIC), ("key-1", PUBLIC)],
        assertion=["key-2", "key-1"],
        authentication=["key-2"],
    )


def _vm(vm_id: str, controller: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": vm_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": PUBLIC,
        **extra,
    }


def _error(resolver: CompositeResolver, method_id: str) -> ResolutionError:
    with pytest.raises(ResolutionError) as info:
        resolver.resolve(method_id)
    return info.value


# -- did:key and did:web from supplied documents ------------------------------------------------


def test_resolve_did_key_offline() -> None:
    vm = f"did:key:{PUBLIC}#{PUBLIC}"
    resolver: KeyResolver = CompositeResolver()
    assert resolver.resolve(vm) == resolve_did_key(vm)


def test_resolve_did_web_from_supplied_document() -> None:
    resolver = CompositeResolver(documents=[_web_doc()])
    current = resolver.resolve(f"{WEB}#key-2")
    retired = resolver.resolve(f"{WEB}#key-1")
    assert current.method.public_key_multibase == OTHER_PUBLIC
    assert current.relationships == {"assertionMethod", "authentication"}
    assert retired.method.public_key_multibase == PUBLIC
    assert retired.method.controller == WEB
    assert retired.relationships == {"assertionMethod"}
    assert retired.controller_document == _web_doc()


def test_resolve_relative_ids_against_document_id() -> None:
    document = {
        "id": WEB,
        "verificationMethod": [_vm("#key-1", WEB)],
        "assertionMethod": ["#key-1"],
    }
    resolved = CompositeResolver(documents=[document]).resolve(f"{WEB}#key-1")
    assert resolved.method.id == f"{WEB}#key-1"
    assert resolved.relationships == {"assertionMethod"}


def test_resolve_embedded_method_in_relationship() -> None:
    document = {"id": WEB, "assertionMethod": [_vm(f"{WEB}#key-1", WEB)]}
    resolved = CompositeResolver(documents=[document]).resolve(f"{WEB}#key-1")
    assert resolved.method.public_key_multibase == PUBLIC
    assert resolved.allows("assertionMethod")
    assert not resolved.allows("authentication")


def test_resolve_unreferenced_method_has_no_relationships() -> None:
    document = {"id": WEB, "verificationMethod": [_vm(f"{WEB}#key-1", WEB)]}
    resolved = CompositeResolver(documents=[document]).resolve(f"{WEB}#key-1")
    assert resolved.relationships == frozenset()


def test_resolve_ed25519_verification_key_2020() -> None:
    vm = {**_vm(f"{WEB}#key-1", WEB), "type": "Ed25519VerificationKey2020"}
    document = {"id": WEB, "verificationMethod": [vm], "assertionMethod": [vm["id"]]}
    resolved = CompositeResolver(documents=[document]).resolve(vm["id"])
    assert resolved.method.type == "Ed25519VerificationKey2020"
    assert resolved.method.public_key_multibase == PUBLIC


@pytest.mark.parametrize("vm_type", ["JsonWebKey2020", "JsonWebKey"])
def test_resolve_json_web_key(vm_type: str) -> None:
    vm = {"id": f"{WEB}#jwk", "type": vm_type, "controller": WEB, "publicKeyJwk": JWK}
    document = {"id": WEB, "verificationMethod": [vm], "assertionMethod": ["#jwk"]}
    resolved = CompositeResolver(documents=[document]).resolve(f"{WEB}#jwk")
    assert resolved.method.public_key_jwk == JWK
    assert resolved.method.public_key_multibase is None
    assert resolved.relationships == {"assertionMethod"}


# -- bad documents ------------------------------------------------------------------------------


def _single(vm: dict[str, Any]) -> CompositeResolver:
    return CompositeResolver(
        documents=[{"id": WEB, "verificationMethod": [vm], "assertionMethod": [vm["id"]]}]
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"controller": "did:web:evil.example"}, "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"),
        ({"controller": None}, "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"),
        ({"type": "EcdsaSecp256k1VerificationKey2019"}, "INVALID_VERIFICATION_METHOD"),
        ({"type": None}, "INVALID_VERIFICATION_METHOD"),
        ({"publicKeyMultibase": None}, "INVALID_KEY"),
        ({"publicKeyMultibase": "uAAAA"}, "INVALID_KEY"),
        ({"secretKeyMultibase": "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"}, "INVALID_KEY"),
        ({"type": "JsonWebKey2020", "publicKeyJwk": {**JWK, "d": "c2VjcmV0"}}, "INVALID_KEY"),
        ({"type": "JsonWebKey2020", "publicKeyJwk": {"crv": "Ed25519"}}, "INVALID_KEY"),
        ({"type": "JsonWebKey2020"}, "INVALID_KEY"),
    ],
)
def test_resolve_bad_method_refused(change: dict[str, Any], code: str) -> None:
    vm = {
        key: value for key, value in {**_vm(f"{WEB}#k", WEB), **change}.items() if value is not None
    }
    assert _error(_single(vm), f"{WEB}#k").code == code


def test_resolve_missing_method_fails() -> None:
    error = _error(CompositeResolver(documents=[_web_doc()]), f"{WEB}#key-9")
    assert error.code == "UNRESOLVABLE_VERIFICATION_METHOD"
    assert "key-9" in error.message


def test_resolve_conflicting_descriptions_refused() -> None:
    other = {**_vm(f"{WEB}#k", WEB), "publicKeyMultibase": OTHER_PUBLIC}
    document = {"id": WEB, "verificationMethod": [_vm(f"{WEB}#k", WEB)], "assertionMethod": [other]}
    error = _error(CompositeResolver(documents=[document]), f"{WEB}#k")
    assert error.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"


@pytest.mark.parametrize(
    "document",
    [
        {"id": WEB, "verificationMethod": "nope"},
        {"id": WEB, "verificationMethod": [42]},
        {"id": WEB, "assertionMethod": [42]},
        {"id": WEB, "verificationMethod": [{"type": "Multikey"}]},
    ],
)
def test_resolve_malformed_document_refused(document: dict[str, Any]) -> None:
    error = _error(CompositeResolver(documents=[document]), f"{WEB}#k")
    assert error.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"


@pytest.mark.parametrize(
    ("method_id", "code"),
    [
        ("", "INVALID_VERIFICATION_METHOD"),
        ("did:ion:abc#k", "UNSUPPORTED_DID_METHOD"),
        ("did:example:123#k", "UNSUPPORTED_DID_METHOD"),
        ("http://issuer.example/issuer#k", "INVALID_VERIFICATION_METHOD"),
        ("key-1", "INVALID_VERIFICATION_METHOD"),
        (WEB, "INVALID_VERIFICATION_METHOD"),
        ("did:web:issuer example#k", "INVALID_INPUT"),
        ("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", "UNSUPPORTED_DID_METHOD"),
        (f"{ISSUER}#", "INVALID_VERIFICATION_METHOD"),
    ],
)
def test_resolve_bad_method_id_refused(method_id: str, code: str) -> None:
    assert _error(CompositeResolver(documents=[_web_doc()]), method_id).code == code


# -- supplied vs fetched ------------------------------------------------------------------------


def test_resolve_unsupplied_document_without_network_fails() -> None:
    error = _error(CompositeResolver(), f"{WEB}#key-1")
    assert error.code == "UNRESOLVABLE_VERIFICATION_METHOD"
    assert "not supplied" in error.message
    assert "network" in error.message


def test_resolve_supplied_document_preferred_over_fetch() -> None:
    fetcher = FakeFetcher({})
    resolver = CompositeResolver(documents=[_web_doc()], fetcher=fetcher, clock=_clock)
    assert resolver.resolve(f"{WEB}#key-1").method.public_key_multibase == PUBLIC
    assert fetcher.calls == []


def test_resolve_did_web_fetched_and_cached() -> None:
    fetcher = FakeFetcher({did_web_to_url(WEB): _web_doc()})
    resolver = CompositeResolver(fetcher=fetcher, clock=_clock)
    assert resolver.resolve(f"{WEB}#key-1").relationships == {"assertionMethod"}
    assert resolver.resolve(f"{WEB}#key-2").relationships == {"assertionMethod", "authentication"}
    assert fetcher.calls == ["https://issuer.example/.well-known/did.json"]


def test_resolve_fetched_document_with_other_id_refused() -> None:
    fetcher = FakeFetcher({did_web_to_url(WEB): {**_web_doc(), "id": "did:web:evil.example"}})
    error = _error(CompositeResolver(fetcher=fetcher, clock=_clock), f"{WEB}#key-1")
    assert error.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID"


def test_resolve_returned_document_is_a_copy() -> None:
    resolver = CompositeResolver(documents=[_web_doc()])
    resolver.resolve(f"{WEB}#key-1").controller_document["verificationMethod"].clear()
    assert resolver.resolve(f"{WEB}#key-1").method.public_key_multibase == PUBLIC


def test_resolve_through_guarded_fetcher_refuses_private_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolver = CompositeResolver(fetcher=GuardedFetcher(), clock=_clock)

    def no_connection(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    error = _error(resolver, "https://10.0.0.1/issuer#key-1")
    assert error.code == "UNRESOLVABLE_VERIFICATION_METHOD"
    assert "FETCH_REFUSED" in error.message


# -- https controller documents and lone verification methods -----------------------------------


def _issuer_doc(**members: Any) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/cid/v1"], "id": ISSUER, **members}


def test_resolve_https_controller_document() -> None:
    document = _issuer_doc(
        verificationMethod=[_vm(f"{ISSUER}#key-1", ISSUER)], assertionMethod=["#key-1"]
    )
    resolved = CompositeResolver(documents=[document]).resolve(f"{ISSUER}#key-1")
    assert resolved.method.controller == ISSUER
    assert resolved.relationships == {"assertionMethod"}


def test_resolve_lone_method_with_supplied_controller() -> None:
    documents = [_vm(LONE, ISSUER), _issuer_doc(assertionMethod=[LONE])]
    resolved = CompositeResolver(documents=documents).resolve(LONE)
    assert resolved.method.id == LONE
    assert resolved.method.public_key_multibase == PUBLIC
    assert resolved.controller_document["id"] == ISSUER
    assert resolved.relationships == {"assertionMethod"}


def test_resolve_lone_method_fetched() -> None:
    fetcher = FakeFetcher({LONE: _vm(LONE, ISSUER), ISSUER: _issuer_doc(authentication=[LONE])})
    resolved = CompositeResolver(fetcher=fetcher, clock=_clock).resolve(LONE)
    assert resolved.relationships == {"authentication"}
    assert fetcher.calls == [LONE, ISSUER]


def test_resolve_lone_method_not_listed_by_controller_refused() -> None:
    documents = [_vm(LONE, ISSUER), _issuer_doc(assertionMethod=[f"{ISSUER}#other"])]
    error = _error(CompositeResolver(documents=documents), LONE)
    assert error.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"


def test_resolve_lone_method_with_different_key_in_controller_refused() -> None:
    embedded = {**_vm(LONE, ISSUER), "publicKeyMultibase": OTHER_PUBLIC}
    documents = [_vm(LONE, ISSUER), _issuer_doc(assertionMethod=[embedded])]
    error = _error(CompositeResolver(documents=documents), LONE)
    assert error.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"


def test_resolve_lone_method_without_controller_document_fails() -> None:
    error = _error(CompositeResolver(documents=[_vm(LONE, ISSUER)]), LONE)
    assert error.code == "UNRESOLVABLE_VERIFICATION_METHOD"
    assert ISSUER in error.message


def test_resolve_fetched_non_method_refused() -> None:
    fetcher = FakeFetcher({LONE: {"id": LONE, "name": "not a key"}})
    error = _error(CompositeResolver(fetcher=fetcher, clock=_clock), LONE)
    assert error.code == "INVALID_VERIFICATION_METHOD"


# -- construction and files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "documents",
    [
        ["not an object"],
        [{"verificationMethod": []}],
        [{"id": "urn:uuid:1234"}],
        [{"id": f"{WEB}#frag", "verificationMethod": []}],
        [{"id": WEB}, {"id": WEB, "alsoKnownAs": ["x"]}],
    ],
)
def test_composite_resolver_bad_documents_refused(documents: list[Any]) -> None:
    with pytest.raises(InvalidInput):
        CompositeResolver(documents=documents)


def test_composite_resolver_same_document_twice_accepted() -> None:
    resolver = CompositeResolver(documents=[_web_doc(), _web_doc()])
    assert resolver.resolve(f"{WEB}#key-1").method.public_key_multibase == PUBLIC


def test_load_documents_reads_objects_and_arrays(tmp_path: Path) -> None:
    single = tmp_path / "did.json"
    single.write_text(json.dumps(_web_doc()))
    pair = tmp_path / "pair.json"
    pair.write_text(json.dumps([_vm(LONE, ISSUER), _issuer_doc(assertionMethod=[LONE])]))
    documents = load_documents([single, str(pair)])
    assert [d["id"] for d in documents] == [WEB, LONE, ISSUER]
    resolver = CompositeResolver(documents=documents)
    assert resolver.resolve(LONE).relationships == {"assertionMethod"}
    assert resolver.resolve(f"{WEB}#key-2").relationships == {"assertionMethod", "authentication"}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", "INVALID_JSON"),
        (b"[1]", "INVALID_INPUT"),
        (b"42", "INVALID_INPUT"),
        (b'{"id": "a", "id": "b"}', "INVALID_JSON"),
        (b'{"pad": "' + b"x" * 300 + b'"}', "INPUT_TOO_LARGE"),
    ],
)
def test_load_documents_bad_file_refused(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as info:
        load_documents([path], max_bytes=200)
    assert info.value.code == code


def test_load_documents_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        load_documents([tmp_path / "absent.json"])
    assert "absent.json" in info.value.message


def test_verification_method_with_non_string_type_is_a_resolution_error() -> None:
    from credstack.errors import ResolutionError
    from credstack.resolve.resolver import CompositeResolver

    did = "did:web:example.org"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [
            {"id": f"{did}#k", "type": ["Multikey"], "controller": did, "publicKeyMultibase": "z"}
        ],
        "assertionMethod": [f"{did}#k"],
    }
    with pytest.raises(ResolutionError):
        CompositeResolver(documents=[document]).resolve(f"{did}#k")
