"""E-mail to learners: a claim link for every credential issued to an e-mail address.

Mail goes through a transactional outbox: :func:`record_claim` writes the claim and the message
in the issuing unit of work, and :func:`deliver_outbox` sends what is pending after that
commits.  A failed send stays in the outbox (attempt count, last error) and is tried again on
the next delivery, so an SMTP outage never loses a message nor fails an issuance.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import secrets
import smtplib
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from credstack.errors import CredstackError, InvalidInput, Unavailable
from credstack.platform.domain import Claim, IssuedCredential, OutboxMessage
from credstack.platform.ports import UnitOfWork

log = logging.getLogger("credstack.mail")

CLAIM_LIFETIME = timedelta(days=30)
MAX_ATTEMPTS = 20
_MAX_ERROR = 500


class Mailer(Protocol):
    """Sends one message; raises :class:`~credstack.errors.Unavailable` when it cannot."""

    def send(self, message: OutboxMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    """SMTP submission with the standard library (RFC 5321; STARTTLS per RFC 3207)."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    def compose(self, message: OutboxMessage) -> EmailMessage:
        """The MIME message: plain text with an HTML alternative."""
        mime = EmailMessage()
        mime["From"] = self.sender
        mime["To"] = message.recipient
        mime["Subject"] = message.subject
        mime["Message-ID"] = f"<{message.id}@credstack>"
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        return mime

    def send(self, message: OutboxMessage) -> None:
        try:
            mime = self.compose(message)
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mime)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise Unavailable(f"mail to {message.recipient} not sent: {exc}") from exc


def hash_token(token: str) -> str:
    """How a claim token is stored: SHA-256 hex (the token has 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def claim_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/claim/{token}"


def _summary(issued: IssuedCredential) -> tuple[str, str]:
    """The achievement name and issuer name of a stored credential."""
    try:
        credential: dict[str, Any] = json.loads(issued.credential_json)
        achievement = str(credential["credentialSubject"]["achievement"]["name"])
        issuer = credential["issuer"]
        issuer_name = str(
            issuer.get("name", issuer.get("id")) if isinstance(issuer, dict) else issuer
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"credential {issued.id} has no achievement or issuer name") from exc
    return achievement, issuer_name


def claim_message(
    *, recipient: str, achievement: str, issuer: str, link: str, at: datetime
) -> OutboxMessage:
    """The "you have received" e-mail; every user-supplied string is escaped in the HTML."""
    subject = f"You have received {achievement} from {issuer}"
    subject = " ".join(subject.split())  # no header injection through line breaks
    text = (
        f"{subject}.\n\n"
        f"Claim your credential (link valid for {CLAIM_LIFETIME.days} days, usable once):\n"
        f"{link}\n"
    )
    e = html.escape
    body = (
        "<!doctype html><html><body>"
        f"<p>You have received <strong>{e(achievement)}</strong> from {e(issuer)}.</p>"
        f'<p><a href="{e(link, quote=True)}">Claim your credential</a> '
        f"(valid for {CLAIM_LIFETIME.days} days, usable once).</p>"
        "</body></html>"
    )
    return OutboxMessage(
        id=str(uuid.uuid4()),
        recipient=recipient,
        subject=subject,
        text=text,
        html=body,
        created_at=at,
    )


def record_claim(
    uow: UnitOfWork,
    issued: IssuedCredential,
    email: str,
    base_url: str,
    at: datetime,
    *,
    achievement: str | None = None,
    issuer: str | None = None,
) -> str:
    """Create the claim of a credential issued to ``email`` and queue its e-mail, in ``uow``.
    Returns the claim token (it is stored only hashed, and mailed).  ``achievement`` and
    ``issuer`` (names) are read from the credential when not given."""
    if achievement is None or issuer is None:
        achievement, issuer = _summary(issued)
    return record_claims(
        uow, [(issued, email)], base_url, at, achievement=achievement, issuer=issuer
    )[0]


def record_claims(
    uow: UnitOfWork,
    issued: Sequence[tuple[IssuedCredential, str]],
    base_url: str,
    at: datetime,
    *,
    achievement: str,
    issuer: str,
) -> list[str]:
    """:func:`record_claim` for a batch of (credential, e-mail) of one achievement and issuer,
    written with one insert per table."""
    tokens: list[str] = []
    claims: list[Claim] = []
    messages: list[OutboxMessage] = []
    for credential, email in issued:
        token = secrets.token_urlsafe(32)
        tokens.append(token)
        claims.append(
            Claim(
                token_hash=hash_token(token),
                credential_id=credential.id,
                created_at=at,
                expires_at=at + CLAIM_LIFETIME,
            )
        )
        messages.append(
            claim_message(
                recipient=email,
                achievement=achievement,
                issuer=issuer,
                link=claim_url(base_url, token),
                at=at,
            )
        )
    uow.claims.add_many(claims)
    uow.outbox.add_many(messages)
    return tokens


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int


def deliver_outbox(
    mailer: Mailer,
    unit_of_work: Callable[[], UnitOfWork],
    *,
    clock: Callable[[], datetime],
    limit: int = 100,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryReport:
    """Send pending outbox messages (after the transactions that wrote them committed).

    Each outcome is committed on its own: a sent message is marked sent (its bodies cleared,
    they may hold a claim link); a failed one keeps its bodies, counts the attempt and
    records the error, and is tried again by a later call."""
    reader = unit_of_work()
    try:
        pending = reader.outbox.pending(limit=limit, max_attempts=max_attempts)
    finally:
        reader.rollback()
    sent = failed = 0
    for message in pending:
        error: str | None = None
        try:
            mailer.send(message)
        except CredstackError as exc:
            error = exc.message[:_MAX_ERROR]
        at = clock()
        attempt = replace(message, attempts=message.attempts + 1, last_attempt_at=at)
        if error is None:
            attempt = replace(attempt, sent_at=at, text="", html="", last_error=None)
            sent += 1
        else:
            attempt = replace(attempt, last_error=error)
            failed += 1
            log.warning("mail %s not sent (attempt %d): %s", message.id, attempt.attempts, error)
        uow = unit_of_work()
        try:
            uow.outbox.update(attempt)
            uow.commit()
        except CredstackError:
            uow.rollback()
            raise
    return DeliveryReport(sent=sent, failed=failed)


def deliver_all(
    mailer: Mailer,
    unit_of_work: Callable[[], UnitOfWork],
    *,
    clock: Callable[[], datetime],
    at_least: int = 0,
    batch: int = 500,
) -> DeliveryReport:
    """Deliver in batches until the outbox has nothing left to send now (failed messages stay
    for a later retry); bounded so a failing server cannot keep it looping."""
    sent = failed = 0
    for _ in range(at_least // batch + 2):
        report = deliver_outbox(mailer, unit_of_work, clock=clock, limit=batch)
        sent, failed = sent + report.sent, failed + report.failed
        if report.sent + report.failed < batch:
            break
    return DeliveryReport(sent, failed)
