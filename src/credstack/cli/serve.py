"""``credstack serve``: the platform over HTTPS (uvicorn), with an optional demo deployment.

TLS is on by default (did:web and the Open Badges API require https).  Without
``--tls-cert/--tls-key`` a local certificate authority and a server certificate for the
base URL's host are made once in the data folder; point clients at ``<data dir>/tls/ca.pem``.
With ``--anchor-rpc`` and ``--anchor-key`` the upkeep thread anchors the transparency log's
tree heads on that chain every ``--anchor-every`` seconds at most (extra ``credstack[anchor]``).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from credstack.config import Settings, load_settings
from credstack.errors import ConfigurationError
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import Role
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody
from credstack.platform.organisations import create_organisation
from credstack.platform.translog import Anchoring

DEFAULT_ANCHOR_EVERY_S = 3600

DEMO_PASSWORD = "demo-password-change-me"  # noqa: S105 - printed demo credential, local only


def _now() -> datetime:
    return datetime.now(UTC)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def ensure_local_tls(folder: Path, host: str, *, at: datetime) -> tuple[Path, Path, Path]:
    """A local CA and a server certificate for ``host`` (made once); returns (ca, cert, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    if ca_path.exists() and cert_path.exists() and key_path.exists():
        return ca_path, cert_path, key_path
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "credstack local CA")])
    start, end = at - timedelta(minutes=5), at + timedelta(days=825)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host), x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    _write_private(
        key_path,
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return ca_path, cert_path, key_path


DEMO_ACHIEVEMENTS: list[dict[str, Any]] = [
    {
        "name": "Data Analysis with Python",
        "description": "Cleans, analyses and visualises tabular data with Python; reports results.",
        "learning_outcomes": [
            {"text": "Clean and reshape tabular data with pandas"},
            {"text": "Choose and compute descriptive statistics"},
        ],
        "ects": 3,
        "workload_hours": 75,
        "eqf_level": 6,
        "language": "en",
        "participation_form": "online",
        "assessment_types": ["application-of-skill"],
        "skills": [
            {
                "url": "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
                "name": "perform data analysis",
                "framework": "ESCO v1.2",
                "code": "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
            },
            {
                "url": "http://data.europa.eu/esco/skill/7ee4c2ea-b349-4bd2-81a3-ec31475d4833",
                "name": "statistics",
                "framework": "ESCO v1.2",
                "code": "7ee4c2ea-b349-4bd2-81a3-ec31475d4833",
            },
        ],
    },
    {
        "name": "Big Data Foundations",
        "description": "Explains and applies the basics of distributed data processing.",
        "criteria_narrative": "Pass the supervised online exam.",
        "ects": 2,
        "eqf_level": 5,
        "language": "en",
        "supervision": "supervised-with-id-online",
        "skills": [
            {
                "url": "http://data.europa.eu/esco/skill/47a49cd6-097d-457a-9f7b-c290c14930d5",
                "name": "analyse big data",
                "framework": "ESCO v1.2",
                "code": "47a49cd6-097d-457a-9f7b-c290c14930d5",
            },
        ],
    },
]
DEMO_LEARNERS = ["ana@learners.example", "ben@learners.example", "chloe@learners.example"]


def seed_demo(settings: Settings, database: Any, custody: KeyCustody) -> dict[str, Any] | None:
    """A demo organisation, two published achievements, three learners' credentials and an
    owner account; nothing when the database already has organisations."""
    from credstack.platform.accounts import add_member, create_user, default_hasher

    uow = database.unit_of_work()
    try:
        if uow.organisations.list():
            uow.rollback()
            return None
        at = _now()
        org = create_organisation(
            uow,
            custody,
            host=settings.host,
            slug="demo-university",
            name="Demo University of Applied Sciences",
            at=at,
            url="https://university.example",
            email="badges@university.example",
            country="NL",
        )
        issuer = Issuer(uow, custody, org, settings.base_url)
        issued = []
        for design in DEMO_ACHIEVEMENTS:
            draft = create_achievement(uow, org, design, base_url=settings.base_url, at=at)
            version = publish(uow, org, draft.id, at=at)
            for email in DEMO_LEARNERS:
                issued.append(issuer.issue(version, IssueRequest(email=email), at=at).id)
        create_user(
            uow,
            email="owner@university.example",
            password=DEMO_PASSWORD,
            at=at,
            hasher=default_hasher(),
        )
        add_member(uow, org, email="owner@university.example", role=Role.OWNER)
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    return {
        "organisation": org.slug,
        "did": org.did,
        "credentials": issued,
        "login": {"email": "owner@university.example", "password": DEMO_PASSWORD},
    }


def anchoring_from_args(args: argparse.Namespace) -> Anchoring | None:
    """The anchoring configuration of ``--anchor-rpc/--anchor-key/--anchor-every`` (None
    without them); the key file is read now, so a bad one stops the server before it starts."""
    rpc, key = getattr(args, "anchor_rpc", None), getattr(args, "anchor_key", None)
    if rpc is None and key is None:
        return None
    if not rpc or not key:
        raise ConfigurationError("--anchor-rpc and --anchor-key go together")
    every = getattr(args, "anchor_every", DEFAULT_ANCHOR_EVERY_S)
    if not isinstance(every, int) or not 1 <= every <= 366 * 86400:
        raise ConfigurationError("--anchor-every is a number of seconds from 1 to one year")
    from credstack.log.anchor import rpc_anchorer

    return Anchoring(rpc_anchorer(rpc, key), timedelta(seconds=every))


def cmd_serve(args: argparse.Namespace) -> int:
    from credstack.api import routes_ob, routes_obclient, routes_skills
    from credstack.api.app import create_app
    from credstack.api.maintenance import Maintenance, resume_jobs
    from credstack.platform.platform_identity import ensure_platform_key
    from credstack.skills.service import SkillsService
    from credstack.storage.oauth_sql import SqlOAuthStore
    from credstack.storage.obclient_sql import SqlObConnectionStore
    from credstack.storage.session import SqlDatabase

    anchoring = anchoring_from_args(args)
    base_url = args.base_url or (f"https://{args.public_host or 'localhost'}:{args.port}")
    settings = load_settings(database_url=args.database_url, base_url=base_url)
    database = SqlDatabase(settings.database_url)
    database.migrate()
    custody = KeyCustody(settings.keks)
    with database.unit_of_work() as uow:  # the platform's did:web:<host> key, made once
        ensure_platform_key(uow, custody, urlsplit(settings.base_url).netloc, at=_now())
        uow.commit()
    if args.demo:
        seeded = seed_demo(settings, database, custody)
        if seeded is not None:
            sys.stderr.write("demo deployment created:\n" + json.dumps(seeded, indent=2) + "\n")
    cert: Path | None
    key: Path | None
    if args.tls_cert and args.tls_key:
        cert, key = Path(args.tls_cert), Path(args.tls_key)
    elif args.no_tls:
        cert = key = None
    else:
        ca, cert, key = ensure_local_tls(
            settings.data_dir / "tls", urlsplit(base_url).hostname or "localhost", at=_now()
        )
        sys.stderr.write(
            f"TLS: local CA at {ca} (curl --cacert {ca} {base_url}/orgs/.../did.json)\n"
        )
    app = create_app(
        database=database,
        custody=custody,
        base_url=settings.base_url,
        clock=_now,
        mailer=settings.smtp,
        anchoring=anchoring,
    )
    routes_ob.configure(app, store=SqlOAuthStore(database))
    routes_obclient.configure(app, store=SqlObConnectionStore(database, settings.keks))
    routes_skills.configure(app, SkillsService(cache_dir=settings.data_dir / "skills-index"))
    if args.pathways:
        from credstack.web.wallet_pathways import configure_pathways, load_pathways

        configure_pathways(app, load_pathways(args.pathways))
    resumed = resume_jobs(app)
    if resumed:
        sys.stderr.write(f"resuming {len(resumed)} unfinished bulk job(s)\n")
    upkeep = Maintenance(app, interval=60.0)  # e-mail retries, expired OAuth grants, anchors
    upkeep.start()
    sys.stderr.write(f"credstack serving {settings.base_url} (database {settings.database_url})\n")
    try:
        _serve(app, args, cert, key)
    finally:
        upkeep.stop()
    return 0


def _serve(app: Any, args: argparse.Namespace, cert: Path | None, key: Path | None) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
    )


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the platform (HTTPS API)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--database-url", help="default: CREDSTACK_DATABASE_URL or SQLite")
    serve.add_argument("--base-url", help="public origin (default: https://<public host>:<port>)")
    serve.add_argument(
        "--public-host", help="host name in the default base URL (default localhost)"
    )
    serve.add_argument("--tls-cert", help="PEM certificate (default: a local CA's, made once)")
    serve.add_argument("--tls-key", help="PEM private key")
    serve.add_argument("--no-tls", action="store_true", help="plain HTTP (behind a TLS proxy)")
    serve.add_argument("--demo", action="store_true", help="seed a demo organisation when empty")
    serve.add_argument(
        "--anchor-rpc", metavar="URL", help="anchor the log on this Ethereum JSON-RPC endpoint"
    )
    serve.add_argument(
        "--anchor-key",
        metavar="FILE",
        help="file holding the anchoring account's private key (64 hex digits); keep it secret",
    )
    serve.add_argument(
        "--anchor-every",
        type=int,
        default=DEFAULT_ANCHOR_EVERY_S,
        metavar="SECONDS",
        help=f"at least this long between two anchors (default {DEFAULT_ANCHOR_EVERY_S})",
    )
    serve.add_argument(
        "--pathways",
        metavar="DIR",
        help="folder of pathway rule files (*.json, docs/pathways.md) the wallet tracks",
    )
    serve.set_defaults(func=cmd_serve)
