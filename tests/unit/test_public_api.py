"""The public surface is explicit: ``credstack.__all__`` is pinned here."""

from __future__ import annotations

import credstack

EXPECTED = {
    "Achievement",
    "AchievementSubject",
    "CompositeResolver",
    "CredstackError",
    "Cryptosuite",
    "EndorsementCredential",
    "KeyPair",
    "OpenBadgeCredential",
    "Outcome",
    "Problem",
    "Profile",
    "PublicKey",
    "Step",
    "StepName",
    "VerifiablePresentation",
    "VerificationReport",
    "Verifier",
    "VerifyOptions",
    "__version__",
    "add_proof",
    "check_credential",
    "validate_credential",
    "verify_credential",
    "verify_proof",
    "verify_proofs",
}


def test_public_names_are_pinned() -> None:
    assert set(credstack.__all__) == EXPECTED


def test_public_names_resolve() -> None:
    for name in credstack.__all__:
        assert getattr(credstack, name) is not None, name


def test_readme_recipe_signs_and_verifies() -> None:
    from datetime import UTC, datetime

    from tests.conftest import make_open_badge

    key = credstack.KeyPair.generate()
    signed = credstack.add_proof(
        make_open_badge(key.did_key), key, created=datetime(2025, 7, 1, tzinfo=UTC)
    )
    report = credstack.verify_credential(
        signed, credstack.CompositeResolver(), at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    report.raise_for_status()
    assert report.verified
    assert [s.name.value for s in report.steps][:4] == ["parse", "context", "schema", "safe_mode"]
