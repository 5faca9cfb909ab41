"""Text → ranked framework skills, with the phrases of the text that matched.

Hybrid retrieval, fully offline.  The text is cut into segments (sentences, and the clauses
of long sentences; a short text is also kept whole, as one unit); each segment is scored
against every skill by four signals:

- ``cos``: the best cosine between the segment's embedding and the skill's names (label and
  alternative labels; static model2vec by default, int8 MiniLM with ``quality``);
- ``desc``: the cosine between the segment's embedding and the skill's description;
- ``lex``: BM25F over label, alternative labels and description, relative to the best skill
  (or to a share of the query's idf mass when nothing matches well), so it lies in 0..1;
- ``cover``: how much of one of the skill's names (label or alternative label) the segment
  contains, idf-weighted.

The score is a weighted sum of the four (each in 0..1, weights summing to 1, so the score is
too), tuned per option on a development sample that the benchmark's evaluation and held-out
figures never use.  A skill's score is its best segment's; the evidence is that segment,
narrowed to the words that matched.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from credstack.errors import InvalidInput
from credstack.skills.bm25 import Bm25Index, analyse, analyse_spans
from credstack.skills.embed import Embedder, OnnxMiniLM, StaticEmbedder
from credstack.skills.framework import Framework
from credstack.skills.language import guess_language

__all__ = [
    "ALL_FIELDS",
    "MAX_TEXT_CHARS",
    "Match",
    "MatchResult",
    "MatchStats",
    "Quality",
    "SkillMatcher",
    "Weights",
]

Quality = Literal["fast", "quality"]
Field = Literal["label", "alt_labels", "description"]
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

CODE_VERSION = "skills-matcher-1"
MAX_TEXT_CHARS = 100_000
ALL_FIELDS: frozenset[Field] = frozenset({"label", "alt_labels", "description"})
LOW_CONFIDENCE = 0.35
_CANDIDATES = 200
_BATCH = 64
_SHORT_WORDS = 12
_WHOLE_WORDS = 80
_SENTENCE = re.compile(r"(?<=[.!?])\s+|[\n\r;•·▪●■◦]+|\s[-–—*]\s|\t+")
_CLAUSE = re.compile(r",\s*|\s+(?:and|or|as well as|including|such as)\s+|[:()\[\]]")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Weights:
    """Fusion weights (summing to 1) and the cosine floor mapped to 0."""

    cos: float = 0.5
    lex: float = 0.15
    cover: float = 0.35
    cos_floor: float = 0.25
    name_mass: float = 4.0
    """Names whose idf mass is below this count proportionally less (single common words)."""
    lex_floor: float = 0.25
    """BM25F is relative to the best skill, but never to less than this share of the query's
    idf mass (so a text that matches nothing well gets no full lexical score)."""
    clause_weight: float = 1.0
    """Scale of the scores of clauses (parts of long sentences) against whole sentences."""
    desc: float = 0.0
    """Weight of the cosine with the skill's description (``cos`` covers its names)."""
    cos_with_description: bool = False
    """``cos`` is the best cosine over the names and the description (not the names only)."""


