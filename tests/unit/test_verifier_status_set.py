"""The status step over a ``credentialStatus`` array (revocation and suspension entries), the
schema step's warning for it, and status indexes that are not plain base-10 numbers."""

from __future__ import annotations

from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof
from credstack.resolve.resolver import CompositeResolver
from credstack.statuslist import encode_list
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.verify.verifier import MAX_STATUS_ENTRIES, Verifier, VerifyOptions
from tests.conftest import CREATED, NOW, make_open_badge

REVOCATION_URL = "https://issuer.example/status/r"
SUSPENSION_URL = "https://issuer.example/status/s"
INDEX = 4242


def _entry(url: str, purpose: str, index: str = str(INDEX)) -> dict[str, Any]:
    return {
        "id": f"{url}#{INDEX}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": index,
        "statusListCredential": url,
    }


def _list(issuer: KeyPair, url: str, purpose: str, *, flagged: bool) -> dict[str, Any]:
    bits = bytearray(16384)
    if flagged:
        bits[INDEX // 8] |= 0x80 >> (INDEX % 8)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did_key,
        "validFrom": "2025-12-31T00:00:00Z",
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bits),
        },
    }
    return add_proof(unsigned, issuer, created=CREATED)


def _verify(
    issuer: KeyPair, status: Any, *, revoked: bool = False, suspended: bool = False
) -> VerificationReport:
    badge = add_proof(
        make_open_badge(issuer.did_key, credentialStatus=status), issuer, created=CREATED
    )
    lists = {
        REVOCATION_URL: _list(issuer, REVOCATION_URL, "revocation", flagged=revoked),
        SUSPENSION_URL: _list(issuer, SUSPENSION_URL, "suspension", flagged=suspended),
    }
    return Verifier(CompositeResolver()).verify(badge, VerifyOptions(at=NOW, status_lists=lists))


def _steps(report: VerificationReport, name: StepName) -> list[tuple[Outcome, str | None]]:
    return [(s.outcome, s.code) for s in report.steps if s.name is name]


BOTH = [_entry(REVOCATION_URL, "revocation"), _entry(SUSPENSION_URL, "suspension")]


def test_every_entry_is_checked_and_the_array_is_a_schema_warning(issuer_key: KeyPair) -> None:
    report = _verify(issuer_key, BOTH)
    assert report.verified, report.render()
    assert _steps(report, StepName.STATUS) == [(Outcome.PASSED, None), (Outcome.PASSED, None)]
    assert _steps(report, StepName.SCHEMA) == [(Outcome.WARNING, "SCHEMA_VIOLATION")]
    purposes = [s.details["statusPurpose"] for s in report.steps if s.name is StepName.STATUS]
    assert purposes == ["revocation", "suspension"]


def test_set_suspension_bit_fails_with_its_own_code(issuer_key: KeyPair) -> None:
    report = _verify(issuer_key, BOTH, suspended=True)
    assert not report.verified
    failure = report.first_failure
    assert failure is not None
    assert (failure.name, failure.code) == (StepName.STATUS, "CREDENTIAL_SUSPENDED")
    assert failure.message.startswith("suspended (list issued 2025-12-31T00:00:00Z)")
    assert failure.details["statusPurpose"] == "suspension"
    assert _steps(report, StepName.STATUS)[0] == (Outcome.PASSED, None)


def test_revocation_comes_first_when_both_bits_are_set(issuer_key: KeyPair) -> None:
    report = _verify(issuer_key, BOTH, revoked=True, suspended=True)
    assert _steps(report, StepName.STATUS) == [
        (Outcome.FAILED, "CREDENTIAL_REVOKED"),
        (Outcome.FAILED, "CREDENTIAL_SUSPENDED"),
    ]
    assert report.first_failure is not None
    assert report.first_failure.code == "CREDENTIAL_REVOKED"


def test_a_single_object_stays_schema_clean(issuer_key: KeyPair) -> None:
    report = _verify(issuer_key, _entry(REVOCATION_URL, "revocation"), suspended=True)
    assert report.verified, report.render()  # the suspension list is not referred to
    assert _steps(report, StepName.SCHEMA) == [(Outcome.PASSED, None)]


def test_a_malformed_entry_in_the_array_fails_schema_and_status(issuer_key: KeyPair) -> None:
    no_id = {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}
    report = _verify(issuer_key, [_entry(REVOCATION_URL, "revocation"), no_id])
    assert not report.verified
    (schema,) = [s for s in report.steps if s.name is StepName.SCHEMA]
    assert (schema.outcome, schema.code) == (Outcome.FAILED, "SCHEMA_VIOLATION")
    assert "/credentialStatus/1" in schema.message
    assert (Outcome.FAILED, "MALFORMED_VALUE_ERROR") in _steps(report, StepName.STATUS)


@pytest.mark.parametrize(
    ("index", "code"),
    [
        ("\u00b2", "MALFORMED_VALUE_ERROR"),  # a digit, but not a base-10 number
        ("\u0663", "MALFORMED_VALUE_ERROR"),  # ARABIC-INDIC DIGIT THREE
        ("-1", "MALFORMED_VALUE_ERROR"),
        (" 7", "MALFORMED_VALUE_ERROR"),
        ("131072", "RANGE_ERROR"),
        ("1" * 19, "RANGE_ERROR"),
        ("1" * 5000, "RANGE_ERROR"),  # beyond int()'s default digit limit
    ],
)
def test_an_index_that_is_no_usable_base10_number_fails_without_crashing(
    issuer_key: KeyPair, index: str, code: str
) -> None:
    report = _verify(issuer_key, _entry(REVOCATION_URL, "revocation", index))
    assert _steps(report, StepName.STATUS) == [(Outcome.FAILED, code)]


def test_too_many_entries_fail_before_any_list_is_checked(issuer_key: KeyPair) -> None:
    many = [_entry(REVOCATION_URL, "revocation")] * (MAX_STATUS_ENTRIES + 1)
    report = _verify(issuer_key, many)
    (status,) = [s for s in report.steps if s.name is StepName.STATUS]
    assert (status.outcome, status.code) == (Outcome.FAILED, "MALFORMED_VALUE_ERROR")
    assert f"at most {MAX_STATUS_ENTRIES}" in status.message
    assert _verify(issuer_key, many[:MAX_STATUS_ENTRIES]).verified
