"""A learner's public credentials as a JSON Resume (schema v1.0.0) document.

Only ``basics`` (name, headline, portfolio address) and ``certificates`` (one entry per public
credential: name, date, issuer, url of its public page) are filled: everything else in a
résumé is the learner's to write.  https://jsonresume.org/schema
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from credstack.platform.wallet import PortfolioProfile, WalletItem

__all__ = ["SCHEMA", "json_resume"]

SCHEMA = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"


def json_resume(
    profile: PortfolioProfile,
    items: Sequence[WalletItem],
    *,
    base_url: str,
    at: datetime,
) -> dict[str, Any]:
    """The résumé of ``profile`` listing ``items`` (the caller passes public items only)."""
    base = base_url.rstrip("/")
    basics: dict[str, Any] = {"name": profile.display_name, "url": f"{base}/u/{profile.handle}"}
    if profile.headline:
        basics["label"] = profile.headline
    certificates = []
    for item in items:
        entry: dict[str, str] = {"name": item.achievement_name, "issuer": item.issuer_name}
        if item.issued_at is not None:
            entry["date"] = item.issued_at.date().isoformat()
        entry["url"] = f"{base}/c/{item.share_code}"
        certificates.append(entry)
    moments = [i.added_at for i in items] + ([profile.updated_at] if profile.updated_at else [])
    changed = max(moments, default=at)
    return {
        "$schema": SCHEMA,
        "basics": basics,
        "certificates": certificates,
        "meta": {
            "canonical": f"{base}/u/{profile.handle}/resume.json",
            "version": "v1.0.0",
            "lastModified": changed.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    }
