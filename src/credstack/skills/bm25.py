"""Lexical retrieval: a light English analyser and a BM25F index over skill fields.

BM25F (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond",
2009, §3.3): each field's term frequency is length-normalised and weighted, the sum goes
through one saturation ``tf / (k1 + tf)`` and is multiplied by the term's idf.  Every
(term, document) contribution is precomputed, so a query is one ``bincount``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["STOPWORDS", "Bm25Index", "analyse", "stem"]

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]

_TOKEN = re.compile(r"[a-z0-9]+(?:[+#]+|\.net)?|\.net")
STOPWORDS = frozenset(
    "a an the and or of to in on at for with by from as is are be been being was were this that "
    "these those it its into onto about over under than then so such via per e g i ie eg etc "
    "will can may must should would could you your we our us they their them he she his her "
    "who whom which what when where how why all any each other some no not only own same too "
    "very just also both either neither while whilst within without across up down out off "
    "do does did done has have had having i me my mine".split()
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light suffix stripper: plurals, -ing, -ed, -ment, -ly, final -e, doubled consonant."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss")):
        if word.endswith(suffix):
            word = word[: -len(suffix)] + replacement
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    for suffix in ("ments", "ment", "ings", "ing", "edly", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


def analyse(text: str) -> list[str]:
    """Lower-cased, accent-folded, stop-word-free, stemmed terms of a text."""
    return [stem(t) for t in _TOKEN.findall(_fold(text)) if t not in STOPWORDS]


def analyse_spans(text: str) -> list[tuple[str, int, int]]:
    """Terms with their character spans in ``text`` (for evidence phrases)."""
    folded = _fold(text)
    if len(folded) != len(text):  # folding changed lengths: fall back to per-word folding
        out: list[tuple[str, int, int]] = []
        for match in re.finditer(r"\S+", text):
            for term in analyse(match.group()):
                out.append((term, match.start(), match.end()))
        return out
    return [
        (stem(m.group()), m.start(), m.end())
        for m in _TOKEN.finditer(folded)
        if m.group() not in STOPWORDS
    ]


@dataclass
class Bm25Index:
    """Precomputed BM25F contributions, stored term-major (CSR)."""

    vocab: dict[str, int]
    idf: FloatArray
    indptr: npt.NDArray[np.int64]
    docs: IntArray
    weights: FloatArray
    n_docs: int

    @classmethod
    def build(
        cls,
        fields: Sequence[Sequence[str]],
        field_weights: Sequence[float],
        *,
        k1: float = 1.2,
        b: Sequence[float] | None = None,
    ) -> Bm25Index:
        """Index documents given as one text per field (``fields[f][doc]``)."""
        n_docs = len(fields[0])
        b_values = list(b) if b is not None else [0.75] * len(fields)
        analysed = [[analyse(text) for text in column] for column in fields]
        pseudo: list[dict[str, float]] = [{} for _ in range(n_docs)]
        for column, weight, bf in zip(analysed, field_weights, b_values, strict=True):
            lengths = [len(terms) for terms in column]
            average = (sum(lengths) / max(1, sum(1 for n in lengths if n))) or 1.0
            for doc, terms in enumerate(column):
                if not terms:
                    continue
                norm = 1.0 - bf + bf * len(terms) / average
                for term, count in Counter(terms).items():
                    pseudo[doc][term] = pseudo[doc].get(term, 0.0) + weight * count / norm
        postings: dict[str, list[tuple[int, float]]] = {}
        for doc, counter in enumerate(pseudo):
            for term, tf in counter.items():
                postings.setdefault(term, []).append((doc, tf))
        vocab = {term: i for i, term in enumerate(sorted(postings))}
        idf = np.zeros(len(vocab), dtype=np.float32)
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        docs: list[int] = []
        weights: list[float] = []
        for term, index in vocab.items():
            plist = postings[term]
            df = len(plist)
            term_idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
            idf[index] = term_idf
            for doc, tf in plist:
                docs.append(doc)
                weights.append(term_idf * tf / (k1 + tf))
            indptr[index + 1] = len(docs)
        return cls(
            vocab,
            idf,
            indptr,
            np.asarray(docs, dtype=np.int32),
            np.asarray(weights, dtype=np.float32),
            n_docs,
        )

    def term_ids(self, terms: Sequence[str]) -> list[int]:
        """Known term ids of analysed terms (unknown terms dropped, duplicates kept once)."""
        return list(dict.fromkeys(self.vocab[t] for t in terms if t in self.vocab))

    def scores(self, term_ids: Sequence[int]) -> FloatArray:
        """BM25F score of every document for a query of term ids."""
        if not term_ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        slices = [slice(int(self.indptr[t]), int(self.indptr[t + 1])) for t in term_ids]
        docs = np.concatenate([self.docs[s] for s in slices])
        weights = np.concatenate([self.weights[s] for s in slices])
        result: FloatArray = np.bincount(docs, weights=weights, minlength=self.n_docs).astype(
            np.float32
        )
        return result

    def query_mass(self, term_ids: Sequence[int]) -> float:
        """The sum of the query terms' idf: an upper bound of any document's score."""
        return float(self.idf[list(term_ids)].sum()) if term_ids else 0.0
