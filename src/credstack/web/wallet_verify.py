"""Verifying wallet credentials when they are shown: one verdict word per credential.

Every credential is verified again each time a page shows it (a revocation shows up at once),
with the same inputs as the JSON API (:func:`credstack.api.routes_vcapi.verifier_inputs`: this
server's organisations, did:key, and this server's status lists; nothing is fetched).  The
inputs are gathered once for a whole page of credentials.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from credstack.api.context import AppContext
from credstack.api.routes_vcapi import MAX_STATUS_LISTS, status_urls, verifier_inputs
from credstack.verify.report import StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = ["Checked", "Verdict", "check_documents", "check_texts", "verdict_of"]


class Verdict(StrEnum):
    VALID = "Valid"
    REVOKED = "Revoked"
    SUSPENDED = "Suspended (can be lifted by the issuer)"
    EXPIRED = "Expired"
    NOT_VALID = "Not valid"

    @property
    def tone(self) -> str:
        """The CSS class of the status label (the word itself carries the meaning)."""
        if self is Verdict.VALID:
            return "ok"
        if self in (Verdict.EXPIRED, Verdict.SUSPENDED):
            return "warn"
        return "bad"


@dataclass(frozen=True, slots=True)
class Checked:
    """A credential's verdict and the report it came from."""

    verdict: Verdict
    report: VerificationReport

    @property
    def reason(self) -> str | None:
        """Why it is not valid, in the verifier's words (None when valid)."""
        failure = self.report.first_failure
        return None if failure is None else failure.message


def verdict_of(report: VerificationReport) -> Verdict:
    if report.verified:
        return Verdict.VALID
    failure = report.first_failure
    if failure is not None and failure.name is StepName.STATUS:
        if failure.code == "CREDENTIAL_REVOKED":
            return Verdict.REVOKED
        if failure.code == "CREDENTIAL_SUSPENDED":
            return Verdict.SUSPENDED
    if failure is not None and failure.code == "CREDENTIAL_EXPIRED":
        return Verdict.EXPIRED
    return Verdict.NOT_VALID


def _batches(documents: Sequence[Any]) -> list[tuple[list[int], set[str]]]:
    """Indexes of ``documents`` in groups whose status lists together stay within what
    :func:`verifier_inputs` gathers for one call (so no revocation goes unchecked), with
    each group's status-list URLs."""
    groups: list[tuple[list[int], set[str]]] = []
    for index, document in enumerate(documents):
        own: set[str] = set()
        status_urls(document, own)
        if groups and len(groups[-1][1] | own) <= MAX_STATUS_LISTS:
            groups[-1][0].append(index)
            groups[-1][1].update(own)
        else:
            groups.append(([index], own))
    return groups


def check_documents(ctx: AppContext, documents: Sequence[Any]) -> list[Checked]:
    """Verify each document (a credential as a dict), gathering the verifier's inputs once
    per batch of documents that share few enough status lists."""
    out: list[Checked | None] = [None] * len(documents)
    for group, urls in _batches(documents):
        wanted = {"credentialStatus": [{"statusListCredential": url} for url in sorted(urls)]}
        with ctx.work() as uow:
            resolver, lists = verifier_inputs(ctx, uow, wanted)
        verifier = Verifier(resolver)
        options = VerifyOptions(at=ctx.clock(), status_lists=lists)
        for index in group:
            report = verifier.verify(documents[index], options)
            out[index] = Checked(verdict_of(report), report)
    return [c for c in out if c is not None]


def check_texts(ctx: AppContext, texts: Sequence[str]) -> list[Checked]:
    """:func:`check_documents` over credentials kept as JSON text."""
    return check_documents(ctx, [json.loads(text) for text in texts])
