"""Deployment settings, read only by the entry points (CLI, server), from the environment.

* ``CREDSTACK_DATABASE_URL``: SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``);
  default ``sqlite:///<data dir>/credstack.db``.
* ``CREDSTACK_BASE_URL``: public origin of this deployment (did:web, status lists);
  default ``https://localhost:8443``.
* ``CREDSTACK_KEK``: key-encryption keys ``id:base64,…`` (the first one seals); default a key
  generated once into ``<data dir>/kek`` with mode 0600.
* ``CREDSTACK_DATA_DIR``: where the default database and key file live; default ``./.credstack``.
* ``CREDSTACK_SMTP_URL``: where learner e-mail goes, ``smtp://[user:password@]host[:port]
  ?from=badges@example.org[&starttls=0]``; default none (mail stays queued in the outbox).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from credstack.errors import ConfigurationError
from credstack.platform.keys import KeyEncryptionKeys
from credstack.platform.notify import SmtpMailer


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    base_url: str
    keks: KeyEncryptionKeys
    data_dir: Path
    smtp: SmtpMailer | None = None

    @property
    def host(self) -> str:
        """The did:web host (with port) of this deployment."""
        return urlsplit(self.base_url).netloc


def _load_or_create_kek(path: Path) -> KeyEncryptionKeys:
    if path.exists():
        return KeyEncryptionKeys.parse(path.read_text("utf-8").strip())
    keks = KeyEncryptionKeys.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(keks.describe() + "\n")
    return keks


def load_settings(
    *,
    database_url: str | None = None,
    base_url: str | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Settings from arguments, then the environment, then the defaults."""
    env = dict(os.environ) if environ is None else environ
    data_dir = Path(env.get("CREDSTACK_DATA_DIR", ".credstack"))
    url = (
        database_url
        or env.get("CREDSTACK_DATABASE_URL")
        or f"sqlite:///{data_dir / 'credstack.db'}"
    )
    base = (base_url or env.get("CREDSTACK_BASE_URL") or "https://localhost:8443").rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigurationError(
            f"CREDSTACK_BASE_URL {base!r} must be an origin like https://host[:port]"
        )
    if "CREDSTACK_KEK" in env:
        keks = KeyEncryptionKeys.parse(env["CREDSTACK_KEK"])
    else:
        if url.startswith("sqlite:///"):
            data_dir.mkdir(parents=True, exist_ok=True)
        keks = _load_or_create_kek(data_dir / "kek")
    smtp = parse_smtp_url(env["CREDSTACK_SMTP_URL"]) if env.get("CREDSTACK_SMTP_URL") else None
    return Settings(database_url=url, base_url=base, keks=keks, data_dir=data_dir, smtp=smtp)


def parse_smtp_url(url: str) -> SmtpMailer:
    """``smtp://[user:password@]host[:port]?from=sender[&starttls=0]`` as a mailer."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    sender = (query.get("from") or [""])[0]
    if parts.scheme != "smtp" or not parts.hostname or "@" not in sender:
        raise ConfigurationError(
            "CREDSTACK_SMTP_URL must look like smtp://host:587?from=badges@example.org"
        )
    try:
        port = parts.port or 587
    except ValueError:
        raise ConfigurationError("CREDSTACK_SMTP_URL has an invalid port") from None
    return SmtpMailer(
        host=parts.hostname,
        port=port,
        sender=sender,
        starttls=(query.get("starttls") or ["1"])[0] not in ("0", "false", "no"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
