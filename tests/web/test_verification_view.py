"""The plain-language verification view (web/verification.py), without a browser: the
mapping of reports to steps and verdicts, input reading, and the platform facts (issuer
here, transparency log, bundles) over an in-memory database."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from credstack.api import create_app
from credstack.api.context import AppContext
from credstack.baking import bake_png, bake_svg
from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import Organisation
from credstack.platform.issuance import Issuer, IssueRequest, revoke
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.organisations import create_organisation
from credstack.platform.platform_identity import ensure_platform_key
from credstack.platform.translog import credential_bundle
from credstack.proofs.dataintegrity import add_proof
from credstack.storage.memory import MemoryDatabase
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.web.verification import (
    MAX_INPUT_BYTES,
    Finding,
    Findings,
    PlatformLookup,
    StepState,
    Verdict,
    explain,
    read_input,
    verify_bundle_document,
    verify_document,
    verify_input,
)

BASE = "https://credstack.example"
HOST = "credstack.example"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
KEYS = [
    "format",
    "issuer",
    "recipient",
    "dates",
    "achievement",
    "skills",
    "signature",
    "revocation",
    "trust",
    "log",
]
DESIGN: dict[str, Any] = {
    "name": "Data Analysis with Python",
    "description": "Cleans, analyses and visualises tabular data.",
    "criteria_narrative": "Pass the supervised practical assessment.",
    "skills": [
        {
            "url": "http://data.europa.eu/esco/skill/aaaa-bbbb",
            "name": "analyse data",
            "framework": "ESCO v1.2",
        }
    ],
    "eqf_level": 5,
}
PNG = (  # a 1x1 transparent PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x03\x00\x08\xfc\x02\xfe\xa7"
    b"\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    db: MemoryDatabase
    custody: KeyCustody
    clock: Clock
    ctx: AppContext
    org: Organisation
    credential: dict[str, Any]
    credential_id: str


@pytest.fixture
def world() -> World:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    ensure_platform_key(uow, custody, HOST, at=T0)
    org = create_organisation(uow, custody, host=HOST, slug="uni", name="Example University", at=T0)
    version = publish(
        uow, org, create_achievement(uow, org, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    issued = Issuer(uow, custody, org, BASE).issue(
        version, IssueRequest(email="ann@example.org"), at=T0
    )
    uow.commit()
    clock = Clock(T0 + timedelta(days=1))
    app = create_app(
        database=db,
        custody=custody,
        base_url=BASE,
        clock=clock,
        password_hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )
    ctx = app.state.credstack
    return World(db, custody, clock, ctx, org, json.loads(issued.credential_json), issued.id)


def states(view: Any) -> dict[str, StepState]:
    return {s.key: s.state for s in view.steps}


# ------------------------------------------------------------------ on the platform


def test_a_credential_issued_here_is_valid_with_every_step(world: World) -> None:
    view = verify_document(world.ctx, world.credential)
    assert [s.key for s in view.steps] == KEYS
    assert view.verdict is Verdict.VALID
    assert view.headline == "Valid"
    got = states(view)
    for key in ("format", "issuer", "dates", "signature", "revocation", "trust", "log"):
        assert got[key] is StepState.PASSED, (key, view.step(key))
    issuer = view.step("issuer")
    assert issuer is not None
    facts = {f.label: f.value for f in issuer.facts}
    assert facts["Name"] == "Example University"
    assert facts["Identifier (DID)"] == world.org.did
    assert facts["On this platform"] == "Yes: the organisation Example University"
    recipient = view.step("recipient")
    assert recipient is not None
    assert recipient.summary == "Awarded to an e-mail address (hashed)."
    achievement = view.step("achievement")
    assert achievement is not None
    described = {f.label: f.value for f in achievement.facts}
    assert achievement.summary == DESIGN["name"] + "."
    assert described["Criteria"] == DESIGN["criteria_narrative"]
    skills = view.step("skills")
    assert skills is not None
    assert [(i.label, i.value) for i in skills.items] == [("analyse data", "ESCO v1.2")]
    assert skills.items[0].href == DESIGN["skills"][0]["url"]  # EQF level is not a skill
    revocation = view.step("revocation")
    assert revocation is not None
    assert "Not revoked" in revocation.summary
    assert "1 March 2026" not in revocation.summary  # the list is today's, not the issuance's
    assert "status list as of 2 March 2026, 09:00 UTC, current" in revocation.summary
    log = view.step("log")
    assert log is not None
    assert "inclusion proof" in log.summary
    assert {f.label for f in log.facts} >= {"Recorded", "Log entry", "Checkpoint"}
    assert view.title == DESIGN["name"]
    assert json.loads(view.credential_json) == world.credential
    assert json.loads(view.report_json)["verified"] is True


def test_a_changed_name_is_not_valid_and_the_log_says_the_copy_was_changed(world: World) -> None:
    forged = copy.deepcopy(world.credential)
    forged["credentialSubject"]["achievement"]["name"] = "Doctorate in Everything"
    view = verify_document(world.ctx, forged)
    assert view.verdict is Verdict.INVALID
    assert view.headline.startswith("Not valid: the signature does not match")
    assert states(view)["signature"] is StepState.FAILED
    assert states(view)["trust"] is StepState.NOT_CHECKED  # the named issuer is unconfirmed
    log = view.step("log")
    assert log is not None
    assert log.state is StepState.FAILED
    assert "this copy was changed" in log.summary
    assert view.title == "Doctorate in Everything"  # shown as claimed, under a failed verdict


def test_a_revoked_credential_is_not_valid(world: World) -> None:
    with world.ctx.work() as uow:
        revoke(uow, world.org, world.credential_id, reason="issued in error", at=world.clock())
    view = verify_document(world.ctx, world.credential)
    assert view.verdict is Verdict.INVALID
    assert view.headline.startswith("Not valid: it was revoked by its issuer")
    log = view.step("log")
    assert log is not None
    assert log.state is StepState.PASSED
    assert "Revocation recorded" in {f.label for f in log.facts}


def test_an_expired_credential_is_not_valid(world: World) -> None:
    with world.ctx.work() as uow:
        version = uow.achievements.for_organisation(world.org.id)[0]
        issued = Issuer(uow, world.custody, world.org, BASE).issue(
            version,
            IssueRequest(did="did:example:bob", valid_until=T0 + timedelta(hours=1)),
            at=T0,
        )
    view = verify_document(world.ctx, json.loads(issued.credential_json))
    assert view.verdict is Verdict.INVALID
    dates = view.step("dates")
    assert dates is not None
    assert dates.state is StepState.FAILED
    assert dates.summary == "It expired on 1 March 2026, 10:00 UTC."
    assert view.headline == "Not valid: it expired on 1 March 2026, 10:00 UTC"
    recipient = view.step("recipient")
    assert recipient is not None
    assert recipient.summary == "Awarded to did:example:bob."


def test_a_credential_of_another_server_cannot_be_trusted(world: World) -> None:
    foreign = KeyPair.generate()
    did = foreign.did_key
    document = copy.deepcopy(world.credential)
    for key in ("proof", "credentialStatus"):
        document.pop(key)
    document["issuer"] = {"id": did, "type": ["Profile"], "name": "Elsewhere College"}
    document["credentialSubject"]["achievement"]["creator"] = document["issuer"]
    signed = add_proof(document, foreign, created=T0)
    view = verify_document(world.ctx, signed)
    got = states(view)
    assert got["signature"] is StepState.PASSED
    assert got["issuer"] is StepState.PASSED
    assert got["trust"] is StepState.WARNING
    assert got["log"] is StepState.NOT_CHECKED
    assert got["revocation"] is StepState.INFO
    assert view.verdict is Verdict.WARNINGS
    assert view.headline == "Valid with warnings"
    trust = view.step("trust")
    assert trust is not None
    assert trust.summary.startswith("Unknown issuer")
    issuer = view.step("issuer")
    assert issuer is not None
    assert ("On this platform", "No") in {(f.label, f.value) for f in issuer.facts}


def test_without_a_platform_log_key_the_log_is_not_checked(world: World) -> None:
    db = MemoryDatabase()
    uow = db.unit_of_work()
    org = create_organisation(uow, world.custody, host=HOST, slug="u", name="U", at=T0)
    version = publish(
        uow, org, create_achievement(uow, org, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    issued = Issuer(uow, world.custody, org, BASE).issue(
        version, IssueRequest(did="did:ex:a"), at=T0
    )
    uow.commit()
    app = create_app(database=db, custody=world.custody, base_url=BASE, clock=world.clock)
    view = verify_document(app.state.credstack, json.loads(issued.credential_json))
    log = view.step("log")
    assert log is not None
    assert log.state is StepState.NOT_CHECKED
    assert "no log key" in log.summary
    assert view.verdict is Verdict.VALID


def test_a_presentation_shows_each_credential(world: World) -> None:
    forged = copy.deepcopy(world.credential)
    forged["validFrom"] = "2020-01-01T00:00:00Z"
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [world.credential, forged],
    }
    view = verify_document(world.ctx, presentation)
    assert [s.key for s in view.steps] == ["format", "holder", "credentials"]
    assert [n.verdict for n in view.nested] == [Verdict.VALID, Verdict.INVALID]
    assert all(n.level == 3 for n in view.nested)
    assert view.verdict is Verdict.INVALID
    credentials = view.step("credentials")
    assert credentials is not None
    assert credentials.summary == "1 of 2 presented credentials is valid."
    holder = view.step("holder")
    assert holder is not None
    assert holder.state is StepState.WARNING


def test_a_bundle_from_this_server_proves_the_log(world: World) -> None:
    with world.ctx.work() as uow:
        stored = uow.credentials.get(world.credential_id)
        assert stored is not None
        bundle = credential_bundle(
            uow, world.custody, HOST, BASE, world.org, stored, world.clock()
        ).to_json()
    view = verify_input(world.ctx, read_input(json.dumps(bundle).encode()))
    assert view.verdict is Verdict.VALID, view.headline
    log = view.step("log")
    assert log is not None
    assert log.state is StepState.PASSED
    assert "signed by this server's log key" in log.summary
    fmt = view.step("format")
    assert fmt is not None
    assert "verification bundle" in fmt.summary
    # baked with the bundle, beside a different credential: the image does not match
    other = copy.deepcopy(world.credential)
    other["name"] = "Another name"
    baked = bake_png(PNG, other, bundle=bundle)
    mismatch = verify_input(world.ctx, read_input(baked))
    assert mismatch.verdict is Verdict.INVALID
    assert mismatch.headline == (
        "Not valid: the credential in the image differs from the one in its bundle"
    )


def test_a_foreign_bundle_log_evidence_counts_for_nothing(world: World) -> None:
    with world.ctx.work() as uow:
        stored = uow.credentials.get(world.credential_id)
        assert stored is not None
        bundle = credential_bundle(
            uow, world.custody, HOST, BASE, world.org, stored, world.clock()
        ).to_json()
    other = MemoryDatabase()  # another server: none of these keys are pinned or known
    app = create_app(database=other, custody=world.custody, base_url=BASE, clock=world.clock)
    view = verify_bundle_document(app.state.credstack, bundle)
    got = states(view)
    assert got["signature"] is StepState.PASSED  # with the bundled DID document
    assert got["log"] is StepState.WARNING
    assert got["trust"] is StepState.WARNING
    assert view.verdict is Verdict.WARNINGS


def test_platform_lookup_names_local_issuers(world: World) -> None:
    lookup = PlatformLookup(world.ctx, log=False)
    found = lookup(world.credential)
    assert found.issuer_here == "Example University"
    assert found.log is None
    assert found.trust is not None
    assert found.trust.state is StepState.PASSED
    assert lookup({"issuer": "did:example:x"}).issuer_here is None


# ------------------------------------------------------------------ pure mapping


StepSpec = tuple[StepName, Outcome, str | None, dict[str, Any]]


def _report(*steps: StepSpec) -> VerificationReport:
    report = VerificationReport(
        kind="open-badge", issuer="did:example:i", checked_at="2026-03-02T09:00:00Z"
    )
    for name, outcome, code, details in steps:
        report.add(name, outcome, f"{name.value} message", code, **details)
    return report


GOOD: tuple[StepSpec, ...] = (
    (StepName.PARSE, Outcome.PASSED, None, {}),
    (StepName.CONTEXT, Outcome.PASSED, None, {}),
    (StepName.SCHEMA, Outcome.PASSED, None, {}),
    (StepName.SAFE_MODE, Outcome.PASSED, None, {}),
    (StepName.KEY_RESOLUTION, Outcome.PASSED, None, {"verificationMethod": "did:example:i#k"}),
    (StepName.PROOF, Outcome.PASSED, None, {"suite": "eddsa-rdfc-2022"}),
    (StepName.CONTROLLER, Outcome.PASSED, None, {}),
    (StepName.VALIDITY, Outcome.PASSED, None, {}),
)
DOC: dict[str, Any] = {
    "issuer": {"id": "did:example:i", "name": "Issuer <b>Inc</b>"},
    "validFrom": "2026-03-01T00:00:00Z",
    "credentialSubject": {
        "name": "Ann Example",
        "achievement": {
            "name": "Badge",
            "image": {"id": "https://img.example/a.png"},
            "alignment": [
                {"targetName": "Plain", "targetUrl": "javascript:alert(1)"},
                {"targetName": "EQF 4", "targetType": "ext:EQFLevel"},
            ],
        },
    },
}


def test_without_a_lookup_trust_and_log_are_not_checked() -> None:
    view = explain(_report(*GOOD, (StepName.STATUS, Outcome.SKIPPED, None, {})), DOC)
    got = states(view)
    assert got["trust"] is StepState.NOT_CHECKED
    assert got["log"] is StepState.NOT_CHECKED
    trust = view.step("trust")
    assert trust is not None
    assert trust.summary.startswith("Not checked")
    assert view.verdict is Verdict.VALID  # "not checked" is not a warning
    recipient = view.step("recipient")
    assert recipient is not None
    assert recipient.summary == "Awarded to Ann Example."
    skills = view.step("skills")
    assert skills is not None
    assert [(i.label, i.href) for i in skills.items] == [("Plain", None)]
    assert view.image is None  # only data: images are shown (the page's CSP allows no other)
    assert view.issuer_name == "Issuer <b>Inc</b>"  # escaped by the template, not here


def test_a_lookup_supplies_trust_and_log() -> None:
    def lookup(_: Any) -> Findings:
        return Findings(
            issuer_here=None,
            trust=Finding(StepState.PASSED, "On the registry."),
            log=Finding(StepState.FAILED, "Log proof broken."),
        )

    view = explain(_report(*GOOD), DOC, lookup=lookup)
    assert view.headline == "Not valid: log proof broken"


def test_status_not_supplied_is_a_warning() -> None:
    report = _report(*GOOD)
    message = "revocation status not checked: the status list was not supplied (offline)"
    report.add(StepName.STATUS, Outcome.WARNING, message, "STATUS_RETRIEVAL_ERROR")
    view = explain(report, DOC)
    revocation = view.step("revocation")
    assert revocation is not None
    assert revocation.state is StepState.WARNING
    assert view.verdict is Verdict.WARNINGS
    assert view.headline == "Valid with warnings"


def test_a_controller_mismatch_fails_the_issuer_step() -> None:
    steps: list[StepSpec] = [s for s in GOOD if s[0] is not StepName.CONTROLLER]
    steps.append((StepName.CONTROLLER, Outcome.FAILED, "CONTROLLER_MISMATCH", {}))
    view = explain(_report(*steps), DOC)
    issuer = view.step("issuer")
    assert issuer is not None
    assert issuer.state is StepState.FAILED
    assert view.headline.startswith("Not valid: it names Issuer <b>Inc</b> as its issuer, but")


def test_an_unresolvable_key_and_missing_steps() -> None:
    report = _report(
        *GOOD[:4],
        (StepName.KEY_RESOLUTION, Outcome.FAILED, "UNRESOLVABLE_VERIFICATION_METHOD", {}),
        (StepName.PROOF, Outcome.FAILED, "UNRESOLVABLE_VERIFICATION_METHOD", {}),
    )
    view = explain(report, DOC)
    got = states(view)
    assert got["signature"] is StepState.FAILED
    assert got["issuer"] is StepState.NOT_CHECKED
    assert got["dates"] is StepState.NOT_CHECKED
    assert view.headline.startswith("Not valid: the issuer's signing key could not be found")


def test_a_schema_failure_comes_first() -> None:
    report = _report(
        (StepName.PARSE, Outcome.PASSED, None, {}),
        (StepName.CONTEXT, Outcome.PASSED, None, {}),
        (StepName.SCHEMA, Outcome.FAILED, "SCHEMA_VIOLATION", {}),
        *GOOD[3:],
    )
    view = explain(report, DOC)
    assert view.headline == "Not valid: it breaks the Open Badges 3.0 rules: schema message"


def test_a_data_image_is_kept_and_dates_are_plain() -> None:
    image = "data:image/png;base64," + base64.b64encode(PNG).decode()
    document = copy.deepcopy(DOC)
    document["credentialSubject"]["achievement"]["image"] = {"id": image, "type": "Image"}
    document["validUntil"] = "2027-01-31T23:59:59Z"
    view = explain(_report(*GOOD), document)
    assert view.image == image
    dates = view.step("dates")
    assert dates is not None
    assert dates.summary == "Valid at the time of this check, until 31 January 2027, 23:59 UTC."


# ------------------------------------------------------------------ reading input


def test_read_input_tells_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match=r"the text is not valid JSON: .* line 1 column"):
        read_input('{"@context": [', what="the text")
    with pytest.raises(
        InvalidInput, match="not a credential: a credential is a JSON object, not a JSON list"
    ):
        read_input("[1, 2]")
    with pytest.raises(InvalidInput, match="not a credential: it has no @context or type"):
        read_input('{"hello": "world"}')
    with pytest.raises(InvalidInput, match="nothing to verify"):
        read_input("   \n")
    with pytest.raises(InvalidInput, match=r"the file is 10\.0 MB; the limit is 10 MB"):
        read_input(b" " * (MAX_INPUT_BYTES + 1), what="the file")
    with pytest.raises(InvalidInput, match="neither a badge image"):
        read_input(b"\xff\xfe\x00garbage")
    with pytest.raises(InvalidInput, match=r"the page is a web page \(HTML\), not a credential"):
        read_input(b"<!DOCTYPE html><html><body>badge</body></html>", what="the page")
    with pytest.raises(InvalidInput, match="no baked credential"):
        read_input(PNG)
    broken = bytearray(bake_png(PNG, {"@context": [], "type": "X"}))
    broken[40] ^= 1  # inside the credential chunk: its CRC no longer matches
    with pytest.raises(InvalidInput, match="bad CRC"):
        read_input(bytes(broken))


def test_read_input_finds_every_form(world: World) -> None:
    text = json.dumps(world.credential)
    assert read_input("\ufeff" + text).document == world.credential
    baked = read_input(bake_png(PNG, world.credential))
    assert (baked.source, baked.document, baked.bundle) == ("PNG image", world.credential, None)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
    assert read_input(bake_svg(svg, world.credential)).source == "SVG image"
    jws = "eyJhbGciOiJFZERTQSJ9.e30.c2ln"
    assert read_input(jws).document == jws
    bundle = {"type": "CredstackVerificationBundle", "version": 1, "credential": world.credential}
    found = read_input(json.dumps(bundle))
    assert (found.source, found.document) == ("verification bundle", world.credential)
