"""A stand-in for the skills matcher: keywords to skills, counting every call."""

from __future__ import annotations

from credstack.skills.matching import Match, MatchResult

SKILLS = {
    "python": ("urn:skill:python", "use Python"),
    "sql": ("urn:skill:sql", "SQL"),
    "cobol": ("urn:skill:cobol", "COBOL"),
    "docker": ("urn:skill:docker", "use Docker"),
    "excel": ("urn:skill:excel", "use spreadsheets software"),
    "weak": ("urn:skill:weak", "a weak guess"),
}


class FakeMatcher:
    """Finds a skill when its keyword is in the text (``weak`` scores under the floor)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def match(self, text: str, *, top: int = 10) -> MatchResult:
        self.calls.append(text)
        words = text.lower()
        found = [
            Match(uri, label, 0.5 if key == "weak" else 0.9, [key])
            for key, (uri, label) in SKILLS.items()
            if key in words
        ]
        return MatchResult(found[:top], None if found else "low confidence")