#: tuned per option on the development split of benchmarks/skills/matching.py (``--tune``)
DEFAULT_WEIGHTS = {
    "fast": Weights(
        cos=0.5, lex=0.3, cover=0.2, cos_floor=0.0, name_mass=4.0, lex_floor=0.1,
        clause_weight=0.8, desc=0.0, cos_with_description=True,
    ),
    "quality": Weights(
        cos=0.6, lex=0.1, cover=0.0, cos_floor=0.0, name_mass=4.0, lex_floor=0.1,
        clause_weight=0.8, desc=0.3,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Match:
    """A framework skill, its score in 0..1 and the phrases of the text that matched it."""

    uri: str
    label: str
    score: float
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"uri", "label", "score", "evidence"}``."""
        return {
            "uri": self.uri,
            "label": self.label,
            "score": round(self.score, 4),
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Best matches first; ``notice`` explains an empty or low-confidence answer."""

    matches: list[Match]
    notice: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"matches": [...], "notice"?: ...}``."""
        out: dict[str, Any] = {"matches": [m.to_json() for m in self.matches]}
        if self.notice:
            out["notice"] = self.notice
        return out


@dataclass(frozen=True, slots=True)
class MatchStats:
    """How the index was obtained: ``loaded_from_cache`` and where, and its shape."""

    loaded_from_cache: bool
    cache_file: Path | None
    skills: int
    units: int
    names: int
    key: str
    rebuilt_corrupt_cache: bool = False


# ------------------------------------------------------------------------------ segmentation


@dataclass(frozen=True, slots=True)
class _Segment:
    text: str
    start: int
    clause: bool = False


def _segments(text: str) -> list[_Segment]:
    """The whole of a short text, its sentences, and the clauses of its longer sentences."""
    out: list[_Segment] = []
    whole = text.strip()
    if whole and len(_WORD.findall(whole)) <= _WHOLE_WORDS:
        out.append(_Segment(whole, len(text) - len(text.lstrip())))
    position = 0
    for piece in _SENTENCE.split(text):
        start = text.find(piece, position)
        position = start + len(piece)
        stripped = piece.strip()
        if not stripped or not any(c.isalnum() for c in stripped):
            continue
        start += len(piece) - len(piece.lstrip())
        words = len(_WORD.findall(stripped))
        if words <= 40 and stripped != whole:
            out.append(_Segment(stripped, start))
        if words > _SHORT_WORDS:
            inner = 0
            for clause in _CLAUSE.split(stripped):
                if not clause.strip():
                    continue
                offset = stripped.find(clause, inner)
                inner = offset + len(clause)
                clean = clause.strip()
                if any(c.isalnum() for c in clean):
                    lead = len(clause) - len(clause.lstrip())
                    out.extend(_windows(clean, start + offset + lead))
    return out


def _windows(clause: str, start: int, size: int = 25) -> list[_Segment]:
    """A clause as one segment, or as windows of ``size`` words when it is very long."""
    words = list(_WORD.finditer(clause))
    if len(words) <= 40:
        return [_Segment(clause, start, clause=True)]
    out: list[_Segment] = []
    for first in range(0, len(words), size):
        chunk = words[first : first + size]
        begin, end = chunk[0].start(), chunk[-1].end()
        out.append(_Segment(clause[begin:end], start + begin, clause=True))
    return out


def _evidence(segment: _Segment, terms: set[str]) -> str:
    """The segment narrowed to the span of words whose terms belong to the skill's names."""
    spans = [(s, e) for term, s, e in analyse_spans(segment.text) if term in terms]
    if not spans:
        return segment.text if len(segment.text) <= 200 else segment.text[:200].rsplit(" ", 1)[0]
    # cluster spans at most three words apart (not across punctuation); keep the largest
    clusters: list[list[tuple[int, int]]] = [[spans[0]]]
    for span in spans[1:]:
        gap = segment.text[clusters[-1][-1][1] : span[0]]
        if len(_WORD.findall(gap)) <= 3 and not any(c in gap for c in ",;:()"):
            clusters[-1].append(span)
        else:
            clusters.append([span])
    best = max(clusters, key=len)
    start, end = best[0][0], best[-1][1]
    while end < len(segment.text) and segment.text[end].isalnum():
        end += 1
    while start > 0 and segment.text[start - 1].isalnum():
        start -= 1
    return segment.text[start:end]


# ------------------------------------------------------------------------------ the matcher


def _skill_texts(
    framework: Framework, fields: frozenset[Field]
) -> tuple[list[str], list[list[str]], list[list[str]], list[list[str]]]:
    """URIs, and per skill its unit texts (embedded), its names (coverage), its BM25 fields."""
    uris = sorted(framework.skills)
    units: list[list[str]] = []
    names: list[list[str]] = []
    columns: list[list[str]] = [[], [], [], []]
    for uri in uris:
        skill = framework.skills[uri]
        alts = list(skill.alt_labels) if "alt_labels" in fields else []
        unsplit = skill.alt_labels_unsplit if "alt_labels" in fields else ""
        description = skill.description if "description" in fields else ""
        skill_names = list(dict.fromkeys([skill.label, *alts]))
        names.append(skill_names)
        units.append(skill_names + ([description] if description else []))
        columns[0].append(skill.label)
        columns[1].append(" \n ".join(alts))
        columns[2].append(unsplit)
        columns[3].append(description)
    return uris, units, names, columns


