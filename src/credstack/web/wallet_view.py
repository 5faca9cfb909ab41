"""What the wallet pages show of a held credential: its badge image (when safe to show), its
verdict, and the plain explanation of each visibility."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from credstack.platform.wallet import Visibility, WalletItem
from credstack.web.wallet_verify import Checked

__all__ = ["VISIBILITY", "ItemRow", "badge_src"]

#: a badge image shown inline: a base64 data: URI of an image type, at most this long
MAX_DATA_URI = 3 * 1_048_576
_DATA_URI = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+=*\Z")

#: each visibility, with what it means for the learner
VISIBILITY: tuple[tuple[Visibility, str, str], ...] = (
    (
        Visibility.PUBLIC,
        "Public",
        "Shown on your public portfolio page and to anyone with its link. Employers who search "
        "by skills can find it if you let them.",
    ),
    (
        Visibility.LINK,
        "Anyone with the link",
        "Not listed on your portfolio; only people you send its share link to can see it.",
    ),
    (
        Visibility.PRIVATE,
        "Private",
        "Only you can see it. Its share link, if you sent one before, now says the owner "
        "withheld it.",
    ),
)
LABELS = {value: label for value, label, _ in VISIBILITY}


def _achievement(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    return achievement if isinstance(achievement, Mapping) else {}


def badge_src(credential: Mapping[str, Any], base_url: str) -> str | None:
    """The achievement's image when it is a data: image or on this site; otherwise None (the
    page shows a neutral placeholder: another site's image would track the learner)."""
    image = _achievement(credential).get("image")
    url = image.get("id") if isinstance(image, Mapping) else image
    if not isinstance(url, str):
        return None
    if url.startswith("data:"):
        return url if len(url) <= MAX_DATA_URI and _DATA_URI.match(url) else None
    origin = base_url.rstrip("/") + "/"
    if url.startswith(origin) and not any(ord(c) < 0x21 for c in url):
        return url
    return None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A held credential as a list or detail page shows it."""

    item: WalletItem
    checked: Checked
    image: str | None

    @property
    def visibility_label(self) -> str:
        return LABELS[self.item.visibility]
