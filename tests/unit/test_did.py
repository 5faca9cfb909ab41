"""did:key resolution, did:web URLs and documents, and the caching did:web resolver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credstack.crypto.keys import KeyPair
from credstack.crypto.multibase import encode_multibase
from credstack.errors import FetchError, InvalidInput, InvalidKey, ResolutionError
from credstack.resolve.did_key import did_key_document, resolve_did_key
from credstack.resolve.did_web import DidWebResolver, did_web_to_url, make_did_document

# keyPair.json of the W3C vc-di-eddsa test vectors
PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
DID = f"did:key:{PUBLIC}"
VM = f"{DID}#{PUBLIC}"
# keyPair1 of the vc-di-eddsa proof-set vectors
OTHER_PUBLIC = "z6MktgKTsu1QhX6QPbyqG6geXdw6FQCZBPq7uQpieWbiQiG7"

# What @digitalbazaar/did-method-key 5.3.0 (with @digitalbazaar/ed25519-multikey 1.3.1)
# returns from driver.get({did: DID}), serialized with JSON.stringify.
DID_METHOD_KEY_OUTPUT = (
    '{"@context":["https://www.w3.org/ns/did/v1","https://w3id.org/security/multikey/v1"],'
    f'"id":"{DID}",'
    f'"verificationMethod":[{{"id":"{VM}","type":"Multikey","controller":"{DID}",'
    f'"publicKeyMultibase":"{PUBLIC}"}}],'
    f'"authentication":["{VM}"],"assertionMethod":["{VM}"],'
    f'"capabilityDelegation":["{VM}"],"capabilityInvocation":["{VM}"]}}'
)


# -- did:key ------------------------------------------------------------------------------------


def test_did_key_document_matches_did_method_key() -> None:
    document = did_key_document(DID)
    assert json.dumps(document, separators=(",", ":")) == DID_METHOD_KEY_OUTPUT


def test_resolve_did_key_method_returns_multikey() -> None:
    resolved = resolve_did_key(VM)
    assert resolved.method.id == VM
    assert resolved.method.type == "Multikey"
    assert resolved.method.controller == DID
    assert resolved.method.public_key_multibase == PUBLIC
    assert resolved.controller_document == json.loads(DID_METHOD_KEY_OUTPUT)
    assert resolved.allows("assertionMethod")
    assert resolved.allows("authentication")
    assert not resolved.allows("keyAgreement")


def test_resolve_did_key_bare_did_returns_its_method() -> None:
    assert resolve_did_key(DID).method.id == VM


@given(st.binary(min_size=32, max_size=32))
def test_resolve_did_key_generated_key_round_trips(seed: bytes) -> None:
    pair = KeyPair(seed)
    resolved = resolve_did_key(pair.verification_method)
    assert resolved.method.public_key_multibase == pair.public.multibase
    assert resolved.method.controller == pair.did_key


def test_resolve_did_key_other_fragment_fails() -> None:
    with pytest.raises(ResolutionError) as info:
        resolve_did_key(f"{DID}#{OTHER_PUBLIC}")
    assert info.value.code == "UNRESOLVABLE_VERIFICATION_METHOD"
    with pytest.raises(ResolutionError):
        resolve_did_key(f"{DID}#key-1")


@pytest.mark.parametrize(
    ("header", "size"),
    [
        (b"\x80\x24", 33),  # P-256
        (b"\x81\x24", 49),  # P-384
        (b"\xe7\x01", 33),  # secp256k1
        (b"\xec\x01", 32),  # X25519
    ],
)
def test_resolve_did_key_other_key_type_unsupported(header: bytes, size: int) -> None:
    did = "did:key:" + encode_multibase(header + b"\x02" * size)
    with pytest.raises(ResolutionError) as info:
        resolve_did_key(did)
    assert info.value.code == "UNSUPPORTED_DID_METHOD"


@pytest.mark.parametrize(
    "value",
    [
        "did:key:",
        "did:key:abc",
        "did:key:mO6Mk",  # base64 multibase
        "did:key:z0OIl",  # not base58
        "did:key:z6Mk",  # truncated
        "did:key:" + encode_multibase(b"\xed\x01" + b"\x01" * 31),
        "did:key:" + encode_multibase(b"\xed\x01" + b"\x01" * 33),
        "did:key:" + encode_multibase(b"\x99\x99" + b"\x01" * 32),
        f"{DID}/path",
        f"{DID}?service=x",
        f"did:key:1:{PUBLIC}",
        f"{DID} ",
    ],
)
def test_resolve_did_key_malformed_fails(value: str) -> None:
    with pytest.raises(ResolutionError) as info:
        resolve_did_key(value)
    assert info.value.code == "INVALID_KEY"


@pytest.mark.parametrize("value", ["did:web:example.com", "DID:KEY:" + PUBLIC, PUBLIC, ""])
def test_resolve_did_key_other_method_unsupported(value: str) -> None:
    with pytest.raises(ResolutionError) as info:
        resolve_did_key(value)
    assert info.value.code == "UNSUPPORTED_DID_METHOD"


def test_did_key_document_of_did_url_refused() -> None:
    with pytest.raises(ResolutionError):
        did_key_document(VM)


# -- did:web URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:localhost%3a8443", "https://localhost:8443/.well-known/did.json"),
        ("did:web:Example.COM:Issuers:a%20b", "https://example.com/Issuers/a%20b/did.json"),
    ],
)
def test_did_web_to_url_follows_spec_examples(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:web:exa mple.com",
        "did:web:example.com/path",
        "did:web:example.com#key-1",
        "did:web:example.com?x=1",
        "did:web:example.com%3A99999",
        "did:web:example.com%3A",
        "did:web:example.com%3Aabc",
        "did:web:example.com::alice",
        "did:web:example.com:..",
        "did:web:-bad.example",
        "did:web:example.com%2Fevil",
        "did:web:user@example.com",
        "did:web:[::1]",
    ],
)
def test_did_web_to_url_malformed_refused(did: str) -> None:
    with pytest.raises(ResolutionError) as info:
        did_web_to_url(did)
    assert info.value.code == "INVALID_INPUT"


def test_did_web_to_url_other_method_refused() -> None:
    with pytest.raises(ResolutionError) as info:
        did_web_to_url(DID)
    assert info.value.code == "UNSUPPORTED_DID_METHOD"


# -- DID documents ------------------------------------------------------------------------------

WEB = "did:web:issuer.example"


def test_make_did_document_lists_multikey_methods() -> None:
    document = make_did_document(
        WEB,
        [("key-2", OTHER_PUBLIC), ("key-1", PUBLIC)],
        assertion=["key-2", "key-1"],  # key-1 is retired but old credentials still verify
        authentication=["key-2"],
        extra={"service": [{"id": f"{WEB}#badges", "type": "LinkedDomains"}]},
    )
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": WEB,
        "verificationMethod": [
            {
                "id": f"{WEB}#key-2",
                "type": "Multikey",
                "controller": WEB,
                "publicKeyMultibase": OTHER_PUBLIC,
            },
            {
                "id": f"{WEB}#key-1",
                "type": "Multikey",
                "controller": WEB,
                "publicKeyMultibase": PUBLIC,
            },
        ],
        "authentication": [f"{WEB}#key-2"],
        "assertionMethod": [f"{WEB}#key-2", f"{WEB}#key-1"],
        "service": [{"id": f"{WEB}#badges", "type": "LinkedDomains"}],
    }


def test_make_did_document_omits_empty_relationships() -> None:
    document = make_did_document("https://issuer.example/keys", [("k", PUBLIC)], assertion=[])
    assert "assertionMethod" not in document
    assert "authentication" not in document
    assert document["verificationMethod"][0]["id"] == "https://issuer.example/keys#k"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"assertion": ["key-9"]}, InvalidInput),
        ({"authentication": ["nope"]}, InvalidInput),
        ({"assertion": "key-1"}, InvalidInput),
        ({"methods": []}, InvalidInput),
        ({"methods": [("key-1", PUBLIC), ("key-1", OTHER_PUBLIC)]}, InvalidInput),
        ({"methods": [("", PUBLIC)]}, InvalidInput),
        ({"methods": [("a#b", PUBLIC)]}, InvalidInput),
        ({"methods": [("key-1", "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc")]}, InvalidKey),
        ({"methods": [("key-1", "not-multibase")]}, InvalidKey),
        ({"extra": {"id": "did:web:evil.example"}}, InvalidInput),
        ({"extra": {"verificationMethod": []}}, InvalidInput),
        ({"did": "did:web:issuer.example#frag"}, InvalidInput),
        ({"did": "http://issuer.example"}, InvalidInput),
        ({"did": "issuer"}, InvalidInput),
    ],
)
def test_make_did_document_bad_input_refused(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    args: dict[str, Any] = {
        "did": WEB,
        "methods": [("key-1", PUBLIC)],
        "assertion": ["key-1"],
        "authentication": [],
        "extra": None,
    }
    args.update(kwargs)
    with pytest.raises(error):
        make_did_document(**args)


def test_make_did_document_extra_is_copied() -> None:
    extra: dict[str, Any] = {"alsoKnownAs": ["https://issuer.example"]}
    document = make_did_document(WEB, [("key-1", PUBLIC)], ["key-1"], extra=extra)
    extra["alsoKnownAs"].append("https://evil.example")
    assert document["alsoKnownAs"] == ["https://issuer.example"]


# -- DidWebResolver -----------------------------------------------------------------------------


class FakeFetcher:
    """Serves fixed bodies by URL and records what was asked."""

    def __init__(self, bodies: dict[str, bytes | Exception]) -> None:
        self.bodies = bodies
        self.calls: list[tuple[str, str]] = []

    def fetch(self, url: str, *, accept: str = "application/json") -> bytes:
        self.calls.append((url, accept))
        body = self.bodies.get(url)
        if body is None:
            raise FetchError(f"{url} answered HTTP 404", code="FETCH_FAILED")
        if isinstance(body, Exception):
            raise body
        return body


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


WEB_URL = "https://issuer.example/.well-known/did.json"
WEB_DOC = make_did_document(WEB, [("key-1", PUBLIC)], ["key-1"])


def _resolver(
    bodies: dict[str, bytes | Exception], clock: Clock | None = None, **kwargs: Any
) -> tuple[DidWebResolver, FakeFetcher]:
    fetcher = FakeFetcher(bodies)
    options: dict[str, Any] = {"ttl": timedelta(minutes=5), "max_entries": 8}
    options.update(kwargs)
    return DidWebResolver(fetcher, clock=clock or Clock(), **options), fetcher


def test_did_web_resolver_fetches_document() -> None:
    resolver, fetcher = _resolver({WEB_URL: json.dumps(WEB_DOC).encode()})
    assert resolver.resolve_document(WEB) == WEB_DOC
    assert [url for url, _ in fetcher.calls] == [WEB_URL]
    assert "application/did+json" in fetcher.calls[0][1]


def test_did_web_resolver_caches_until_ttl() -> None:
    clock = Clock()
    resolver, fetcher = _resolver({WEB_URL: json.dumps(WEB_DOC).encode()}, clock)
    resolver.resolve_document(WEB)
    clock.now += timedelta(minutes=4)
    resolver.resolve_document(WEB)
    assert len(fetcher.calls) == 1
    clock.now += timedelta(minutes=2)
    resolver.resolve_document(WEB)
    assert len(fetcher.calls) == 2


def test_did_web_resolver_cache_returns_copies() -> None:
    resolver, _ = _resolver({WEB_URL: json.dumps(WEB_DOC).encode()})
    first = resolver.resolve_document(WEB)
    first["verificationMethod"].clear()
    assert resolver.resolve_document(WEB) == WEB_DOC


def test_did_web_resolver_evicts_oldest_past_max_entries() -> None:
    bodies: dict[str, bytes | Exception] = {}
    dids = [f"did:web:issuer.example:u{n}" for n in range(3)]
    for did in dids:
        bodies[did_web_to_url(did)] = json.dumps({"id": did}).encode()
    resolver, fetcher = _resolver(bodies, max_entries=2)
    for did in dids:
        resolver.resolve_document(did)
    assert len(resolver) == 2
    resolver.resolve_document(dids[2])
    resolver.resolve_document(dids[1])
    assert len(fetcher.calls) == 3
    resolver.resolve_document(dids[0])
    assert len(fetcher.calls) == 4


def test_did_web_resolver_id_mismatch_refused() -> None:
    body = json.dumps({**WEB_DOC, "id": "did:web:evil.example"}).encode()
    resolver, _ = _resolver({WEB_URL: body})
    with pytest.raises(ResolutionError) as info:
        resolver.resolve_document(WEB)
    assert info.value.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'"did:web:issuer.example"',
        b'{"id": "did:web:issuer.example", "id": "did:web:issuer.example"}',
        b'{"id": "did:web:issuer.example", "n": NaN}',
        b"\xff\xfe{}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_did_web_resolver_unparseable_document_refused(body: bytes) -> None:
    resolver, _ = _resolver({WEB_URL: body}, max_bytes=1_000_000)
    with pytest.raises(ResolutionError) as info:
        resolver.resolve_document(WEB)
    assert info.value.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"


def test_did_web_resolver_oversize_document_refused() -> None:
    body = json.dumps({**WEB_DOC, "padding": "x" * 2000}).encode()
    resolver, _ = _resolver({WEB_URL: body}, max_bytes=1000)
    with pytest.raises(ResolutionError) as info:
        resolver.resolve_document(WEB)
    assert "the limit is 1000 bytes" in info.value.message


def test_did_web_resolver_fetch_error_becomes_resolution_error() -> None:
    refused = FetchError("non-public address", code="FETCH_REFUSED")
    resolver, fetcher = _resolver({WEB_URL: refused})
    for _ in range(2):  # failures are not cached
        with pytest.raises(ResolutionError) as info:
            resolver.resolve_document(WEB)
        assert info.value.code == "UNRESOLVABLE_VERIFICATION_METHOD"
        assert "FETCH_REFUSED" in info.value.message
    assert len(fetcher.calls) == 2


def test_did_web_resolver_malformed_did_not_fetched() -> None:
    resolver, fetcher = _resolver({})
    with pytest.raises(ResolutionError):
        resolver.resolve_document("did:web:issuer.example/../x")
    assert fetcher.calls == []
