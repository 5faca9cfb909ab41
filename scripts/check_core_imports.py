"""Prove the credstack core imports with the web and database stacks absent.

A meta-path finder makes ``fastapi``, ``starlette``, ``sqlalchemy``, ``alembic`` and
``uvicorn`` unimportable (as if not installed), then every core module is imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn")
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
    # the skills engine is a library too: frameworks, matching, gaps, planner, pathways, CLR
    "credstack.skills",
    "credstack.skills.matching",
    "credstack.skills.gap",
    "credstack.skills.planner",
    "credstack.skills.pathways",
    "credstack.skills.clr",
    "credstack.skills.service",
    # relevance: postings, mapping through the skills engine, figures, the sample
    "credstack.relevance",
    "credstack.relevance.sample",
    # exports of issued credentials (OB 2.0, ELM, CTDL, schema.org) are pure functions
    "credstack.exports",
    # issuer trust: registries, signed trust lists, accreditations, recognition
    "credstack.trust",
    # the EU standard-element check
    "credstack.quality",
]


class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        if fullname.split(".")[0] in FORBIDDEN:
            raise ModuleNotFoundError(f"No module named {fullname!r} (hidden by this check)")


sys.meta_path.insert(0, _Absent())
for name in CORE:
    importlib.import_module(name)
sys.stdout.write(f"ok: {len(CORE)} core modules import with {', '.join(FORBIDDEN)} absent\n")
