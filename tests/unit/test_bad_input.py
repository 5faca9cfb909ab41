"""Every kind of bad input: a clear message, the right exit code or error, never "valid",
never a traceback.  Checked at the command line and, where it makes sense, in the library.
"""

from __future__ import annotations

import copy
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from credstack._json import MAX_DEPTH, MAX_DOCUMENT_BYTES, parse_json, parse_json_object
from credstack.cli.main import main
from credstack.crypto.keys import KeyPair
from credstack.crypto.multibase import encode_multibase
from credstack.errors import CredstackError, InvalidInput, InvalidKey, JsonLdError, ResolutionError
from credstack.proofs.dataintegrity import add_proof, verify_proof
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.conftest import CREATED, NOW, make_open_badge

AT = "2026-01-01T00:00:00Z"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
FIFTY_MB = 50 * 1024 * 1024


# ------------------------------------------------------------------------------- helpers


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def verify_cli(
    capsys: pytest.CaptureFixture[str], path: Path, *extra: str
) -> tuple[int, dict[str, Any]]:
    """``credstack verify --json``; also checks the human rendering says "NOT VALID"."""
    code, out, err = run(capsys, "verify", "--json", "--at", AT, *extra, str(path))
    assert err == ""
    report = json.loads(out)
    assert isinstance(report, dict)
    assert report["verified"] is False
    human_code, human, _ = run(capsys, "verify", "--at", AT, *extra, str(path))
    assert human_code == code
    assert not human.startswith("VALID")
    return code, report


def verify_cli_ok(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, str(path))
    assert code == 0
    report: dict[str, Any] = json.loads(out)
    assert report["verified"] is True
    return report


def write(tmp_path: Path, value: Any, name: str = "input.json") -> Path:
    path = tmp_path / name
    if isinstance(value, bytes):
        path.write_bytes(value)
    else:
        path.write_text(json.dumps(value), encoding="utf-8")
    return path


def library_report(raw: Any) -> VerificationReport:
    report = Verifier(CompositeResolver()).verify(raw, VerifyOptions(at=NOW))
    assert not report.verified
    assert "VALID" not in report.render().splitlines()[0].replace("NOT VALID", "")
    return report


def codes(report: dict[str, Any]) -> set[str]:
    found = {s.get("code") for s in report["steps"]}
    for child in report.get("credentials", []):
        found |= codes(child)
    return {c for c in found if c}