def _embedder(quality: Quality) -> Embedder:
    if quality == "quality":
        return OnnxMiniLM()
    if quality == "fast":
        return StaticEmbedder()
    raise InvalidInput(f"quality must be 'fast' or 'quality', not {quality!r}")


class SkillMatcher:
    """Hybrid BM25F + embedding matcher over one framework."""

    FIELD_WEIGHTS = (3.0, 2.0, 1.0, 0.6)  # label, alt labels, unsplit alt labels, description

    def __init__(
        self,
        framework: Framework,
        embedder: Embedder,
        arrays: dict[str, npt.NDArray[Any]],
        stats: MatchStats,
        weights: Weights,
    ) -> None:
        self.framework = framework
        self.embedder = embedder
        self.stats = stats
        self.weights = weights
        self.uris: list[str] = [str(u) for u in arrays["uris"]]
        self.units: FloatArray = arrays["units"].astype(np.float32)
        self.unit_starts: IntArray = arrays["unit_starts"].astype(np.int64)
        # each skill's units are its names, then its description when it has one
        self.unit_counts: IntArray = np.diff(np.append(self.unit_starts, len(self.units)))
        name_starts = arrays["name_starts"].astype(np.int64)
        self.name_counts: IntArray = np.diff(np.append(name_starts, len(arrays["name_factor"])))
        self.descriptions: FloatArray = np.where(
            (self.unit_counts > self.name_counts)[:, None],
            self.units[np.minimum(self.unit_starts + self.name_counts, len(self.units) - 1)],
            0.0,
        ).astype(np.float32)
        self.labels: FloatArray = np.ascontiguousarray(self.units[self.unit_starts])
        self.centroids: FloatArray = _centroids(self.units, self.unit_starts, self.unit_counts)
        self.name_centroids: FloatArray = _centroids(self.units, self.unit_starts, self.name_counts)
        self.bm25 = Bm25Index(
            vocab={str(t): i for i, t in enumerate(arrays["vocab"])},
            idf=arrays["idf"].astype(np.float32),
            indptr=arrays["indptr"].astype(np.int64),
            docs=arrays["docs"].astype(np.int32),
            weights=arrays["bm25_weights"].astype(np.float32),
            n_docs=len(self.uris),
        )
        self.name_indptr: IntArray = arrays["name_indptr"].astype(np.int64)
        self.name_docs: npt.NDArray[np.int32] = arrays["name_docs"].astype(np.int32)
        self.name_idf: FloatArray = arrays["name_idf"].astype(np.float32)
        self.name_factor: FloatArray = arrays["name_factor"].astype(np.float32)
        self.name_starts: IntArray = arrays["name_starts"].astype(np.int64)
        counts = np.diff(np.append(self.name_starts, len(arrays["name_factor"])))
        self.name_skill: IntArray = np.repeat(np.arange(len(self.uris)), counts)
        self.n_names = len(self.name_factor)
        self.max_idf = float(np.log1p((len(self.uris) + 0.5) / 0.5))

    # -------------------------------------------------------------------- build / cache

    @classmethod
    def build(
        cls,
        framework: Framework,
        *,
        cache_dir: Path | None = None,
        quality: Quality = "fast",
        fields: Iterable[Field] = ALL_FIELDS,
        weights: Weights | None = None,
        embedder: Embedder | None = None,
    ) -> SkillMatcher:
        """Build (or load from ``cache_dir``) the index of every skill of ``framework``.

        The cache key covers the framework's text, the model files, the fields and this
        code's version; a cache file that cannot be read is rebuilt.  ``quality="quality"``
        needs the ``skills-quality`` extra (:class:`ConfigurationError` otherwise);
        ``embedder`` replaces the model that ``quality`` selects.
        """
        chosen = frozenset(fields)
        unknown = chosen - ALL_FIELDS
        if unknown or "label" not in chosen:
            raise InvalidInput(f"fields must include 'label' and be among {sorted(ALL_FIELDS)}")
        embedder = embedder or _embedder(quality)
        key = hashlib.sha256(
            "\x1f".join(
                [
                    CODE_VERSION,
                    framework.fingerprint(),
                    embedder.name,
                    embedder.fingerprint(),
                    ",".join(sorted(chosen)),
                    repr(cls.FIELD_WEIGHTS),
                ]
            ).encode()
        ).hexdigest()
        chosen_weights = weights or DEFAULT_WEIGHTS[quality]
        path = cache_dir / f"skills-index-{key[:24]}.npz" if cache_dir is not None else None
        corrupt = False
        if path is not None and path.exists():
            arrays = _load_cache(path, key)
            if arrays is not None:
                stats = _stats(arrays, True, path, key)
                return cls(framework, embedder, arrays, stats, chosen_weights)
            corrupt = True
        arrays = cls._compute(framework, embedder, chosen, key)
        if path is not None:
            _save_cache(path, arrays)
        stats = _stats(arrays, False, path, key, corrupt)
        return cls(framework, embedder, arrays, stats, chosen_weights)

    @classmethod
    def _compute(
        cls, framework: Framework, embedder: Embedder, fields: frozenset[Field], key: str
    ) -> dict[str, npt.NDArray[Any]]:
        uris, units, names, columns = _skill_texts(framework, fields)
        bm25 = Bm25Index.build(columns, cls.FIELD_WEIGHTS, b=(0.3, 0.5, 0.75, 0.75))
        flat_units = [text for group in units for text in group]
        unit_starts = np.cumsum([0] + [len(g) for g in units[:-1]]).astype(np.int64)
        vectors = embedder.encode(flat_units)
        # names: term-major postings name-id -> idf, for the coverage signal
        name_terms: list[list[int]] = []
        for group in names:
            for name in group:
                name_terms.append(bm25.term_ids(analyse(name)))
        mass = np.array(
            [float(bm25.idf[t].sum()) if t else 0.0 for t in name_terms], dtype=np.float32
        )
        postings: dict[int, list[int]] = {}
        for index, terms in enumerate(name_terms):
            for term in terms:
                postings.setdefault(term, []).append(index)
        name_indptr = np.zeros(len(bm25.vocab) + 1, dtype=np.int64)
        name_docs: list[int] = []
        name_idf: list[float] = []
        for term in range(len(bm25.vocab)):
            plist = postings.get(term, [])
            name_docs.extend(plist)
            name_idf.extend(
                float(bm25.idf[term]) / float(mass[i]) if mass[i] else 0.0 for i in plist
            )
            name_indptr[term + 1] = len(name_docs)
        name_starts = np.cumsum([0] + [len(g) for g in names[:-1]]).astype(np.int64)
        return {
            "key": np.array(key),
            "uris": np.array(uris),
            "units": vectors.astype(np.float16),
            "unit_starts": unit_starts,
            "vocab": np.array(sorted(bm25.vocab, key=bm25.vocab.__getitem__)),
            "idf": bm25.idf,
            "indptr": bm25.indptr,
            "docs": bm25.docs,
            "bm25_weights": bm25.weights,
            "name_indptr": name_indptr,
            "name_docs": np.asarray(name_docs, dtype=np.int32),
            "name_idf": np.asarray(name_idf, dtype=np.float32),
            "name_factor": mass,
            "name_starts": name_starts,
        }

    # -------------------------------------------------------------------- matching

    def _check(self, text: object, limit: int) -> str:
        if not isinstance(text, str):
            raise InvalidInput("the text to match must be a string")
        if len(text) > limit:
            raise InvalidInput(
                f"the text has {len(text):,} characters; the limit is {limit:,}",
                code="INPUT_TOO_LARGE",
            )
        if not text.strip():
            raise InvalidInput("the text to match is empty")
        return text

    def _cosines(self, vectors: FloatArray, with_description: bool) -> FloatArray:
        """Best cosine of each text with each skill's names (and description if asked).

        Two stages: every skill's label and the centroid of its units give a cheap
        estimate; the ``_CANDIDATES`` best skills per text then get the exact maximum.
        """
        centroids = self.centroids if with_description else self.name_centroids
        unit_counts = self.unit_counts if with_description else self.name_counts
        rough: FloatArray = np.maximum(vectors @ self.labels.T, vectors @ centroids.T)
        if len(self.uris) <= _CANDIDATES:
            candidates = np.tile(np.arange(len(self.uris)), (len(vectors), 1))
        else:
            candidates = np.argpartition(-rough, _CANDIDATES, axis=1)[:, :_CANDIDATES]
        for row, chosen in enumerate(candidates):
            starts = self.unit_starts[chosen]
            counts = unit_counts[chosen]
            index = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(
                int(counts.sum())
            )
            sims = self.units[index] @ vectors[row]
            offsets = np.cumsum(counts) - counts
            rough[row, chosen] = np.maximum.reduceat(sims, offsets)
        return rough

    def signals(
        self, texts: Sequence[str]
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Raw ``cos``, ``desc``, BM25F, ``cover`` of every (text, skill), each text's idf mass."""
        vectors = self.embedder.encode(list(texts))
        w = self.weights
        cos = self._cosines(vectors, w.cos_with_description)
        desc: FloatArray = vectors @ self.descriptions.T if w.desc > 0 else np.zeros_like(cos)
        bm25 = np.zeros_like(cos)
        cover = np.zeros_like(cos)
        mass = np.zeros(len(texts), dtype=np.float32)
        factor = np.minimum(1.0, self.name_factor / max(self.weights.name_mass, 1e-6))
        for row, text in enumerate(texts):
            analysed = analyse(text)
            terms = self.bm25.term_ids(analysed)
            unknown = len({t for t in analysed if t not in self.bm25.vocab})
            mass[row] = self.bm25.query_mass(terms) + unknown * self.max_idf
            if not terms:
                continue
            bm25[row] = self.bm25.scores(terms)
            slices = [slice(int(self.name_indptr[t]), int(self.name_indptr[t + 1])) for t in terms]
            # only the names that share a term with the text: sum per name, max per skill
            touched, inverse = np.unique(
                np.concatenate([self.name_docs[s] for s in slices]), return_inverse=True
            )
            share = (
                np.bincount(inverse, weights=np.concatenate([self.name_idf[s] for s in slices]))
                * factor[touched]
            )
            np.maximum.at(cover[row], self.name_skill[touched], share.astype(np.float32))
        return cos, desc, bm25, cover, mass

    def fuse(
        self,
        cos: FloatArray,
        desc: FloatArray,
        bm25: FloatArray,
        cover: FloatArray,
        mass: FloatArray,
        clause: npt.NDArray[np.bool_] | None = None,
    ) -> FloatArray:
        """The weighted score in 0..1 from the signals.

        ``lex`` is BM25F relative to the text's best skill, or to ``lex_floor`` times the
        text's idf mass when even the best skill matches weakly.  Rows of clauses (parts of
        a sentence) are scaled by ``clause_weight``.
        """
        w = self.weights
        scaled = np.clip((cos - w.cos_floor) / (1.0 - w.cos_floor), 0.0, 1.0)
        top = np.maximum(bm25.max(axis=1), w.lex_floor * mass)[:, None]
        lex = np.divide(bm25, top, out=np.zeros_like(bm25), where=top > 0)
        fused: FloatArray = (w.cos * scaled + w.lex * lex + w.cover * cover).astype(np.float32)
        if w.desc > 0:
            fused += w.desc * np.clip((desc - w.cos_floor) / (1.0 - w.cos_floor), 0.0, 1.0)
        if clause is not None and w.clause_weight != 1.0:
            fused[clause] *= w.clause_weight
        return fused

    def match(self, text: str, *, top: int = 10, max_chars: int = MAX_TEXT_CHARS) -> MatchResult:
        """Ranked skills for ``text`` (best first), each with its evidence phrases.

        Empty text or text over ``max_chars`` raises :class:`InvalidInput`.  Text that is
        clearly not English returns no matches and a ``notice``; text that is probably not
        English, whose best match is weak, or whose top three matches share no word with the
        text, returns matches with a low-confidence ``notice``.
        """
        text = self._check(text, max_chars)
        if top < 1:
            raise InvalidInput("top must be at least 1")
        language = guess_language(text)
        if language.language != "English" and language.confident:
            return MatchResult(
                [],
                f"the text looks like {language.language}, but the {self.framework.title} "
                "index is English-only: no matches returned (translate the text to English)",
            )
        segments = _segments(text) or [_Segment(text.strip(), 0)]
        best = np.full(len(self.uris), -1.0, dtype=np.float32)
        best_segment = np.zeros(len(self.uris), dtype=np.int64)
        for start in range(0, len(segments), _BATCH):
            batch = segments[start : start + _BATCH]
            clause = np.array([s.clause for s in batch], dtype=np.bool_)
            scores = self.fuse(*self.signals([s.text for s in batch]), clause)
            rows = scores.argmax(axis=0)
            values = scores[rows, np.arange(scores.shape[1])]
            better = values > best
            best[better] = values[better]
            best_segment[better] = rows[better] + start
        order = np.argsort(-best, kind="stable")[:top]
        matches: list[Match] = []
        lexical = False
        for index in order:
            score = float(best[index])
            if score <= 0.0:
                break
            uri = self.uris[int(index)]
            skill = self.framework.skills[uri]
            terms = set(analyse(" ".join([skill.label, *skill.alt_labels])))
            segment = segments[int(best_segment[index])]
            phrase = _evidence(segment, terms)
            lexical = lexical or (len(matches) < 3 and bool(terms & set(analyse(segment.text))))
            matches.append(Match(uri, skill.label, min(1.0, score), [phrase]))
        notice: str | None = None
        if language.language != "English":
            notice = (
                f"the text may be {language.language}; the index is English-only, so these "
                "matches are low-confidence"
            )
        elif not matches or matches[0].score < LOW_CONFIDENCE or not lexical:
            notice = (
                "low confidence: no skill name of the framework appears in the text, so these "
                "matches rest on loose similarity only"
            )
        return MatchResult(matches, notice)


def _centroids(units: FloatArray, starts: IntArray, counts: IntArray) -> FloatArray:
    """The normalised mean of each skill's first ``counts`` units."""
    rows = np.repeat(starts, counts) + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    sums = np.add.reduceat(units[rows], np.cumsum(counts) - counts, axis=0)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    result: FloatArray = (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return result


# ------------------------------------------------------------------------------ cache files


_REQUIRED = (
    "key", "uris", "units", "unit_starts", "vocab", "idf", "indptr", "docs", "bm25_weights",
    "name_indptr", "name_docs", "name_idf", "name_factor", "name_starts",
)  # fmt: skip


def _stats(
    arrays: dict[str, npt.NDArray[Any]],
    loaded: bool,
    path: Path | None,
    key: str,
    corrupt: bool = False,
) -> MatchStats:
    return MatchStats(
        loaded_from_cache=loaded,
        cache_file=path,
        skills=len(arrays["uris"]),
        units=len(arrays["units"]),
        names=len(arrays["name_factor"]),
        key=key,
        rebuilt_corrupt_cache=corrupt,
    )


def _load_cache(path: Path, key: str) -> dict[str, npt.NDArray[Any]] | None:
    """The arrays of a cache file, or None when it is unreadable, stale or inconsistent."""
    try:
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {name: data[name] for name in _REQUIRED}
    except Exception:  # any unreadable cache is simply rebuilt
        return None
    n = len(arrays["uris"])
    consistent = (
        str(arrays["key"]) == key
        and len(arrays["unit_starts"]) == n
        and len(arrays["name_starts"]) == n
        and len(arrays["idf"]) + 1 == len(arrays["indptr"]) == len(arrays["name_indptr"])
        and len(arrays["docs"]) == len(arrays["bm25_weights"]) == int(arrays["indptr"][-1])
        and len(arrays["name_docs"]) == len(arrays["name_idf"]) == int(arrays["name_indptr"][-1])
        and arrays["units"].ndim == 2
        and int(arrays["unit_starts"].max(initial=0)) < max(1, len(arrays["units"]))
        and int(arrays["docs"].max(initial=0)) < max(1, n)
        and int(arrays["name_docs"].max(initial=0)) < max(1, len(arrays["name_factor"]))
    )
    return arrays if consistent else None


def _save_cache(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    """Write atomically (temporary file, then rename); a failed write only loses the cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError:
        return
