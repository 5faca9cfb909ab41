"""Stacking progress in the wallet: the deployment's pathways, fed the wallet's credentials.

Pathways are rule files (``docs/pathways.md``) the deployment configures with
:func:`configure_pathways` (for instance from a folder of rule files, :func:`load_pathways`).
Progress uses the skills layer as the JSON API's ``POST /pathways/progress`` does: the
credentials are verified first (offline, with this server's organisations and status lists)
and only those that verify and were issued to this learner count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from credstack.api.context import AppContext
from credstack.api.routes_vcapi import verifier_inputs
from credstack.errors import InvalidInput
from credstack.platform.wallet import WalletItem
from credstack.skills.pathways import (
    AllOf,
    AnyOf,
    AtLeast,
    Leaf,
    MinTotal,
    Node,
    Pathway,
    Progress,
    Rejected,
    load_pathway,
    progress,
    verify_credentials,
)
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = [
    "MAX_PATHWAY_CREDENTIALS",
    "WalletProgress",
    "configure_pathways",
    "configured_pathways",
    "load_pathways",
    "wallet_progress",
]

#: the most credentials verified for one progress page (those a pathway names come first)
MAX_PATHWAY_CREDENTIALS = 200
MAX_PATHWAYS = 100


def configure_pathways(app: FastAPI, pathways: Sequence[Pathway]) -> None:
    """The pathways the wallet shows progress towards."""
    if len(pathways) > MAX_PATHWAYS:
        raise InvalidInput(f"at most {MAX_PATHWAYS} pathways are shown in wallets")
    app.state.wallet_pathways = tuple(pathways)


def configured_pathways(app: FastAPI) -> tuple[Pathway, ...]:
    found = getattr(app.state, "wallet_pathways", ())
    return tuple(p for p in found if isinstance(p, Pathway))


def load_pathways(folder: str | Path) -> list[Pathway]:
    """Every ``*.json`` rule file of ``folder``, validated, in file-name order."""
    files = sorted(Path(folder).glob("*.json"))
    if len(files) > MAX_PATHWAYS:
        raise InvalidInput(f"{folder} holds more than {MAX_PATHWAYS} pathway rule files")
    return [load_pathway(f) for f in files]


def _counts_any(node: Node) -> bool:
    """Whether the rule counts credits of any achievement (then every credential matters)."""
    if isinstance(node, MinTotal):
        return node.achievements is None
    if isinstance(node, Leaf):
        return False
    assert isinstance(node, AllOf | AnyOf | AtLeast)
    return any(_counts_any(child) for child in node.children)


def _achievement_id(item: WalletItem) -> str | None:
    subject = item.credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    value = achievement.get("id") if isinstance(achievement, dict) else None
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class WalletProgress:
    """Progress on each pathway, the credentials that did not count (and why), and how many
    wallet credentials were left out (over the per-page bound)."""

    pathways: tuple[Progress, ...]
    rejected: tuple[Rejected, ...] = ()
    left_out: int = 0


def _relevant(pathways: Sequence[Pathway], items: Sequence[WalletItem]) -> list[WalletItem]:
    named = {a for p in pathways for a in p.achievements()}
    if any(_counts_any(p.rule) for p in pathways):
        first = [i for i in items if _achievement_id(i) in named]
        rest = [i for i in items if _achievement_id(i) not in named]
        return first + rest
    return [i for i in items if _achievement_id(i) in named]


def wallet_progress(
    ctx: AppContext,
    pathways: Sequence[Pathway],
    items: Sequence[WalletItem],
    *,
    recipient_did: str | None,
    recipient_email: str | None,
) -> WalletProgress:
    """Progress towards each pathway from the wallet's credentials that verify."""
    relevant = _relevant(pathways, items)
    chosen = relevant[:MAX_PATHWAY_CREDENTIALS]
    documents: list[dict[str, Any]] = [json.loads(i.credential_json) for i in chosen]
    with ctx.work() as uow:
        resolver, lists = verifier_inputs(ctx, uow, documents)
    at = ctx.clock()
    earned, rejected = verify_credentials(
        ((item.achievement_name, doc) for item, doc in zip(chosen, documents, strict=True)),
        at=at,
        verifier=Verifier(resolver),
        options=VerifyOptions(at=at, status_lists=lists),
        recipient_did=recipient_did,
        recipient_email=recipient_email,
    )
    found = tuple(progress(p, earned) for p in pathways)
    return WalletProgress(found, tuple(rejected), left_out=len(relevant) - len(chosen))