def first_error(report: dict[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = report["error"]
    return error


def mutate_proof(document: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> Any:
    out = copy.deepcopy(document)
    change(out["proof"][0])
    return out


def symmetric_bomb(issuer: str, nodes: int) -> dict[str, Any]:
    """A credential whose subject holds ``nodes`` blank nodes, each linked to all others."""
    return {
        "@context": [VC_V2, EXAMPLES_V2],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "node": [
                {"id": f"_:n{i}", "link": [{"id": f"_:n{j}"} for j in range(nodes) if j != i]}
                for i in range(nodes)
            ]
        },
    }


def forged_proof(key: KeyPair) -> dict[str, Any]:
    """A well-formed eddsa-rdfc-2022 proof with a 64-byte signature that matches nothing."""
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-07-01T12:00:00Z",
        "verificationMethod": key.verification_method,
        "proofPurpose": "assertionMethod",
        "proofValue": encode_multibase(bytes(64)),
    }


@pytest.fixture(scope="module")
def huge_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A syntactically plausible credential of just over 50 MB, written in 1 MB chunks."""
    path = tmp_path_factory.mktemp("huge") / "huge.json"
    chunk = "a" * (1024 * 1024)
    with path.open("w", encoding="ascii") as fh:
        fh.write(f'{{"@context": ["{VC_V2}"], "type": ["VerifiableCredential"], "pad": "')
        for _ in range(50):
            fh.write(chunk)
        fh.write('"}')
    assert path.stat().st_size > FIFTY_MB
    return path


# ------------------------------------------------------------------------------- malformed JSON


@pytest.mark.parametrize(
    "raw",
    [b'{"@context": [', b"", b"not json", b'{"a": 1,}', b"\xff\xfe{}", b"{'single': 'quotes'}"],
)
def test_verify_malformed_json_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, raw: bytes
) -> None:
    code, report = verify_cli(capsys, write(tmp_path, raw))
    assert code == 2
    assert first_error(report)["step"] == "parse"
    assert first_error(report)["code"] == "INVALID_JSON"
    assert (
        "not valid JSON" in first_error(report)["message"]
        or "UTF-8" in first_error(report)["message"]
    )


@pytest.mark.parametrize("command", [["sign", "--key", "KEY"], ["validate"]])
def test_sign_validate_malformed_json_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    issuer_key: KeyPair,
    command: list[str],
) -> None:
    keyf = write(tmp_path, issuer_key.to_multikey(), "key.json")
    argv = [str(keyf) if a == "KEY" else a for a in command]
    code, out, err = run(capsys, *argv, str(write(tmp_path, b'{"@context": [')))
    assert code == 2
    assert out == ""
    assert "INVALID_JSON" in err
    assert "line 1" in err


def test_parse_json_malformed_raises_invalid_json() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_json(b'{"a": [1, 2', what="credential")
    assert info.value.code == "INVALID_JSON"
    assert info.value.message.startswith("credential is not valid JSON")


def test_malformed_key_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    keyf = write(tmp_path, b"{not json", "key.json")
    badge = write(tmp_path, make_open_badge(issuer_key.did_key))
    code, out, err = run(capsys, "sign", "--key", str(keyf), str(badge))
    assert code == 2
    assert out == ""
    assert "key file" in err
    assert "INVALID_JSON" in err


@pytest.mark.parametrize(
    "secret", ["z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "zzz", "u3u2abc", 42]
)
def test_bad_secret_key_raises_invalid_key(secret: Any) -> None:
    with pytest.raises(InvalidKey):
        KeyPair.from_multikey({"type": "Multikey", "secretKeyMultibase": secret})


# ------------------------------------------------------------------------------- NaN / Infinity


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_infinity_refused_as_invalid_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair, literal: str
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    text = json.dumps(badge)[:-1] + f', "score": {literal}}}'
    path = write(tmp_path, text.encode())
    code, report = verify_cli(capsys, path)
    assert code == 2
    assert first_error(report)["code"] == "INVALID_JSON"
    assert literal.lstrip("-") in first_error(report)["message"]
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (2, "")
    assert "INVALID_JSON" in err
    with pytest.raises(InvalidInput) as info:
        parse_json(text)
    assert info.value.code == "INVALID_JSON"


# ------------------------------------------------------------------------------- not a credential


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ([1, 2, 3], "not list"),
        ("a string", "not str"),
        (42, "not int"),
        (None, "not NoneType"),
        ({"type": ["VerifiableCredential"]}, "no @context"),
        ({"@context": [VC_V2]}, "no type"),
        ({"name": "hello"}, "no @context or type"),
    ],
)
def test_verify_not_a_credential_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: Any, fragment: str
) -> None:
    code, report = verify_cli(capsys, write(tmp_path, value))
    assert code == 2
    error = first_error(report)
    assert error["step"] == "parse"
    assert error["code"] == "INVALID_INPUT"
    assert fragment in error["message"]
    library = library_report(value)
    assert library.unusable


@pytest.mark.parametrize("value", [[1], {"type": "VerifiableCredential"}])
def test_sign_validate_not_a_credential_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair, value: Any
) -> None:
    keyf = write(tmp_path, issuer_key.to_multikey(), "key.json")
    path = write(tmp_path, value)
    for argv in (["sign", "--key", str(keyf), str(path)], ["validate", str(path)]):
        code, out, err = run(capsys, *argv)
        assert code == 2
        assert out == ""
        assert err.startswith("credstack: INVALID_INPUT")


def test_parse_json_object_refuses_array() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_json_object(b"[]", what="document")
    assert "must be a JSON object" in info.value.message


def test_add_proof_refuses_non_object(issuer_key: KeyPair) -> None:
    with pytest.raises(InvalidInput):
        add_proof([], issuer_key)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        add_proof({"type": "VerifiableCredential"}, issuer_key)


# ------------------------------------------------------------------------------- contexts


@pytest.mark.parametrize(
    ("context", "code"),
    [
        ([VC_V2, "https://example.com/remote-context.jsonld"], "LOADING_DOCUMENT_FAILED"),
        ([VC_V2, "http://localhost:8080/ctx.json"], "LOADING_DOCUMENT_FAILED"),
        (["https://example.com/ctx.json", VC_V2], "PARSING_ERROR"),
        ([VC_V2, 42], "PARSING_ERROR"),
    ],
)
def test_verify_unknown_context_exits_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed_badge: dict[str, Any],
    context: list[Any],
    code: str,
) -> None:
    document = dict(signed_badge, **{"@context": context})
    exit_code, report = verify_cli(capsys, write(tmp_path, document))
    assert exit_code == 1
    error = first_error(report)
    assert error["step"] == "context"
    assert error["code"] == code
    assert "proof" not in {s["step"] for s in report["steps"]}


def test_add_proof_unknown_context_raises(issuer_key: KeyPair) -> None:
    badge = make_open_badge(issuer_key.did_key)
    badge["@context"] = [*badge["@context"], "https://example.com/ctx.json"]
    with pytest.raises(JsonLdError) as info:
        add_proof(badge, issuer_key)
    assert "https://example.com/ctx.json" in info.value.message


def test_sign_unknown_context_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    vc = {
        "@context": [VC_V2, "https://example.com/ctx.json"],
        "type": ["VerifiableCredential"],
        "issuer": issuer_key.did_key,
        "credentialSubject": {"id": "did:example:learner"},
    }
    keyf = write(tmp_path, issuer_key.to_multikey(), "key.json")
    code, out, err = run(capsys, "sign", "--key", str(keyf), str(write(tmp_path, vc)))
    assert code == 1
    assert out == ""
    assert "https://example.com/ctx.json" in err


# ------------------------------------------------------------------------------- safe mode


def test_verify_undefined_term_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    signed = add_proof(badge, issuer_key, created=CREATED)
    signed["credentialSubject"]["undefinedTerm"] = "smuggled"
    code, report = verify_cli(capsys, write(tmp_path, signed))
    assert code == 1
    error = first_error(report)
    assert error["step"] == "safe_mode"
    assert error["code"] == "DATA_LOSS_DETECTION_ERROR"
    assert "undefinedTerm" in error["message"]


def test_sign_undefined_term_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    badge["credentialSubject"]["undefinedTerm"] = "smuggled"
    with pytest.raises(JsonLdError) as info:
        add_proof(badge, issuer_key)
    assert info.value.code == "DATA_LOSS_DETECTION_ERROR"
    keyf = write(tmp_path, issuer_key.to_multikey(), "key.json")
    code, out, err = run(capsys, "sign", "--key", str(keyf), str(write(tmp_path, badge)))
    assert code == 1
    assert out == ""
    assert "undefinedTerm" in err


def _relative_subject(badge: dict[str, Any]) -> None:
    badge["credentialSubject"]["id"] = "learner-1"


def _undefined_type(badge: dict[str, Any]) -> None:
    badge["type"] = [*badge["type"], "NotDefinedType"]


@pytest.mark.parametrize(
    ("change", "value"),
    [(_relative_subject, "learner-1"), (_undefined_type, "NotDefinedType")],
)
def test_verify_relative_iri_exits_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    issuer_key: KeyPair,
    change: Callable[[dict[str, Any]], None],
    value: str,
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    signed = add_proof(badge, issuer_key, created=CREATED)
    change(signed)
    code, report = verify_cli(capsys, write(tmp_path, signed))
    assert code == 1
    error = first_error(report)
    assert error["step"] == "safe_mode"
    assert error["code"] == "RELATIVE_IRI_ERROR"
    # the message must name the offending value, as written in the credential
    assert repr(value) in error["message"]


@pytest.mark.parametrize(("change", "value"), [(_relative_subject, "learner-1")])
def test_add_proof_relative_iri_raises(
    issuer_key: KeyPair, change: Callable[[dict[str, Any]], None], value: str
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    change(badge)
    with pytest.raises(JsonLdError) as info:
        add_proof(badge, issuer_key)
    assert info.value.code == "RELATIVE_IRI_ERROR"
    assert repr(value) in info.value.message


def test_relative_iri_does_not_poison_later_documents(issuer_key: KeyPair) -> None:
    bad = make_open_badge(issuer_key.did_key)
    _relative_subject(bad)
    library_report(
        add_proof(make_open_badge(issuer_key.did_key), issuer_key)
        | {"credentialSubject": bad["credentialSubject"]}
    )
    good = add_proof(make_open_badge(issuer_key.did_key), issuer_key, created=CREATED)
    report = Verifier(CompositeResolver()).verify(good, VerifyOptions(at=NOW))
    assert report.verified


# ------------------------------------------------------------------------------- proofs


def test_verify_wrong_proof_type_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any]
) -> None:
    document = mutate_proof(signed_badge, lambda p: p.update(type="RsaSignature2018"))
    code, report = verify_cli(capsys, write(tmp_path, document))
    assert code == 1
    # a clear message names the unsupported proof type, not just the terms it leaves undefined
    assert "RsaSignature2018" in json.dumps(report)


def test_verify_proof_wrong_type_is_invalid_configuration(
    issuer_key: KeyPair, signed_badge: dict[str, Any]
) -> None:
    proof = dict(signed_badge["proof"][0], type="RsaSignature2018")
    check = verify_proof(signed_badge, proof, CompositeResolver())
    assert not check.verified
    assert check.code == "INVALID_PROOF_CONFIGURATION"
    assert "RsaSignature2018" in check.message


def test_verify_cryptosuite_as_object_is_invalid_configuration(
    signed_badge: dict[str, Any],
) -> None:
    proof = dict(signed_badge["proof"][0], cryptosuite={"name": "eddsa-rdfc-2022"})
    check = verify_proof(signed_badge, proof, CompositeResolver())
    assert not check.verified
    assert check.code == "INVALID_PROOF_CONFIGURATION"


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "eddsa-rdfc-2099", "bbs-2023"])
def test_verify_unknown_cryptosuite_exits_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed_badge: dict[str, Any],
    suite: str,
) -> None:
    document = mutate_proof(signed_badge, lambda p: p.update(cryptosuite=suite))
    code, report = verify_cli(capsys, write(tmp_path, document))
    assert code == 1
    error = first_error(report)
    assert error["step"] == "proof"
    assert error["code"] == "INVALID_PROOF_CONFIGURATION"
    assert suite in error["message"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda v: v[:40], "bytes"),
        (lambda v: v[:-8], "bytes"),
        (lambda v: v + "2", "bytes"),
        (lambda v: v[1:], "multibase"),
        (lambda v: "u" + v[1:], "multibase"),
        (lambda v: "z0" + v[2:], "base58"),
        (lambda v: v[:10] + "O" + v[11:], "base58"),
        (lambda v: "z", "bytes"),
        (lambda v: "", "missing"),
    ],
)
def test_verify_malformed_proof_value_exits_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed_badge: dict[str, Any],
    change: Callable[[str], str],
    fragment: str,
) -> None:
    document = mutate_proof(signed_badge, lambda p: p.update(proofValue=change(p["proofValue"])))
    code, report = verify_cli(capsys, write(tmp_path, document))
    assert code == 1
    error = first_error(report)
    assert error["step"] == "proof"
    assert error["code"] == "MALFORMED_PROOF_ERROR"
    assert fragment in error["message"]


@pytest.mark.parametrize("value", [None, 12345, ["z1"], {"z": 1}])
def test_verify_proof_value_not_string_is_malformed(
    signed_badge: dict[str, Any], value: Any
) -> None:
    proof = dict(signed_badge["proof"][0], proofValue=value)
    check = verify_proof(signed_badge, proof, CompositeResolver())
    assert not check.verified
    assert check.code == "MALFORMED_PROOF_ERROR"


def test_verify_proof_without_proof_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    code, report = verify_cli(capsys, write(tmp_path, make_open_badge(issuer_key.did_key)))
    assert code == 1
    assert first_error(report)["step"] == "proof"
    assert "no proof" in first_error(report)["message"]


# ------------------------------------------------------------------------------- keys


def test_verify_open_badge_other_controller_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    stranger = KeyPair(bytes(range(1, 33)))
    path = write(tmp_path, make_open_badge(issuer_key.did_key))
    keyf = write(tmp_path, stranger.to_multikey(), "stranger.key.json")
    code, out, _ = run(capsys, "sign", "--key", str(keyf), str(path))
    assert code == 0  # signing does not know who the issuer is
    signed = write(tmp_path, json.loads(out), "signed.json")
    code, report = verify_cli(capsys, signed)
    assert code == 1
    error = first_error(report)
    assert error["step"] == "controller"
    assert error["code"] == "CONTROLLER_MISMATCH"
    assert stranger.did_key in error["message"]
    assert issuer_key.did_key in error["message"]


def test_verify_plain_vc_other_controller_warns_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    stranger = KeyPair(bytes(range(1, 33)))
    vc = {
        "@context": [VC_V2, EXAMPLES_V2],
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": issuer_key.did_key,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "skill": "welding"},
    }
    path = write(tmp_path, add_proof(vc, stranger, created=CREATED))
    report = verify_cli_ok(capsys, path)
    controller = [s for s in report["steps"] if s["step"] == "controller"]
    assert controller == [
        {
            "step": "controller",
            "outcome": "warning",
            "code": "CONTROLLER_MISMATCH",
            "message": controller[0]["message"],
        }
    ]
    assert "error" not in report


def test_verify_did_web_key_without_document_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    did = "did:web:badges.example"
    key = KeyPair(issuer_key.seed, id=f"{did}#key-1")
    path = write(tmp_path, add_proof(make_open_badge(did), key, created=CREATED))
    code, report = verify_cli(capsys, path)
    assert code == 1
    error = first_error(report)
    assert error["step"] == "key_resolution"
    assert error["code"] == "UNRESOLVABLE_VERIFICATION_METHOD"
    assert "network access is off" in error["message"]


def test_verify_unsupported_did_method_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    did = "did:example:issuer"
    key = KeyPair(issuer_key.seed, id=f"{did}#key-1")
    path = write(tmp_path, add_proof(make_open_badge(did), key, created=CREATED))
    code, report = verify_cli(capsys, path)
    assert code == 1
    error = first_error(report)
    assert error["step"] == "key_resolution"
    assert error["code"] == "UNSUPPORTED_DID_METHOD"
    assert "'example'" in error["message"]


@pytest.mark.parametrize(
    ("method_id", "code"),
    [
        ("did:example:issuer#key-1", "UNSUPPORTED_DID_METHOD"),
        ("did:web:badges.example#key-1", "UNRESOLVABLE_VERIFICATION_METHOD"),
        ("did:key:z6MkNOTAKEY#z6MkNOTAKEY", None),
        ("ftp://keys.example/1", "INVALID_VERIFICATION_METHOD"),
        ("", "INVALID_VERIFICATION_METHOD"),
    ],
)
def test_resolver_unresolvable_key_raises(method_id: str, code: str | None) -> None:
    with pytest.raises(ResolutionError) as info:
        CompositeResolver().resolve(method_id)
    if code is not None:
        assert info.value.code == code
    assert info.value.message


# ------------------------------------------------------------------------------- validity


def test_verify_expired_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = make_open_badge(issuer_key.did_key, validUntil="2025-06-01T00:00:00Z")
    code, report = verify_cli(capsys, write(tmp_path, add_proof(badge, issuer_key)))
    assert code == 1
    error = first_error(report)
    assert (error["step"], error["code"]) == ("validity", "CREDENTIAL_EXPIRED")
    assert "2025-06-01T00:00:00Z" in error["message"]


def test_verify_not_yet_valid_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = make_open_badge(issuer_key.did_key, validFrom="2027-06-01T00:00:00Z")
    code, report = verify_cli(capsys, write(tmp_path, add_proof(badge, issuer_key)))
    assert code == 1
    error = first_error(report)
    assert (error["step"], error["code"]) == ("validity", "CREDENTIAL_NOT_YET_VALID")
    assert "2027-06-01T00:00:00Z" in error["message"]


def test_verify_malformed_valid_from_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    vc = {
        "@context": [VC_V2],
        "type": ["VerifiableCredential"],
        "issuer": issuer_key.did_key,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }
    signed = add_proof(vc, issuer_key, created=CREATED)
    signed["validFrom"] = "last tuesday"
    code, report = verify_cli(capsys, write(tmp_path, signed))
    assert code == 1
    assert "MALFORMED_VALUE_ERROR" in codes(report)


# ------------------------------------------------------------------------------- size and depth


def test_verify_fifty_megabytes_exits_2(
    capsys: pytest.CaptureFixture[str], huge_file: Path
) -> None:
    code, out, err = run(capsys, "verify", "--json", str(huge_file))
    assert code == 2
    assert out == ""
    assert "INPUT_TOO_LARGE" in err
    assert str(MAX_DOCUMENT_BYTES) in err


@pytest.mark.parametrize("command", ["validate", "sign"])
def test_sign_validate_fifty_megabytes_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    huge_file: Path,
    issuer_key: KeyPair,
    command: str,
) -> None:
    keyf = write(tmp_path, issuer_key.to_multikey(), "key.json")
    argv = ["sign", "--key", str(keyf)] if command == "sign" else ["validate"]
    code, out, err = run(capsys, *argv, str(huge_file))
    assert code == 2
    assert out == ""
    assert "INPUT_TOO_LARGE" in err


def test_verify_oversized_stdin_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, huge_file: Path
) -> None:
    with huge_file.open("rb") as fh:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(fh))
        code, out, err = run(capsys, "verify", "-")
    assert (code, out) == (2, "")
    assert "INPUT_TOO_LARGE" in err


def test_library_oversized_input_is_unusable() -> None:
    raw = b'{"pad": "' + b"a" * MAX_DOCUMENT_BYTES + b'"}'
    with pytest.raises(InvalidInput) as info:
        parse_json(raw)
    assert info.value.code == "INPUT_TOO_LARGE"
    report = library_report(raw)
    assert report.unusable
    assert report.steps[0].code == "INPUT_TOO_LARGE"


def test_verify_ten_thousand_nested_arrays_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, b"[" * 10_000 + b"]" * 10_000)
    code, report = verify_cli(capsys, path)
    assert code == 2
    assert first_error(report)["code"] == "INPUT_TOO_DEEP"
    with pytest.raises(InvalidInput) as info:
        parse_json(b"[" * 10_000 + b"]" * 10_000)
    assert info.value.code == "INPUT_TOO_DEEP"


def _deep_subject_text(issuer: str, depth: int) -> bytes:
    badge = make_open_badge(issuer)
    deep: Any = "bottom"
    for _ in range(depth):
        deep = {"inner": deep}
    badge["credentialSubject"]["nested"] = deep
    return json.dumps(badge).encode()


def test_verify_hundred_nested_objects_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    raw = _deep_subject_text(issuer_key.did_key, 100)
    code, report = verify_cli(capsys, write(tmp_path, raw))
    assert code == 2
    error = first_error(report)
    assert (error["step"], error["code"]) == ("parse", "INPUT_TOO_DEEP")
    assert str(MAX_DEPTH) in error["message"]
    keyf = write(tmp_path, issuer_key.to_multikey(), "key.json")
    code, out, err = run(capsys, "sign", "--key", str(keyf), str(tmp_path / "input.json"))
    assert (code, out) == (2, "")
    assert "INPUT_TOO_DEEP" in err


def test_library_deep_json_text_is_unusable(issuer_key: KeyPair) -> None:
    report = library_report(_deep_subject_text(issuer_key.did_key, 100))
    assert report.unusable
    assert report.first_failure is not None
    assert report.first_failure.code == "INPUT_TOO_DEEP"


def _deep_dict(document: dict[str, Any], depth: int) -> dict[str, Any]:
    deep: Any = "bottom"
    for _ in range(depth):
        deep = {"inner": deep}
    document["credentialSubject"]["nested"] = deep
    return document


def _plain_vc(issuer: str) -> dict[str, Any]:
    return {
        "@context": [VC_V2, EXAMPLES_V2],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }


@pytest.mark.parametrize("open_badge", [True, False])
def test_library_deep_dict_reports_too_deep(issuer_key: KeyPair, open_badge: bool) -> None:
    """A dict handed to the library nests 3,000 levels: a report, never a RecursionError."""
    base = make_open_badge(issuer_key.did_key) if open_badge else _plain_vc(issuer_key.did_key)
    document = _deep_dict(base, 3000)
    document["proof"] = [forged_proof(issuer_key)]
    report = library_report(document)
    assert report.first_failure is not None
    assert report.first_failure.code == "INPUT_TOO_DEEP"


def test_add_proof_deep_dict_raises_too_deep(issuer_key: KeyPair) -> None:
    document = _deep_dict(_plain_vc(issuer_key.did_key), 3000)
    with pytest.raises(CredstackError) as info:
        add_proof(document, issuer_key)
    assert info.value.code == "INPUT_TOO_DEEP"


def test_nesting_at_limit_is_accepted() -> None:
    raw = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(raw) is not None
    with pytest.raises(InvalidInput):
        parse_json("[" + raw + "]")


# ------------------------------------------------------------------------------- RDFC bomb


@pytest.mark.parametrize("nodes", [40, 60])
def test_verify_canonicalization_bomb_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair, nodes: int
) -> None:
    bomb = symmetric_bomb(issuer_key.did_key, nodes)
    bomb["proof"] = forged_proof(issuer_key)
    code, report = verify_cli(capsys, write(tmp_path, bomb))
    assert code == 1
    assert "CANONICALIZATION_LIMIT" in codes(report)
    assert first_error(report)["step"] == "proof"


def test_verify_jcs_signed_bomb_as_rdfc_hits_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    from credstack.proofs.dataintegrity import Cryptosuite

    signed = add_proof(
        symmetric_bomb(issuer_key.did_key, 50),
        issuer_key,
        cryptosuite=Cryptosuite.EDDSA_JCS_2022,
        created=CREATED,
    )
    report = verify_cli_ok(capsys, write(tmp_path, signed, "jcs.json"))
    assert report["verified"] is True  # JCS never canonicalizes RDF: the bomb is inert
    signed["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    del signed["proof"]["@context"]
    code, failed = verify_cli(capsys, write(tmp_path, signed, "rdfc.json"))
    assert code == 1
    assert "CANONICALIZATION_LIMIT" in codes(failed)


def test_add_proof_canonicalization_bomb_raises(issuer_key: KeyPair) -> None:
    with pytest.raises(JsonLdError) as info:
        add_proof(symmetric_bomb(issuer_key.did_key, 40), issuer_key)
    assert info.value.code == "CANONICALIZATION_LIMIT"


def test_library_canonicalization_bomb_report(issuer_key: KeyPair) -> None:
    bomb = symmetric_bomb(issuer_key.did_key, 60)
    bomb["proof"] = forged_proof(issuer_key)
    report = library_report(bomb)
    proof = [s for s in report.steps if s.name is StepName.PROOF]
    assert [(s.outcome, s.code) for s in proof] == [(Outcome.FAILED, "CANONICALIZATION_LIMIT")]


def test_deep_json_refused_even_when_a_library_raised_the_recursion_limit() -> None:
    import sys

    from credstack._json import parse_json
    from credstack.errors import InvalidInput

    sys.setrecursionlimit(100_000)  # what py_ecc does on import; the fixture restores it
    with pytest.raises(InvalidInput) as info:
        parse_json("[" * 200_000 + "]" * 200_000)
    assert info.value.code == "INPUT_TOO_DEEP"
    assert sys.getrecursionlimit() == 100_000  # parsing put the caller's limit back
