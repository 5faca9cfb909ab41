"""credstack against the JavaScript reference (@digitalbazaar/vc 7), in both directions.

credstack signs and JavaScript verifies, JavaScript signs and credstack verifies, and both
judge the same broken inputs.  All requests to JavaScript go through two batched ``node``
runs (one verify, one sign) made once for the module.

Specifications: Data Integrity (https://www.w3.org/TR/vc-data-integrity/), vc-di-eddsa
(https://www.w3.org/TR/vc-di-eddsa/), Bitstring Status List
(https://www.w3.org/TR/vc-bitstring-status-list/), RDFC-1.0 canonical N-Quads
(https://www.w3.org/TR/rdf-canon/#canonical-quads).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.errors import ProofError
from credstack.jsonld.rdf import canonical_nquads
from credstack.proofs.dataintegrity import Cryptosuite, add_proof
from credstack.resolve.did_web import make_did_document
from credstack.resolve.resolver import CompositeResolver
from credstack.statuslist import MIN_LIST_BITS, encode_list, set_status
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.conftest import CREATED, NOW, make_open_badge, vector_json

from .jsref import (
    JsVerifyResult,
    Purpose,
    js_sign_many,
    js_verify_many,
    sign_request,
    verify_request,
)

pytestmark = pytest.mark.interop

AT = NOW
RDFC = Cryptosuite.EDDSA_RDFC_2022
JCS = Cryptosuite.EDDSA_JCS_2022
SUITES = (RDFC, JCS)

ISSUER = KeyPair(bytes(range(32)))
COSIGNER = KeyPair(bytes(range(32, 64)))
VECTOR_KEY: dict[str, Any] = vector_json("keyPair.json")

WEB_DID = "did:web:issuer.example"
WEB_VM = f"{WEB_DID}#key-1"
WEB_DOCUMENT = make_did_document(WEB_DID, [("key-1", ISSUER.public.multibase)], ["key-1"])
# the same document, but listing its assertion method by relative reference ("#key-1")
WEB_DOCUMENT_RELATIVE = {**WEB_DOCUMENT, "assertionMethod": ["#key-1"]}

LIST_URL = "https://issuer.example/status/1"
REVOKED_INDEX = 7
ACTIVE_INDEX = 8

#: strings that need care in canonical N-Quads (ECHAR / UCHAR) or in JCS
UNUSUAL = {
    "quotes": "She said \"hello\" and 'bye' \u201cfancy\u201d",
    "backslashes": "C:\\data\\new \\n is not a newline \\u0041 \\\\",
    "emoji": "\U0001f393 Graduate \U0001f469\U0001f3fd\u200d\U0001f52c \u2728",
    "rtl": "\u0634\u0647\u0627\u062f\u0629 \u05ea\u05e2\u05d5\u05d3\u05d4 \u200fmixed LTR",
    "bell": "bell\u0007ring",
    "echar": "tab\there\nline\rreturn\bback\fform",
    "uchar": "nul\u0000vt\u000bus\u001fdel\u007f",
}
#: code points outside XML 1.1 Char, which canonical N-Quads must write as UCHAR
DIVERGENT = {
    "uffff": "end\uffff",
    "ufffe": "end\ufffe",
    "lone-surrogate": "end\ud800",
}


def _with_text(text: str, issuer: str = ISSUER.did_key) -> dict[str, Any]:
    badge = make_open_badge(issuer)
    badge["issuer"]["name"] = f"Issuer {text}"
    achievement = badge["credentialSubject"]["achievement"]
    achievement["name"] = text
    achievement["alignment"][0]["targetName"] = f"[{text}]"
    return badge


def _sign(
    document: dict[str, Any],
    key: KeyPair = ISSUER,
    suite: Cryptosuite = RDFC,
    verification_method: str | None = None,
) -> dict[str, Any]:
    return add_proof(
        document,
        key,
        cryptosuite=suite,
        created=CREATED,
        verification_method=verification_method,
    )


def _verify(
    document: dict[str, Any],
    documents: Iterable[dict[str, Any]] = (),
    status_lists: Mapping[str, dict[str, Any]] | None = None,
) -> VerificationReport:
    resolver = CompositeResolver(documents=documents)
    options = VerifyOptions(at=AT, status_lists=status_lists or {})
    return Verifier(resolver).verify(document, options)


def _outcomes(report: VerificationReport) -> list[tuple[str, str]]:
    return [(s.name.value, s.outcome.value) for s in report.steps]


def _failure(report: VerificationReport) -> tuple[str, str | None]:
    failure = report.first_failure
    assert failure is not None, report.render()
    return failure.name.value, failure.code


def _joined(result: JsVerifyResult) -> str:
    return " | ".join(result["errors"]).lower()


def _first_proof(document: dict[str, Any]) -> dict[str, Any]:
    proof = document["proof"]
    first = proof[0] if isinstance(proof, list) else proof
    assert isinstance(first, dict)
    return first


def _status_list() -> dict[str, Any]:
    bits = bytearray(MIN_LIST_BITS // 8)
    set_status(bits, REVOKED_INDEX, 1)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER.did_key,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bits),
        },
    }
    return _sign(unsigned)


def _with_status(index: int) -> dict[str, Any]:
    return make_open_badge(
        ISSUER.did_key,
        credentialStatus={
            "id": f"{LIST_URL}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": LIST_URL,
        },
    )


@dataclass(frozen=True, slots=True)
class Interop:
    """Every credstack-made input and what JavaScript said about it, by case name."""

    ours: dict[str, dict[str, Any]]
    js_verdicts: dict[str, JsVerifyResult]
    theirs: dict[str, dict[str, Any]]


def _build() -> Interop:
    ours: dict[str, dict[str, Any]] = {}
    to_verify: dict[str, dict[str, Any]] = {}

    def check(
        name: str,
        credential: dict[str, Any],
        documents: dict[str, dict[str, Any]] | None = None,
        purpose: Purpose = "issuance",
    ) -> None:
        to_verify[name] = verify_request(credential, documents, purpose, AT)

    for suite in SUITES:
        signed = _sign(make_open_badge(ISSUER.did_key), suite=suite)
        ours[f"ob-{suite}"] = signed
        tampered = copy.deepcopy(signed)
        tampered["credentialSubject"]["achievement"]["name"] = "Data Stewardship (Forged)"
        ours[f"tampered-{suite}"] = tampered
        injected = copy.deepcopy(signed)
        injected["credentialSubject"]["undefinedTerm"] = "x"
        ours[f"injected-{suite}"] = injected
        for name, text in (UNUSUAL | DIVERGENT).items():
            if not (suite is JCS and name == "lone-surrogate"):  # RFC 8785 refuses it
                ours[f"text-{name}-{suite}"] = _sign(_with_text(text), suite=suite)

    ours["did-web"] = _sign(make_open_badge(WEB_DID), verification_method=WEB_VM)
    ours["status-list"] = _status_list()
    for index in (REVOKED_INDEX, ACTIVE_INDEX):
        ours[f"status-{index}"] = _sign(_with_status(index))
    proof_set = _sign(_sign(make_open_badge(ISSUER.did_key)), key=COSIGNER)
    ours["proof-set"] = proof_set
    broken_set = copy.deepcopy(proof_set)
    broken_set["proof"][1]["proofValue"] = broken_set["proof"][0]["proofValue"]
    ours["proof-set-broken"] = broken_set
    vc_unsigned = vector_json("unsigned.json")
    vc_unsigned["issuer"] = ISSUER.did_key
    ours["vc-proof-set"] = _sign(_sign(vc_unsigned), key=COSIGNER)

    for name, credential in ours.items():
        if name.startswith(("ob-", "tampered-", "injected-", "text-")):
            check(name, credential)
    check("did-web", ours["did-web"], {WEB_DID: WEB_DOCUMENT})
    check("did-web-relative", ours["did-web"], {WEB_DID: WEB_DOCUMENT_RELATIVE})
    for index in (REVOKED_INDEX, ACTIVE_INDEX):
        check(f"status-{index}", ours[f"status-{index}"], {LIST_URL: ours["status-list"]})
    for purpose in ("issuance", "assertion"):
        check(f"proof-set-{purpose}", ours["proof-set"], purpose=purpose)
        check(f"proof-set-broken-{purpose}", ours["proof-set-broken"], purpose=purpose)

    to_sign: dict[str, dict[str, Any]] = {}
    issuer_key = ISSUER.to_multikey()
    for suite in SUITES:
        to_sign[f"ob-{suite}"] = sign_request(
            make_open_badge(ISSUER.did_key), issuer_key, created=CREATED, cryptosuite=suite.value
        )
        for name, text in (UNUSUAL | DIVERGENT).items():
            to_sign[f"text-{name}-{suite}"] = sign_request(
                _with_text(text), issuer_key, created=CREATED, cryptosuite=suite.value
            )
    to_sign["w3c-vector"] = sign_request(vector_json("unsigned.json"), VECTOR_KEY, created=CREATED)

    verdicts = js_verify_many(list(to_verify.values()))
    signed_by_js = js_sign_many(list(to_sign.values()))
    return Interop(
        ours=ours,
        js_verdicts=dict(zip(to_verify, verdicts, strict=True)),
        theirs=dict(zip(to_sign, signed_by_js, strict=True)),
    )


@pytest.fixture(scope="module")
def interop() -> Interop:
    return _build()


ALL_PASSED_OB = [
    ("parse", "passed"),
    ("context", "passed"),
    ("schema", "passed"),
    ("safe_mode", "passed"),
    ("key_resolution", "passed"),
    ("proof", "passed"),
    ("controller", "passed"),
    ("validity", "passed"),
    ("status", "skipped"),  # no credentialStatus
]


# ------------------------------------------------------------------ 1. credstack → JS


@pytest.mark.parametrize("suite", SUITES)
def test_credstack_open_badge_verified_by_js(interop: Interop, suite: Cryptosuite) -> None:
    signed = interop.ours[f"ob-{suite}"]
    assert len(signed["credentialSubject"]["achievement"]["alignment"]) == 3
    assert _first_proof(signed)["cryptosuite"] == suite.value
    # default purpose "issuance": JS also requires the key's controller to be the issuer
    assert interop.js_verdicts[f"ob-{suite}"] == {"verified": True, "errors": []}
    assert _outcomes(_verify(signed)) == ALL_PASSED_OB


# ------------------------------------------------------------------ 2. tampered


@pytest.mark.parametrize("suite", SUITES)
def test_tampered_open_badge_rejected_by_both(interop: Interop, suite: Cryptosuite) -> None:
    js = interop.js_verdicts[f"tampered-{suite}"]
    assert js["verified"] is False
    assert "invalid signature" in _joined(js)
    report = _verify(interop.ours[f"tampered-{suite}"])
    assert not report.verified
    assert _failure(report) == ("proof", "PROOF_VERIFICATION_ERROR")


# ------------------------------------------------------------------ 3. undefined term


def test_injected_undefined_term_rejected_by_both_rdfc(interop: Interop) -> None:
    js = interop.js_verdicts[f"injected-{RDFC}"]
    assert js["verified"] is False
    assert "safe mode validation error" in _joined(js)
    report = _verify(interop.ours[f"injected-{RDFC}"])
    assert not report.verified
    assert _failure(report) == ("safe_mode", "DATA_LOSS_DETECTION_ERROR")
    assert "undefinedTerm" in report.steps[-1].message


def test_injected_undefined_term_rejected_by_both_jcs(interop: Interop) -> None:
    # The JS eddsa-jcs-2022 suite never expands JSON-LD, so it has no safe-mode check: it
    # fails only because the signed JSON changed.  credstack runs safe mode for every suite.
    js = interop.js_verdicts[f"injected-{JCS}"]
    assert js["verified"] is False
    assert "invalid signature" in _joined(js)
    assert "safe mode" not in _joined(js)
    report = _verify(interop.ours[f"injected-{JCS}"])
    assert _failure(report) == ("safe_mode", "DATA_LOSS_DETECTION_ERROR")


# ------------------------------------------------------------------ 4. JS → credstack


@pytest.mark.parametrize("suite", SUITES)
def test_js_open_badge_verified_by_credstack(interop: Interop, suite: Cryptosuite) -> None:
    signed = interop.theirs[f"ob-{suite}"]
    assert signed["proof"]["cryptosuite"] == suite.value
    report = _verify(signed)
    assert report.verified, report.render()
    assert _outcomes(report) == ALL_PASSED_OB
    assert report.warnings == []
    # Ed25519 is deterministic: the same input, key and options give the same proof
    assert _first_proof(interop.ours[f"ob-{suite}"]) == signed["proof"]


def test_js_w3c_vector_verified_by_credstack_with_controller_warning(interop: Interop) -> None:
    signed = interop.theirs["w3c-vector"]
    report = _verify(signed)
    assert report.verified, report.render()
    assert report.kind == "verifiable-credential"
    assert _outcomes(report) == [
        ("parse", "passed"),
        ("context", "passed"),
        ("schema", "skipped"),
        ("safe_mode", "passed"),
        ("key_resolution", "passed"),
        ("proof", "passed"),
        # issuer https://vc.example/issuers/5678 does not control the did:key
        ("controller", "warning"),
        ("validity", "passed"),
        ("status", "skipped"),
    ]
    assert [w.code for w in report.warnings] == ["CONTROLLER_MISMATCH"]
    ours = _sign(vector_json("unsigned.json"), key=KeyPair.from_multikey(VECTOR_KEY))
    assert ours["proof"] == signed["proof"]


# ------------------------------------------------------------------ 5. did:web


def test_did_web_issuer_verified_by_both(interop: Interop) -> None:
    # @digitalbazaar/vc only honours assertionMethod entries written as absolute ids;
    # make_did_document writes them so.
    assert WEB_DOCUMENT["assertionMethod"] == [WEB_VM]
    signed = interop.ours["did-web"]
    assert _first_proof(signed)["verificationMethod"] == WEB_VM
    assert interop.js_verdicts["did-web"] == {"verified": True, "errors": []}
    report = _verify(signed, documents=[WEB_DOCUMENT])
    assert report.verified, report.render()
    assert _outcomes(report) == ALL_PASSED_OB


def test_did_web_relative_assertion_reference_rejected_by_js_only(interop: Interop) -> None:
    # The JS quirk: "#key-1" in assertionMethod is not matched against the absolute id.
    # A relative reference is valid in a DID document, and credstack resolves it.
    js = interop.js_verdicts["did-web-relative"]
    assert js["verified"] is False
    assert f'verification method "{WEB_VM}" not authorized' in _joined(js)
    assert _verify(interop.ours["did-web"], documents=[WEB_DOCUMENT_RELATIVE]).verified


# ------------------------------------------------------------------ 6. status list


def test_status_list_revoked_index_reported_by_both(interop: Interop) -> None:
    js = interop.js_verdicts[f"status-{REVOKED_INDEX}"]
    # @digitalbazaar/vc reports a set bit in `status` and keeps `verified` true
    assert js["verified"] is True
    assert js.get("status") == [{"purpose": "revocation", "status": True, "verified": True}]
    report = _verify(
        interop.ours[f"status-{REVOKED_INDEX}"],
        status_lists={LIST_URL: interop.ours["status-list"]},
    )
    assert not report.verified
    assert _failure(report) == ("status", "CREDENTIAL_REVOKED")


def test_status_list_unset_index_fine_in_both(interop: Interop) -> None:
    js = interop.js_verdicts[f"status-{ACTIVE_INDEX}"]
    assert js == {
        "verified": True,
        "errors": [],
        "status": [{"purpose": "revocation", "status": False, "verified": True}],
    }
    report = _verify(
        interop.ours[f"status-{ACTIVE_INDEX}"],
        status_lists={LIST_URL: interop.ours["status-list"]},
    )
    assert report.verified, report.render()
    assert report.steps[-1].name is StepName.STATUS
    assert report.steps[-1].outcome is Outcome.PASSED


# ------------------------------------------------------------------ 7. proof sets


def test_proof_set_js_accepts_when_any_proof_passes(interop: Interop) -> None:
    # jsonld-signatures' ProofSet.verify: verified = results.some(r => r.verified).
    # With purpose "issuance" the co-signer's proof fails the controller check and its
    # error is listed, yet the credential verifies because the issuer's proof passes.
    issuance = interop.js_verdicts["proof-set-issuance"]
    assert issuance["verified"] is True
    assert issuance["errors"] == [
        "Credential issuer must match the verification method controller."
    ]
    assert interop.js_verdicts["proof-set-assertion"] == {"verified": True, "errors": []}


def test_proof_set_with_one_bad_signature_js_verified_credstack_rejected(
    interop: Interop,
) -> None:
    # credstack requires every proof of a set to verify; JavaScript requires one.
    for purpose in ("issuance", "assertion"):
        js = interop.js_verdicts[f"proof-set-broken-{purpose}"]
        assert js["verified"] is True
        assert "Invalid signature." in js["errors"]
    report = _verify(interop.ours["proof-set-broken"])
    assert not report.verified
    assert _failure(report) == ("proof", "PROOF_VERIFICATION_ERROR")


def test_proof_set_non_open_badge_verified_by_credstack_cosigner_reported(
    interop: Interop,
) -> None:
    signed = interop.ours["vc-proof-set"]
    assert len(signed["proof"]) == 2
    report = _verify(signed)
    assert report.verified, report.render()
    assert [s.outcome for s in report.steps if s.name is StepName.PROOF] == [Outcome.PASSED] * 2
    assert report.warnings == []
    controller = [s for s in report.steps if s.name is StepName.CONTROLLER]
    assert controller[0].outcome is Outcome.PASSED
    assert COSIGNER.did_key in controller[0].message


def test_proof_set_open_badge_verified_by_credstack(interop: Interop) -> None:
    signed = interop.ours["proof-set"]
    assert [p["verificationMethod"] for p in signed["proof"]] == [
        ISSUER.verification_method,
        COSIGNER.verification_method,
    ]
    report = _verify(signed)
    assert [s.outcome for s in report.steps if s.name is StepName.PROOF] == [Outcome.PASSED] * 2
    assert report.verified, report.render()
    controller = [s for s in report.steps if s.name is StepName.CONTROLLER]
    assert controller[0].outcome is Outcome.PASSED
    assert COSIGNER.did_key in controller[0].message


# ------------------------------------------------------------------ 8. unusual strings


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_unusual_strings_verified_both_ways(
    interop: Interop, name: str, suite: Cryptosuite
) -> None:
    case = f"text-{name}-{suite}"
    ours = interop.ours[case]
    theirs = interop.theirs[case]
    assert theirs["credentialSubject"]["achievement"]["name"] == UNUSUAL[name]
    assert interop.js_verdicts[case] == {"verified": True, "errors": []}
    report = _verify(theirs)
    assert report.verified, report.render()
    # both sides canonicalize to the same bytes, hence the same signature
    assert _first_proof(ours) == theirs["proof"]


def test_bell_character_written_as_uchar() -> None:
    nquads = canonical_nquads(_with_text(UNUSUAL["bell"]))
    assert '"bell\\u0007ring"' in nquads
    assert "\u0007" not in nquads


@pytest.mark.parametrize(("name", "escaped"), [("uffff", "\\uFFFF"), ("ufffe", "\\uFFFE")])
def test_noncharacter_written_as_uchar_by_credstack(name: str, escaped: str) -> None:
    # Canonical N-Quads (RDFC-1.0 appendix A, RDF 1.2 N-Triples §3): code points outside the
    # XML 1.1 Char production MUST be written as UCHAR.
    nquads = canonical_nquads(_with_text(DIVERGENT[name]))
    assert f'"end{escaped}"' in nquads


@pytest.mark.parametrize("name", sorted(DIVERGENT))
def test_non_xml_char_rdfc_signatures_disagree(interop: Interop, name: str) -> None:
    # rdf-canonize 5.0.0 escapes only U+0000-U+001F, U+007F, '"' and '\' and writes U+FFFE,
    # U+FFFF and lone surrogates raw; credstack writes them as UCHAR.  The canonical forms
    # differ, so neither side accepts the other's eddsa-rdfc-2022 proof.
    case = f"text-{name}-{RDFC}"
    ours, theirs = interop.ours[case], interop.theirs[case]
    assert _first_proof(ours)["proofValue"] != theirs["proof"]["proofValue"]
    js = interop.js_verdicts[case]
    assert js["verified"] is False
    assert js["errors"] == ["Invalid signature."]
    report = _verify(theirs)
    assert _failure(report) == ("proof", "PROOF_VERIFICATION_ERROR")
    assert _verify(ours).verified


@pytest.mark.parametrize("name", ["uffff", "ufffe"])
def test_noncharacter_jcs_verified_both_ways(interop: Interop, name: str) -> None:
    # JCS writes both noncharacters as themselves on either side.
    case = f"text-{name}-{JCS}"
    ours, theirs = interop.ours[case], interop.theirs[case]
    assert _first_proof(ours) == theirs["proof"]
    assert interop.js_verdicts[case] == {"verified": True, "errors": []}
    assert _verify(theirs).verified


def test_lone_surrogate_jcs_signed_by_js_refused_by_credstack(interop: Interop) -> None:
    # RFC 8785 (I-JSON) has no lone surrogates: credstack will not sign or verify one with
    # eddsa-jcs-2022, while JavaScript signs it (JSON.stringify writes "\ud800").
    with pytest.raises(ProofError) as info:
        _sign(_with_text(DIVERGENT["lone-surrogate"]), suite=JCS)
    assert info.value.code == "PROOF_TRANSFORMATION_ERROR"
    theirs = interop.theirs[f"text-lone-surrogate-{JCS}"]
    assert theirs["proof"]["cryptosuite"] == JCS.value
    report = _verify(theirs)
    assert not report.verified
    assert _failure(report) == ("proof", "PROOF_TRANSFORMATION_ERROR")
