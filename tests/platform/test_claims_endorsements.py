"""Claim e-mails through a real local SMTP server, claiming with a DID, and endorsements."""

from __future__ import annotations

import email
import json
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, NotFound
from credstack.models.validate import validate_credential
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.claims import ClaimGone, claim_for_user, claim_with_did, find_claim
from credstack.platform.domain import User, UserKind
from credstack.platform.endorsements import endorse, get_endorsement
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import did_document
from credstack.platform.notify import SmtpMailer, claim_message, deliver_outbox
from credstack.platform.organisations import create_organisation
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.platform.conftest import BASE, DESIGN, HOST, T0, World

NOW = T0 + timedelta(hours=1)
LINK = re.compile(re.escape(BASE) + r"/claim/([A-Za-z0-9_-]+)")


class _Collect:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that can be stopped (an outage) and started again."""

    def __init__(self) -> None:
        self.handler = _Collect()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mailer(self) -> SmtpMailer:
        return SmtpMailer("127.0.0.1", self.port, "badges@credstack.example", starttls=False)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def body_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text part")


def _issue_to_email(world: World, address: str = "learner@example.org") -> str:
    uow = world.db.unit_of_work()
    issued = Issuer(uow, world.custody, world.org, BASE).issue(
        world.version, IssueRequest(email=address, narrative="Top marks"), at=T0
    )
    uow.commit()
    return issued.id


def _deliver(world: World, smtp: SmtpSink) -> tuple[int, int]:
    report = deliver_outbox(smtp.mailer(), world.db.unit_of_work, clock=lambda: NOW)
    return report.sent, report.failed


def _token(smtp: SmtpSink) -> str:
    found = LINK.search(body_text(smtp.messages[-1]))
    assert found is not None
    return found.group(1)


# ------------------------------------------------------------------ mail


def test_issue_to_email_mails_claim_link_after_commit(world: World, smtp: SmtpSink) -> None:
    uow = world.db.unit_of_work()
    issued = Issuer(uow, world.custody, world.org, BASE).issue(
        world.version, IssueRequest(email="learner@example.org"), at=T0
    )
    assert _deliver(world, smtp) == (0, 0)  # not committed yet: nothing to send
    uow.commit()
    assert _deliver(world, smtp) == (1, 0)
    [message] = smtp.messages
    assert message["To"] == "learner@example.org"
    assert message["Subject"] == (
        "You have received Data Analysis with Python from Example University"
    )
    view = find_claim(world.db.unit_of_work(), _token(smtp), at=NOW)
    assert view.credential.id == issued.id
    assert _deliver(world, smtp) == (0, 0)  # sent once


def test_issue_to_did_only_sends_no_mail(world: World, smtp: SmtpSink) -> None:
    uow = world.db.unit_of_work()
    Issuer(uow, world.custody, world.org, BASE).issue(
        world.version, IssueRequest(did=KeyPair.generate().did_key), at=T0
    )
    uow.commit()
    assert _deliver(world, smtp) == (0, 0)
    assert smtp.messages == []


def test_smtp_outage_keeps_message_then_retry_delivers(world: World, smtp: SmtpSink) -> None:
    _issue_to_email(world)
    smtp.stop()  # connection refused
    assert _deliver(world, smtp) == (0, 1)
    [waiting] = world.db.unit_of_work().outbox.pending(limit=10, max_attempts=20)
    assert waiting.attempts == 1
    assert waiting.last_error
    assert "not sent" in waiting.last_error
    assert waiting.sent_at is None
    smtp.start()
    assert _deliver(world, smtp) == (1, 0)
    assert len(smtp.messages) == 1
    done = world.db.unit_of_work().outbox.get(waiting.id)
    assert done is not None
    assert done.sent_at == NOW
    assert done.attempts == 2
    assert done.text == ""
    assert done.html == ""


def test_claim_message_escapes_html() -> None:
    message = claim_message(
        recipient="a@example.org",
        achievement="<script>x</script>",
        issuer='Uni "&" Co',
        link=f"{BASE}/claim/abc",
        at=T0,
    )
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "&quot;&amp;&quot;" in message.html
    assert "\n" not in message.subject


# ------------------------------------------------------------------ claiming


def test_claim_with_did_issues_superseding_credential(world: World, smtp: SmtpSink) -> None:
    original_id = _issue_to_email(world)
    _deliver(world, smtp)
    did = KeyPair.generate().did_key
    uow = world.db.unit_of_work()
    result = claim_with_did(uow, world.custody, _token(smtp), did, base_url=BASE, at=NOW)
    uow.commit()
    claimed = json.loads(result.claimed.credential_json)
    assert claimed["credentialSubject"]["id"] == did
    assert claimed["credentialSubject"]["narrative"] == "Top marks"
    assert "identifier" not in claimed["credentialSubject"]
    assert result.claimed.supersedes == original_id
    assert result.original.id == original_id
    stored = world.db.unit_of_work().credentials.get(original_id)
    assert stored is not None
    assert stored.revoked_at is None
    report = Verifier(world.resolver()).verify(claimed, VerifyOptions(at=NOW))
    assert all(s.outcome.value != "failed" for s in report.steps), report.render()
    assert len(smtp.messages) == 1  # the DID-bound re-issue mails nobody


def test_claim_twice_is_gone(world: World, smtp: SmtpSink) -> None:
    _issue_to_email(world)
    _deliver(world, smtp)
    token = _token(smtp)
    uow = world.db.unit_of_work()
    claim_with_did(uow, world.custody, token, KeyPair.generate().did_key, base_url=BASE, at=NOW)
    uow.commit()
    with pytest.raises(ClaimGone, match="used"):
        claim_with_did(
            world.db.unit_of_work(),
            world.custody,
            token,
            KeyPair.generate().did_key,
            base_url=BASE,
            at=NOW,
        )


def test_claim_after_30_days_is_gone(world: World, smtp: SmtpSink) -> None:
    _issue_to_email(world)
    _deliver(world, smtp)
    with pytest.raises(ClaimGone, match="expired"):
        find_claim(world.db.unit_of_work(), _token(smtp), at=T0 + timedelta(days=30))


def test_claim_unknown_token_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        find_claim(world.db.unit_of_work(), "A" * 43, at=NOW)
    with pytest.raises(NotFound):
        find_claim(world.db.unit_of_work(), "../../etc", at=NOW)


def test_claim_with_bad_did_is_invalid_and_claim_stays(world: World, smtp: SmtpSink) -> None:
    _issue_to_email(world)
    _deliver(world, smtp)
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidInput):
        claim_with_did(uow, world.custody, _token(smtp), "not-a-did", base_url=BASE, at=NOW)
    uow.rollback()
    assert find_claim(world.db.unit_of_work(), _token(smtp), at=NOW).claim.used_at is None


def test_claim_for_learner_account_records_did(world: World, smtp: SmtpSink) -> None:
    _issue_to_email(world)
    _deliver(world, smtp)
    uow = world.db.unit_of_work()
    learner = User("u-1", "learner@example.org", "x", UserKind.LEARNER, T0)
    uow.users.add(learner)
    did = KeyPair.generate().did_key
    result = claim_for_user(
        uow, world.custody, _token(smtp), learner, did=did, base_url=BASE, at=NOW
    )
    uow.commit()
    assert result.claimed.recipient_did == did
    stored = world.db.unit_of_work().users.get("u-1")
    assert stored is not None
    assert stored.did == did


# ------------------------------------------------------------------ endorsements


def _second_org(world: World) -> Any:
    uow = world.db.unit_of_work()
    other = create_organisation(
        uow, world.custody, host=HOST, slug="guild", name="Data Guild", at=T0
    )
    version = publish(
        uow, other, create_achievement(uow, other, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    uow.commit()
    return other, version


def test_endorse_organisation_verifies_with_endorser_did_document(world: World) -> None:
    guild, _ = _second_org(world)
    uow = world.db.unit_of_work()
    made = endorse(
        uow, world.custody, guild, subject_id=world.org.did, comment="Rigorous assessment.", at=T0
    )
    uow.commit()
    document = json.loads(get_endorsement(world.db.unit_of_work(), made.id).credential_json)
    assert document["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert document["credentialSubject"] == {
        "id": world.org.did,
        "type": ["EndorsementSubject"],
        "endorsementComment": "Rigorous assessment.",
    }
    assert document["issuer"]["id"] == guild.did
    assert validate_credential(document) == []
    keys = world.db.unit_of_work().keys.for_organisation(guild.id)
    resolver = CompositeResolver(documents=[did_document(guild, keys)])
    report = Verifier(resolver).verify(document, VerifyOptions(at=NOW))
    assert report.verified, report.render()
    other_keys = world.db.unit_of_work().keys.for_organisation(world.org.id)
    wrong = CompositeResolver(documents=[did_document(world.org, other_keys)])
    assert not Verifier(wrong).verify(document, VerifyOptions(at=NOW)).verified


def test_endorse_achievement_and_credential_listed_by_subject(world: World) -> None:
    guild, _ = _second_org(world)
    credential_id = _issue_to_email(world)
    uow = world.db.unit_of_work()
    endorse(
        uow, world.custody, guild, subject_id=world.version.achievement_id, comment="Good", at=T0
    )
    endorse(uow, world.custody, guild, subject_id=credential_id, comment="Seen it", at=T0)
    uow.commit()
    read = world.db.unit_of_work()
    assert len(read.endorsements.for_subject(world.version.achievement_id)) == 1
    [found] = read.endorsements.for_subject(credential_id)
    assert json.loads(found.credential_json)["credentialSubject"]["endorsementComment"] == (
        "Seen it"
    )


def test_endorse_unknown_subject_not_found(world: World) -> None:
    guild, _ = _second_org(world)
    uow = world.db.unit_of_work()
    with pytest.raises(NotFound):
        endorse(uow, world.custody, guild, subject_id="did:web:nowhere", comment="x", at=T0)
    with pytest.raises(NotFound):
        endorse(uow, world.custody, guild, subject_id="urn:uuid:missing", comment="x", at=T0)


def test_endorse_self_or_empty_comment_invalid(world: World) -> None:
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidInput):
        endorse(uow, world.custody, world.org, subject_id=world.org.did, comment="me", at=T0)
    guild, _ = _second_org(world)
    with pytest.raises(InvalidInput):
        endorse(uow, world.custody, guild, subject_id=world.org.did, comment="  ", at=T0)
