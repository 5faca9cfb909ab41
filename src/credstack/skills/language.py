"""A cheap guess of whether a text is English, for the English-only skills index.

Counts function words of English and of common European languages, and letters outside the
Latin script.  No model, no network; good enough to refuse French or German text honestly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["LanguageGuess", "guess_language"]

_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)

_STOPWORDS: dict[str, frozenset[str]] = {
    "English": frozenset(
        "the and of to in is for with on that this are as be by an or from at will you your "
        "we our their it have has which can using how who what into about these those they "
        "its not".split()
    ),
    "French": frozenset(
        "le la les des du et est une pour avec dans sur qui que pas nous vous sont aux cette "
        "ces leur leurs être été ou au par plus votre vos nos sera".split()
    ),
    "German": frozenset(
        "der die das und ist nicht mit für auf den dem des ein eine einer einen zu von sich "
        "auch wir sie werden bei oder nach im wie über sind unsere ihre wird".split()
    ),
    "Spanish": frozenset(
        "el los las del y es una por con para que se su sus al lo como más está son "
        "nuestro nuestra".split()
    ),
    "Italian": frozenset(
        "il di che è per una della delle dei con non sono gli nel alla nella questo questa".split()
    ),
    "Portuguese": frozenset(
        "os da do das dos em um uma não com para é são pelo pela nosso nossa".split()
    ),
    "Dutch": frozenset("het een en van niet op zijn voor met dat wordt ook naar bij je".split()),
}


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """``language`` is the best guess, ``confident`` when the evidence is clear."""

    language: str
    confident: bool
    non_latin_share: float


def guess_language(text: str, *, sample_chars: int = 20_000) -> LanguageGuess:
    """Guess the language of ``text`` from function words and scripts (first ``sample_chars``)."""
    sample = text[:sample_chars]
    letters = [c for c in sample if c.isalpha()]
    if letters:
        foreign = sum(1 for c in letters if not unicodedata.name(c, "").startswith("LATIN"))
        share = foreign / len(letters)
        if share > 0.5:
            return LanguageGuess("non-Latin script", share > 0.5, share)
    else:
        share = 0.0
    words = [w.lower() for w in _WORDS.findall(sample)]
    counts = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOPWORDS.items()}
    english = counts.pop("English")
    other, hits = max(counts.items(), key=lambda item: item[1])
    if hits >= 2 and hits > 2 * english:
        return LanguageGuess(other, hits >= 3 or english == 0, share)
    return LanguageGuess("English", True, share)
