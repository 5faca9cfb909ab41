"""Fail if importing the credstack core pulls in a web framework or a database layer."""

from __future__ import annotations

import importlib
import sys

CORE = [
    "credstack",
    "credstack.crypto.keys",
    "credstack.proofs.dataintegrity",
    "credstack.proofs.jose",
    "credstack.models",
    "credstack.models.validate",
    "credstack.jsonld.rdf",
    "credstack.verify.verifier",
    "credstack.cli.main",
]
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn")

for name in CORE:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)
if loaded:
    sys.stderr.write(f"core imports pulled in: {', '.join(loaded)}\n")
    sys.exit(1)
sys.stdout.write(f"ok: {len(CORE)} core modules import without {', '.join(FORBIDDEN)}\n")
