"""Offline verification bundles, version 1, and their verification against pinned trust anchors.

A bundle is one JSON file that lets anyone check a credential with no network: the signed
credential, the issuer's DID document as of issuance, snapshots of its status lists, the issuer's
key history, inclusion proofs of the credential and of that DID-document version in the issuance
log, a signed (and cosigned) checkpoint, and optionally public-chain anchor records of that
log with consistency proofs to the checkpoint.  A bundle proves nothing by itself (a forger can
ship a complete fake), so :func:`verify_bundle` takes :class:`TrustAnchors`: pinned log keys,
pinned witness keys and how many cosignatures are required.  Field-by-field description:
docs/transparency-log.md, "Offline bundles".
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from credstack._json import parse_json
from credstack.errors import ConfigurationError, CredstackError, InvalidInput, ProofError
from credstack.log.anchor import AnchorRecord, AnchorVerifier
from credstack.log.checkpoint import Checkpoint, parse_checkpoint, verify_checkpoint
from credstack.log.cosign import verify_cosignatures
from credstack.log.leaf import (
    EventType,
    LogLeaf,
    credential_digest,
    decode_leaf,
    did_document_digest,
    key_digest,
    time_to_ms,
)
from credstack.log.merkle import HASH_SIZE, leaf_hash, verify_consistency, verify_inclusion
from credstack.log.note import COSIGNATURE_V1, ED25519, NoteVerifier, b64decode_strict
from credstack.proofs.dataintegrity import format_datetime, parse_datetime
from credstack.resolve.base import ResolvedMethod
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.report import Outcome, VerificationReport, step_json
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = [
    "BUNDLE_TYPE",
    "BUNDLE_VERSION",
    "DEFAULT_STATUS_MAX_AGE",
    "MAX_ANCHORS",
    "MAX_BUNDLE_BYTES",
    "MAX_EXTRA_STATUS_LISTS",
    "NO_TRUST_MESSAGE",
    "TRUST_LIST_TYPE",
    "AnchorEvidence",
    "Bundle",
    "BundleReport",
    "BundleStep",
    "BundleStepName",
    "KeyRecord",
    "LeafEvidence",
    "TrustAnchors",
    "build_bundle",
    "evidence_from_proof_response",
    "is_bundle",
    "load_trust_list",
    "parse_bundle",
    "parse_trust_list",
    "read_bundle",
    "status_list_urls",
    "verify_bundle",
]

BUNDLE_TYPE = "CredstackVerificationBundle"
BUNDLE_VERSION = 1
TRUST_LIST_TYPE = "CredstackTrustList"
#: a bundle (as JSON bytes) larger than this is refused before it is parsed
MAX_BUNDLE_BYTES = 10 * 1024 * 1024
#: status evidence older than this gets a warning
DEFAULT_STATUS_MAX_AGE = timedelta(days=30)
#: at most this many inclusion-proof hashes (a tree of 2^63 leaves needs 63)
MAX_PROOF_HASHES = 64
MAX_KEY_HISTORY = 1000
#: at most this many anchor records in a bundle
MAX_ANCHORS = 16
#: at most this many status lists in ``statusLists`` (the lists besides ``statusList``)
MAX_EXTRA_STATUS_LISTS = 4
#: at most this many consistency-proof hashes (a proof in a tree of 2^63 leaves has fewer)
MAX_CONSISTENCY_HASHES = 128
_CLOCK_SKEW = timedelta(minutes=5)
_KEY_STATUSES = frozenset({"active", "retired", "compromised"})
NO_TRUST_MESSAGE = (
    "no log key is pinned, so the log evidence in this bundle proves nothing: anyone can "
    "make a complete, self-consistent fake bundle (DID document included). The verdict below "
    "rests on the credential's signature against the bundled DID document alone. Pin the "
    "log's key (--log-key or a trust list) to make the log evidence count."
)


# ---------------------------------------------------------------------------- small helpers


def _format_time(at: datetime) -> str:
    """UTC ISO 8601 with a ``Z``; milliseconds only when there are any (log leaves keep ms)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("bundle times must carry a timezone")
    at = at.astimezone(UTC)
    if at.microsecond // 1000:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return format_datetime(at)


def _time(value: Any, what: str) -> datetime:
    try:
        return parse_datetime(value).astimezone(UTC)
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}") from None
    except OverflowError:
        raise InvalidInput(f"{what}: {value!r} is out of range") from None


def _optional_time(value: Any, what: str) -> datetime | None:
    return None if value is None else _time(value, what)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _proofs(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    proof = document.get("proof")
    items = [] if proof is None else proof if isinstance(proof, list) else [proof]
    return [p for p in items if isinstance(p, dict)]


def _signing_methods(document: Mapping[str, Any]) -> list[str]:
    return [
        p["verificationMethod"]
        for p in _proofs(document)
        if isinstance(p.get("verificationMethod"), str)
    ]


def status_list_urls(credential: Mapping[str, Any]) -> list[str]:
    """The ``statusListCredential`` URLs the credential's ``credentialStatus`` entries name, in
    order, each once (entries that are not objects or name no URL are passed over)."""
    status = credential.get("credentialStatus")
    entries = status if isinstance(status, list) else [status]
    urls: list[str] = []
    for entry in entries:
        url = entry.get("statusListCredential") if isinstance(entry, dict) else None
        if isinstance(url, str) and url not in urls:
            urls.append(url)
    return urls


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_size(data: bytes | str, max_bytes: int) -> None:
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > max_bytes:
        raise InvalidInput(
            f"the verification bundle is {size} bytes; the limit is {max_bytes} bytes",
            code="INPUT_TOO_LARGE",
        )


# ---------------------------------------------------------------------------- evidence


@dataclass(frozen=True, slots=True)
class LeafEvidence:
    """One log leaf with its RFC 9162 inclusion proof in the tree of the bundle's checkpoint."""

    index: int
    size: int
    leaf: bytes
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "size": self.size,
            "leaf": _b64(self.leaf),
            "proof": [_b64(h) for h in self.proof],
        }

    @classmethod
    def from_json(cls, value: Any, what: str) -> LeafEvidence:
        """Parse ``{"index", "size", "leaf", "proof"}``; :class:`InvalidInput` when off-format."""
        data = _object(value, what)
        extra = set(data) - {"index", "size", "leaf", "proof"}
        if extra:
            raise InvalidInput(f"{what} has unknown members: {', '.join(sorted(extra))}")
        numbers: dict[str, int] = {}
        for name in ("index", "size"):
            number = data.get(name)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise InvalidInput(f"{what}.{name} must be a non-negative integer")
            numbers[name] = number
        index, size = numbers["index"], numbers["size"]
        if index >= size:
            raise InvalidInput(f"{what}: leaf index {index} is outside a tree of size {size}")
        leaf_text, proof = data.get("leaf"), data.get("proof")
        if not isinstance(leaf_text, str):
            raise InvalidInput(f"{what}.leaf must be base64 text")
        if not isinstance(proof, list) or len(proof) > MAX_PROOF_HASHES:
            raise InvalidInput(f"{what}.proof must be a list of at most {MAX_PROOF_HASHES} hashes")
        hashes: list[bytes] = []
        for i, item in enumerate(proof):
            raw = b64decode_strict(item, f"{what}.proof[{i}]") if isinstance(item, str) else b""
            if len(raw) != HASH_SIZE:
                raise InvalidInput(f"{what}.proof[{i}] must be a base64 {HASH_SIZE}-byte hash")
            hashes.append(raw)
        return cls(index, size, b64decode_strict(leaf_text, f"{what}.leaf"), tuple(hashes))


_RESPONSE_NAMES = {
    "index": ("leafIndex", "leaf_index", "index"),
    "size": ("treeSize", "tree_size", "size"),
    "leaf": ("leaf",),
    "proof": ("proof", "hashes", "inclusionProof", "inclusion_proof"),
    "checkpoint": ("checkpoint",),
}


def evidence_from_proof_response(response: Mapping[str, Any]) -> tuple[LeafEvidence, str | None]:
    """Evidence and checkpoint text from the log's inclusion-proof endpoint JSON.

    Accepts camelCase or snake_case names (``leafIndex``/``leaf_index``, ``treeSize``/
    ``tree_size``, ``leaf``, ``proof``/``hashes``, ``checkpoint``).
    """
    if not isinstance(response, Mapping):
        raise InvalidInput("an inclusion-proof response must be a JSON object")
    picked: dict[str, Any] = {}
    for target, names in _RESPONSE_NAMES.items():
        for name in names:
            if name in response:
                picked[target] = response[name]
                break
    checkpoint = picked.pop("checkpoint", None)
    if checkpoint is not None and not isinstance(checkpoint, str):
        raise InvalidInput("the response's checkpoint must be the signed note text")
    return LeafEvidence.from_json(picked, "inclusion-proof response"), checkpoint


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One of the issuer's signing keys and its history (``keyHistory`` entry).

    ``compromise_log`` is the log's ``KEY_COMPROMISED`` leaf for this key with its inclusion
    proof; the rule "valid only if issued before the compromise" needs it.
    """

    id: str
    public_key_multibase: str
    status: str
    activated: datetime | None = None
    retired: datetime | None = None
    compromised_since: datetime | None = None
    compromise_log: LeafEvidence | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "publicKeyMultibase": self.public_key_multibase,
            "status": self.status,
        }
        for name, value in (
            ("activated", self.activated),
            ("retired", self.retired),
            ("compromisedSince", self.compromised_since),
        ):
            if value is not None:
                out[name] = _format_time(value)
        if self.compromise_log is not None:
            out["log"] = {"compromised": self.compromise_log.to_json()}
        return out

    @classmethod
    def from_json(cls, value: Any, what: str) -> KeyRecord:
        data = _object(value, what)
        allowed = {"id", "publicKeyMultibase", "status", "activated", "retired"}
        extra = set(data) - allowed - {"compromisedSince", "log"}
        if extra:
            raise InvalidInput(f"{what} has unknown members: {', '.join(sorted(extra))}")
        key_id, multibase, status = (
            data.get("id"),
            data.get("publicKeyMultibase"),
            data.get("status"),
        )
        if not isinstance(key_id, str) or not key_id:
            raise InvalidInput(f"{what}.id must be the verification method id")
        if not isinstance(multibase, str) or not multibase:
            raise InvalidInput(f"{what}.publicKeyMultibase must be a string")
        key_digest(multibase)  # InvalidKey when it is not multibase
        if not isinstance(status, str) or status not in _KEY_STATUSES:
            raise InvalidInput(f"{what}.status must be one of {', '.join(sorted(_KEY_STATUSES))}")
        since = _optional_time(data.get("compromisedSince"), f"{what}.compromisedSince")
        if (status == "compromised") != (since is not None):
            raise InvalidInput(f"{what}: a compromised key, and only one, has compromisedSince")
        log = data.get("log")
        evidence: LeafEvidence | None = None
        if log is not None:
            log = _object(log, f"{what}.log")
            if set(log) - {"compromised"}:
                raise InvalidInput(f"{what}.log may only hold the 'compromised' leaf evidence")
            if "compromised" in log:
                evidence = LeafEvidence.from_json(log["compromised"], f"{what}.log.compromised")
        return cls(
            key_id,
            multibase,
            str(status),
            _optional_time(data.get("activated"), f"{what}.activated"),
            _optional_time(data.get("retired"), f"{what}.retired"),
            since,
            evidence,
        )


@dataclass(frozen=True, slots=True)
class AnchorEvidence:
    """A public-chain anchor of the log (:class:`credstack.log.anchor.AnchorRecord`) and the
    RFC 9162 consistency proof from its tree size to the bundle's checkpoint (empty when the
    sizes are equal)."""

    record: AnchorRecord
    consistency: tuple[bytes, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record.to_json(), "consistency": [_b64(h) for h in self.consistency]}

    @classmethod
    def from_json(cls, value: Any, what: str) -> AnchorEvidence:
        data = _object(value, what)
        extra = set(data) - {"record", "consistency"}
        if extra:
            raise InvalidInput(f"{what} has unknown members: {', '.join(sorted(extra))}")
        record_json = _object(data.get("record"), f"{what}.record")
        try:
            record = AnchorRecord.from_json(record_json)
        except InvalidInput as exc:
            raise InvalidInput(f"{what}.record: {exc.message}") from None
        proof = data.get("consistency")
        if not isinstance(proof, list) or len(proof) > MAX_CONSISTENCY_HASHES:
            raise InvalidInput(
                f"{what}.consistency must be a list of at most {MAX_CONSISTENCY_HASHES} hashes"
            )
        hashes: list[bytes] = []
        for i, item in enumerate(proof):
            where = f"{what}.consistency[{i}]"
            raw = b64decode_strict(item, where) if isinstance(item, str) else b""
            if len(raw) != HASH_SIZE:
                raise InvalidInput(f"{where} must be a base64 {HASH_SIZE}-byte hash")
            hashes.append(raw)
        return cls(record, tuple(hashes))

    def problem(self, tree: Checkpoint) -> str | None:
        """Why this anchor does not belong to the tree ``tree`` (None when it does): another
        log, a larger tree, or a consistency proof that does not lead to ``tree``'s root."""
        record = self.record
        if record.origin != tree.origin:
            return f"it anchors log {record.origin!r}, the checkpoint is of {tree.origin!r}"
        if not 0 < record.tree_size <= tree.size:
            return f"it anchors tree size {record.tree_size}; the checkpoint is of size {tree.size}"
        try:
            verify_consistency(
                record.tree_size, tree.size, self.consistency, record.root_hash, tree.root_hash
            )
        except CredstackError as exc:
            return f"its tree is not consistent with the checkpoint's: {exc.message}"
        return None


# ---------------------------------------------------------------------------- the bundle


@dataclass(frozen=True, slots=True)
class Bundle:
    """A parsed version-1 verification bundle."""

    credential: dict[str, Any]
    did_document: dict[str, Any]
    checkpoint: str
    credential_log: LeafEvidence
    did_document_log: LeafEvidence
    status_list: dict[str, Any] | None = None
    status_checked_at: datetime | None = None
    key_history: tuple[KeyRecord, ...] = ()
    current_did_document: dict[str, Any] | None = None
    current_did_document_log: LeafEvidence | None = None
    anchors: tuple[AnchorEvidence, ...] = ()
    #: the status lists the credential names besides ``status_list`` (its suspension list)
    status_lists: tuple[dict[str, Any], ...] = ()

    @property
    def all_status_lists(self) -> list[dict[str, Any]]:
        """``status_list`` (when present) followed by ``status_lists``."""
        first = [] if self.status_list is None else [self.status_list]
        return [*first, *self.status_lists]

    def to_json(self) -> dict[str, Any]:
        log: dict[str, Any] = {
            "checkpoint": self.checkpoint,
            "credential": self.credential_log.to_json(),
            "didDocument": self.did_document_log.to_json(),
        }
        out: dict[str, Any] = {
            "type": BUNDLE_TYPE,
            "version": BUNDLE_VERSION,
            "credential": self.credential,
            "didDocument": self.did_document,
            "keyHistory": [k.to_json() for k in self.key_history],
            "statusList": self.status_list,
        }
        if self.status_lists:
            out["statusLists"] = list(self.status_lists)
        out["statusCheckedAt"] = (
            None if self.status_checked_at is None else _format_time(self.status_checked_at)
        )
        out["log"] = log
        if self.current_did_document is not None and self.current_did_document_log is not None:
            out["currentDidDocument"] = self.current_did_document
            log["currentDidDocument"] = self.current_did_document_log.to_json()
        if self.anchors:
            out["anchors"] = [a.to_json() for a in self.anchors]
        return out

    def dumps(self, *, indent: int | None = 2) -> bytes:
        """The bundle as UTF-8 JSON; :class:`InvalidInput` when it exceeds the size bound."""
        separators = (",", ": ") if indent is not None else (",", ":")
        text = json.dumps(self.to_json(), indent=indent, ensure_ascii=False, separators=separators)
        data = text.encode("utf-8")
        _check_size(data, MAX_BUNDLE_BYTES)
        return data


def is_bundle(value: Any) -> bool:
    """True for a JSON object that declares itself a verification bundle (any version)."""
    return isinstance(value, Mapping) and value.get("type") == BUNDLE_TYPE


_TOP_MEMBERS = frozenset(
    {
        "type",
        "version",
        "credential",
        "didDocument",
        "keyHistory",
        "statusList",
        "statusLists",
        "statusCheckedAt",
        "log",
        "currentDidDocument",
        "anchors",
    }
)


def parse_bundle(value: Mapping[str, Any] | bytes | str) -> Bundle:
    """Parse and shape-check a bundle (JSON text/bytes or an already parsed object).

    Nothing cryptographic is checked here; every shape problem is :class:`InvalidInput`.
    """
    if isinstance(value, (bytes, str)):
        _check_size(value, MAX_BUNDLE_BYTES)
        value = parse_json(value, what="verification bundle", max_bytes=MAX_BUNDLE_BYTES)
    if not isinstance(value, Mapping):
        raise InvalidInput("a verification bundle is a JSON object")
    if value.get("type") != BUNDLE_TYPE:
        raise InvalidInput(f"not a verification bundle: type must be {BUNDLE_TYPE!r}")
    version = value.get("version")
    if version != BUNDLE_VERSION or isinstance(version, bool):
        raise InvalidInput(f"unsupported verification bundle version {version!r} (1 is known)")
    extra = set(value) - _TOP_MEMBERS
    if extra:
        raise InvalidInput(f"the bundle has unknown members: {', '.join(sorted(extra))}")
    credential = _object(value.get("credential"), "bundle credential")
    if "@context" not in credential or "type" not in credential:
        raise InvalidInput("the bundle's credential has no @context or type")
    did_document = _object(value.get("didDocument"), "bundle didDocument")
    if not isinstance(did_document.get("id"), str) or not did_document["id"].startswith("did:"):
        raise InvalidInput("the bundle's didDocument must have a DID as its id")
    status_list = value.get("statusList")
    if status_list is not None:
        status_list = _object(status_list, "bundle statusList")
        if not isinstance(status_list.get("id"), str):
            raise InvalidInput("the bundle's statusList has no id (its URL)")
    status_lists = _extra_status_lists(value.get("statusLists", []), status_list, credential)
    history = value.get("keyHistory", [])
    if not isinstance(history, list) or len(history) > MAX_KEY_HISTORY:
        raise InvalidInput(f"keyHistory must be a list of at most {MAX_KEY_HISTORY} keys")
    log = _object(value.get("log"), "bundle log")
    if set(log) - {"checkpoint", "credential", "didDocument", "currentDidDocument"}:
        raise InvalidInput("the bundle's log has unknown members")
    checkpoint = log.get("checkpoint")
    if not isinstance(checkpoint, str) or not checkpoint:
        raise InvalidInput("log.checkpoint must be the signed checkpoint note text")
    current = value.get("currentDidDocument")
    current_log = log.get("currentDidDocument")
    if (current is None) != (current_log is None):
        raise InvalidInput("currentDidDocument and log.currentDidDocument go together")
    if current is not None:
        current = _object(current, "bundle currentDidDocument")
        if current.get("id") != did_document["id"]:
            raise InvalidInput("currentDidDocument must be the same DID as didDocument")
    anchors = value.get("anchors", [])
    if not isinstance(anchors, list) or len(anchors) > MAX_ANCHORS:
        raise InvalidInput(f"anchors must be a list of at most {MAX_ANCHORS} anchor records")
    return Bundle(
        credential=credential,
        did_document=did_document,
        checkpoint=checkpoint,
        credential_log=LeafEvidence.from_json(log.get("credential"), "log.credential"),
        did_document_log=LeafEvidence.from_json(log.get("didDocument"), "log.didDocument"),
        status_list=status_list,
        status_checked_at=_optional_time(value.get("statusCheckedAt"), "statusCheckedAt"),
        key_history=tuple(
            KeyRecord.from_json(item, f"keyHistory[{i}]") for i, item in enumerate(history)
        ),
        current_did_document=current,
        current_did_document_log=(
            None
            if current_log is None
            else LeafEvidence.from_json(current_log, "log.currentDidDocument")
        ),
        anchors=tuple(
            AnchorEvidence.from_json(item, f"anchors[{i}]") for i, item in enumerate(anchors)
        ),
        status_lists=status_lists,
    )


def _extra_status_lists(
    value: Any, status_list: dict[str, Any] | None, credential: Mapping[str, Any]
) -> tuple[dict[str, Any], ...]:
    """Shape-check ``statusLists``: at most :data:`MAX_EXTRA_STATUS_LISTS` objects, each with a
    distinct ``id`` that is not ``statusList``'s and that the credential names."""
    if not isinstance(value, list) or len(value) > MAX_EXTRA_STATUS_LISTS:
        raise InvalidInput(
            f"statusLists must be a list of at most {MAX_EXTRA_STATUS_LISTS} status lists"
        )
    named = status_list_urls(credential)
    seen = set() if status_list is None else {status_list["id"]}
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        found = _object(item, f"bundle statusLists[{i}]")
        url = found.get("id")
        if not isinstance(url, str):
            raise InvalidInput(f"the bundle's statusLists[{i}] has no id (its URL)")
        if url in seen:
            raise InvalidInput(f"the bundle carries the status list {url} twice")
        if url not in named:
            raise InvalidInput(
                f"the bundle's statusLists[{i}] ({url}) is not a status list the credential names"
            )
        seen.add(url)
        out.append(found)
    return tuple(out)


def read_bundle(
    source: str | os.PathLike[str] | BinaryIO, *, max_bytes: int = MAX_BUNDLE_BYTES
) -> Bundle:
    """Read a bundle from a file path or binary stream, never more than ``max_bytes + 1`` bytes.

    A file whose size is known to exceed the bound is refused without reading it.
    """
    data = _read_capped(source, max_bytes)
    if len(data) > max_bytes:
        raise InvalidInput(
            f"the verification bundle is larger than {max_bytes} bytes", code="INPUT_TOO_LARGE"
        )
    return parse_bundle(data)


def _read_capped(source: str | os.PathLike[str] | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            with path.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size > max_bytes:
                    raise InvalidInput(
                        f"the verification bundle {path} is {size} bytes; the limit is "
                        f"{max_bytes} bytes",
                        code="INPUT_TOO_LARGE",
                    )
                return _read_stream(fh, max_bytes)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return _read_stream(source, max_bytes)


def _read_stream(stream: BinaryIO, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def build_bundle(
    *,
    credential: Mapping[str, Any],
    did_document: Mapping[str, Any],
    checkpoint: str,
    credential_log: LeafEvidence,
    did_document_log: LeafEvidence,
    status_list: Mapping[str, Any] | None = None,
    status_checked_at: datetime | None = None,
    key_history: Iterable[KeyRecord] = (),
    current_did_document: Mapping[str, Any] | None = None,
    current_did_document_log: LeafEvidence | None = None,
    anchors: Iterable[AnchorEvidence] = (),
    status_lists: Iterable[Mapping[str, Any]] = (),
) -> Bundle:
    """Assemble a bundle from its parts, checking that they fit together.

    Every leaf must decode, belong to the credential's issuer and carry the digest of the part
    it stands for, and every proof must be for the checkpoint's tree size (ask the log for all
    proofs at one checkpoint).  Every anchor must be of the checkpoint's log, at most its size,
    with a consistency proof to its root.  ``status_lists`` are the lists the credential names
    besides ``status_list`` (e.g. its suspension list).  Signatures, inclusion proofs and
    anchors on chain are not verified here: that is the verifier's job.  Refuses
    (:class:`InvalidInput`) parts that do not fit and a bundle larger than
    :data:`MAX_BUNDLE_BYTES`.
    """
    bundle = Bundle(
        credential=json.loads(json.dumps(dict(credential))),
        did_document=json.loads(json.dumps(dict(did_document))),
        checkpoint=checkpoint,
        credential_log=credential_log,
        did_document_log=did_document_log,
        status_list=None if status_list is None else json.loads(json.dumps(dict(status_list))),
        status_checked_at=status_checked_at,
        key_history=tuple(key_history),
        current_did_document=(
            None
            if current_did_document is None
            else json.loads(json.dumps(dict(current_did_document)))
        ),
        current_did_document_log=current_did_document_log,
        anchors=tuple(anchors),
        status_lists=tuple(json.loads(json.dumps(dict(item))) for item in status_lists),
    )
    bundle = parse_bundle(json.loads(bundle.dumps(indent=None)))  # shape and size check
    try:
        tree = parse_checkpoint(checkpoint).checkpoint
    except CredstackError as exc:
        raise InvalidInput(f"the checkpoint cannot be read: {exc.message}") from exc
    issuer = _issuer_id(bundle.credential)
    if issuer is None or issuer != bundle.did_document["id"]:
        raise InvalidInput("the DID document is not the credential issuer's")
    for anchor in bundle.anchors:
        problem = anchor.problem(tree)
        if problem is not None:
            raise InvalidInput(
                f"the anchor in transaction 0x{anchor.record.tx_hash.hex()}: {problem}"
            )
    parts: list[tuple[str, LeafEvidence, EventType, bytes]] = [
        (
            "credential",
            credential_log,
            EventType.CREDENTIAL_ISSUED,
            credential_digest(bundle.credential),
        ),
        (
            "DID document",
            did_document_log,
            EventType.DID_DOCUMENT,
            did_document_digest(bundle.did_document),
        ),
    ]
    if bundle.current_did_document is not None and current_did_document_log is not None:
        parts.append(
            (
                "current DID document",
                current_did_document_log,
                EventType.DID_DOCUMENT,
                did_document_digest(bundle.current_did_document),
            )
        )
    for record in bundle.key_history:
        if record.compromise_log is not None:
            parts.append(
                (
                    f"compromise of {record.id}",
                    record.compromise_log,
                    EventType.KEY_COMPROMISED,
                    key_digest(record.public_key_multibase),
                )
            )
    for what, evidence, event, digest in parts:
        if evidence.size != tree.size:
            raise InvalidInput(
                f"the {what} proof is for tree size {evidence.size}, the checkpoint is for "
                f"{tree.size}: fetch every proof at the checkpoint's size"
            )
        leaf = decode_leaf(evidence.leaf)
        if leaf.event is not event or leaf.issuer != issuer or leaf.digest != digest:
            raise InvalidInput(f"the {what} leaf does not record this {what} of {issuer}")
    return bundle


# ---------------------------------------------------------------------------- trust anchors


@dataclass(frozen=True, slots=True)
class TrustAnchors:
    """Pinned keys: what makes a bundle's log evidence mean something.

    ``log_keys`` are the logs' note keys (type 0x01, named like the log's origin);
    ``witness_keys`` are cosignature keys (type 0x04); ``witnesses_required`` cosignatures by
    distinct pinned witnesses must be on the checkpoint.
    """

    log_keys: tuple[NoteVerifier, ...] = ()
    witness_keys: tuple[NoteVerifier, ...] = ()
    witnesses_required: int = 0

    def __post_init__(self) -> None:
        for key in self.log_keys:
            if key.sig_type != ED25519:
                raise ConfigurationError(f"log key {key.name!r} is not an Ed25519 note key (0x01)")
        for key in self.witness_keys:
            if key.sig_type != COSIGNATURE_V1:
                raise ConfigurationError(
                    f"witness key {key.name!r} is not a cosignature key (0x04)"
                )
        required = self.witnesses_required
        if not isinstance(required, int) or isinstance(required, bool) or required < 0:
            raise ConfigurationError("the number of required cosignatures must be 0 or more")
        distinct = {(k.name, k.key_id) for k in self.witness_keys}
        if required > len(distinct):
            raise ConfigurationError(
                f"{required} cosignature(s) required but only {len(distinct)} witness key(s) pinned"
            )

    @classmethod
    def from_vkeys(
        cls,
        log_keys: Iterable[str] = (),
        witness_keys: Iterable[str] = (),
        witnesses_required: int = 0,
    ) -> TrustAnchors:
        """From verifier key strings ``<name>+<key ID>+<base64 key>``."""
        return cls(
            tuple(NoteVerifier.from_vkey(k) for k in log_keys),
            tuple(NoteVerifier.from_vkey(k) for k in witness_keys),
            witnesses_required,
        )

    def to_json(self) -> dict[str, Any]:
        """This trust list as JSON (see :func:`parse_trust_list`)."""
        return {
            "type": TRUST_LIST_TYPE,
            "version": 1,
            "logKeys": [k.to_vkey() for k in self.log_keys],
            "witnessKeys": [k.to_vkey() for k in self.witness_keys],
            "witnessesRequired": self.witnesses_required,
        }


def parse_trust_list(value: Mapping[str, Any] | bytes | str) -> TrustAnchors:
    """Parse ``{"type": "CredstackTrustList", "version": 1, "logKeys": [vkey…],
    "witnessKeys": [vkey…], "witnessesRequired": N}``."""
    if isinstance(value, (bytes, str)):
        value = parse_json(value, what="trust list", max_bytes=1024 * 1024)
    if not isinstance(value, Mapping) or value.get("type") != TRUST_LIST_TYPE:
        raise InvalidInput(f"a trust list is a JSON object of type {TRUST_LIST_TYPE!r}")
    if value.get("version") != 1:
        raise InvalidInput(f"unsupported trust list version {value.get('version')!r}")
    extra = set(value) - {"type", "version", "logKeys", "witnessKeys", "witnessesRequired"}
    if extra:
        raise InvalidInput(f"the trust list has unknown members: {', '.join(sorted(extra))}")
    lists: dict[str, list[str]] = {}
    for name in ("logKeys", "witnessKeys"):
        keys = value.get(name, [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise InvalidInput(f"trust list {name} must be a list of verifier key strings")
        lists[name] = keys
    required = value.get("witnessesRequired", 0)
    if not isinstance(required, int) or isinstance(required, bool):
        raise InvalidInput("trust list witnessesRequired must be an integer")
    try:
        return TrustAnchors.from_vkeys(lists["logKeys"], lists["witnessKeys"], required)
    except ConfigurationError as exc:
        raise InvalidInput(f"trust list: {exc.message}") from exc


def load_trust_list(path: str | os.PathLike[str]) -> TrustAnchors:
    """Read a trust list file (at most 1 MiB)."""
    return parse_trust_list(_read_limited_file(Path(path), 1024 * 1024, "trust list"))


def _read_limited_file(path: Path, max_bytes: int, what: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InvalidInput(
            f"{what} {path} is larger than {max_bytes} bytes", code="INPUT_TOO_LARGE"
        )
    return data


# ---------------------------------------------------------------------------- the report


class BundleStepName(StrEnum):
    FORMAT = "bundle_format"
    BAKED = "baked_credential"
    TRUST = "trust_anchors"
    CREDENTIAL = "credential"
    CHECKPOINT = "checkpoint"
    COSIGNATURES = "cosignatures"
    CREDENTIAL_LOGGED = "credential_logged"
    DID_DOCUMENT_LOGGED = "did_document_logged"
    CURRENT_DID_DOCUMENT_LOGGED = "current_did_document_logged"
    ANCHORS = "anchors"
    KEY_COMPROMISE = "key_compromise"
    STATUS_FRESHNESS = "status_freshness"


_TITLES = {
    BundleStepName.FORMAT: "Readable bundle",
    BundleStepName.BAKED: "Baked credential matches the bundle",
    BundleStepName.TRUST: "Trust anchors",
    BundleStepName.CREDENTIAL: "Credential (offline)",
    BundleStepName.CHECKPOINT: "Signed tree head",
    BundleStepName.COSIGNATURES: "Witness cosignatures",
    BundleStepName.CREDENTIAL_LOGGED: "Credential in the log",
    BundleStepName.DID_DOCUMENT_LOGGED: "DID document in the log",
    BundleStepName.CURRENT_DID_DOCUMENT_LOGGED: "Current DID document in the log",
    BundleStepName.ANCHORS: "Public-chain anchors",
    BundleStepName.KEY_COMPROMISE: "Signing key not compromised at issuance",
    BundleStepName.STATUS_FRESHNESS: "Status evidence freshness",
}


@dataclass(frozen=True, slots=True)
class BundleStep:
    name: BundleStepName
    outcome: Outcome
    message: str
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return step_json(self.name.value, self.outcome, self.message, self.code, self.details)


@dataclass(slots=True)
class BundleReport:
    """Step-by-step result of verifying a bundle; ``credential`` is the embedded credential's."""

    steps: list[BundleStep] = field(default_factory=list)
    credential: VerificationReport | None = None
    checked_at: str | None = None
    #: the checkpoint was signed by a pinned log key (and cosigned as required)
    log_trusted: bool = False
    status_age: timedelta | None = None

    def add(
        self,
        name: BundleStepName,
        outcome: Outcome,
        message: str,
        code: str | None = None,
        **details: Any,
    ) -> BundleStep:
        step = BundleStep(name, outcome, message, code, details)
        self.steps.append(step)
        return step

    def step(self, name: BundleStepName) -> BundleStep | None:
        return next((s for s in self.steps if s.name is name), None)

    @property
    def first_failure(self) -> BundleStep | None:
        return next((s for s in self.steps if s.outcome is Outcome.FAILED), None)

    @property
    def verified(self) -> bool:
        """No step failed and the credential itself verified."""
        return (
            self.first_failure is None and self.credential is not None and self.credential.verified
        )

    @property
    def unusable(self) -> bool:
        """The input could not be read as a bundle (not a verdict on a credential)."""
        return any(
            s.name is BundleStepName.FORMAT and s.outcome is Outcome.FAILED for s in self.steps
        )

    @property
    def warnings(self) -> list[BundleStep]:
        return [s for s in self.steps if s.outcome is Outcome.WARNING]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verified,
            "kind": "verification-bundle",
            "logTrusted": self.log_trusted,
        }
        if self.checked_at:
            out["checkedAt"] = self.checked_at
        if self.status_age is not None:
            out["statusAgeSeconds"] = int(self.status_age.total_seconds())
        out["steps"] = [s.to_json() for s in self.steps]
        failure = self.first_failure
        if failure is not None:
            out["error"] = {
                "step": failure.name.value,
                "code": failure.code,
                "message": failure.message,
            }
        if self.credential is not None:
            out["credential"] = self.credential.to_json()
        return out

    def render(self) -> str:
        """Human-readable rendering: one line per step, a verdict, then the credential report."""
        marks = {
            Outcome.PASSED: "ok  ",
            Outcome.FAILED: "FAIL",
            Outcome.WARNING: "warn",
            Outcome.SKIPPED: "skip",
        }
        if self.unusable:
            verdict = "UNUSABLE INPUT"
        else:
            verdict = "VALID" if self.verified else "NOT VALID"
        trust = "log evidence trusted" if self.log_trusted else "log evidence NOT trusted"
        lines = [f"{verdict}: verification bundle ({trust})"]
        for step in self.steps:
            code = f" [{step.code}]" if step.code else ""
            lines.append(f"  {marks[step.outcome]} {_TITLES[step.name]}: {step.message}{code}")
        if self.credential is not None:
            lines.append(self.credential.render("    "))
        return "\n".join(lines)


# ---------------------------------------------------------------------------- verification


#: exceptions the core verifier lets escape on some malformed values (reported upstream);
#: verify_bundle turns them into a failed step rather than a crash
_CORE_BUGS: tuple[type[Exception], ...] = (TypeError, ValueError, KeyError, AttributeError)


class _BundleResolver:
    """Resolves the credential's keys from the DID document as of issuance only; the status
    list's keys from the current DID document when the bundle has one."""

    def __init__(
        self,
        issuance: CompositeResolver,
        current: CompositeResolver | None,
        credential_methods: frozenset[str],
    ) -> None:
        self.issuance = issuance
        self.current = current
        self.credential_methods = credential_methods

    def resolve(self, method_id: str) -> ResolvedMethod:
        if self.current is None or method_id in self.credential_methods:
            return self.issuance.resolve(method_id)
        return self.current.resolve(method_id)


def _age_text(age: timedelta) -> str:
    days = age // timedelta(days=1)
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = age // timedelta(hours=1)
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "less than an hour"


def _tx(record: AnchorRecord) -> str:
    return "0x" + record.tx_hash.hex()


def _anchor_details(record: AnchorRecord) -> dict[str, Any]:
    return {
        "chainId": record.chain_id,
        "txHash": _tx(record),
        "blockNumber": record.block_number,
        "treeSize": record.tree_size,
    }


def _check_leaf(
    evidence: LeafEvidence,
    tree: Checkpoint,
    event: EventType,
    issuer: str,
    digest: bytes,
    what: str,
) -> LogLeaf:
    """Decode a bundled leaf, match it to the bundled part, verify its inclusion; ProofError."""
    if evidence.size != tree.size:
        raise ProofError(
            f"the {what} proof is for tree size {evidence.size}, the checkpoint for {tree.size}",
            code="MALFORMED_PROOF_ERROR",
        )
    try:
        leaf = decode_leaf(evidence.leaf)
    except InvalidInput as exc:
        raise ProofError(f"the {what} leaf: {exc.message}", code="MALFORMED_PROOF_ERROR") from exc
    if leaf.event is not event:
        raise ProofError(f"the {what} leaf records a {leaf.event.name} event, not {event.name}")
    if leaf.issuer != issuer:
        raise ProofError(f"the {what} leaf is for {leaf.issuer}, not {issuer}")
    if leaf.digest != digest:
        raise ProofError(
            f"the {what} leaf's digest does not match the bundled {what}: it was altered or "
            "is not the one the log recorded"
        )
    verify_inclusion(
        evidence.index, evidence.size, leaf_hash(evidence.leaf), evidence.proof, tree.root_hash
    )
    return leaf


class _Verification:
    """One run of :func:`verify_bundle` (keeps the intermediate results together)."""

    def __init__(
        self,
        bundle: Bundle,
        report: BundleReport,
        at: datetime,
        trust: TrustAnchors,
        max_age: timedelta,
        anchor_verifier: AnchorVerifier | None = None,
    ) -> None:
        self.anchor_verifier = anchor_verifier
        self.max_age = max_age
        self.bundle = bundle
        self.report = report
        self.at = at
        self.trust = trust
        self.trusted = bool(trust.log_keys)
        self.tree: Checkpoint | None = (
            None  # the root to check proofs against (may be unauthenticated)
        )
        self.credential_leaf: LogLeaf | None = None
        self.issuer = _issuer_id(bundle.credential) or ""

    # -- log steps: with no pinned key a log step can only inform, never decide
    def log_step(
        self, name: BundleStepName, ok: bool, message: str, code: str | None = None, **details: Any
    ) -> None:
        if self.trusted and self.report.log_trusted:
            outcome = Outcome.PASSED if ok else Outcome.FAILED
        elif self.trusted:  # a pinned key exists but the checkpoint did not verify
            outcome = Outcome.SKIPPED
            message = f"not checked: the checkpoint is not trusted ({message})"
            code = None
        else:
            outcome = Outcome.SKIPPED if ok else Outcome.WARNING
            message = f"unauthenticated (no pinned log key): {message}"
        self.report.add(name, outcome, message, code, **details)

    def run(self) -> None:
        self.trust_step()
        self.credential_step()
        self.checkpoint_step()
        self.cosignature_step()
        self.credential_logged_step()
        self.did_document_steps()
        self.anchor_step()
        self.key_compromise_step()
        self.status_step()

    def trust_step(self) -> None:
        if not self.trusted:
            self.report.add(BundleStepName.TRUST, Outcome.WARNING, NO_TRUST_MESSAGE)
            return
        names = ", ".join(sorted({k.name for k in self.trust.log_keys}))
        self.report.add(
            BundleStepName.TRUST,
            Outcome.PASSED,
            f"{len(self.trust.log_keys)} pinned log key(s) ({names}); "
            f"{len(self.trust.witness_keys)} pinned witness key(s), "
            f"{self.trust.witnesses_required} cosignature(s) required",
        )

    def credential_step(self) -> None:
        bundle = self.bundle
        methods = frozenset(_signing_methods(bundle.credential))
        try:
            resolver = _BundleResolver(
                CompositeResolver(documents=[bundle.did_document]),
                (
                    None
                    if bundle.current_did_document is None
                    else CompositeResolver(documents=[bundle.current_did_document])
                ),
                methods,
            )
        except InvalidInput as exc:
            self.report.add(BundleStepName.CREDENTIAL, Outcome.FAILED, exc.message, exc.code)
            return
        status_lists = {found["id"]: found for found in bundle.all_status_lists}
        options = VerifyOptions(at=self.at, status_lists=status_lists)
        try:
            result = Verifier(resolver).verify(bundle.credential, options)
        except _CORE_BUGS as exc:  # a malformed value the core verifier did not expect
            self.report.add(
                BundleStepName.CREDENTIAL,
                Outcome.FAILED,
                f"the credential or a bundled document holds a malformed value ({exc})",
                "MALFORMED_VALUE_ERROR",
            )
            return
        self.report.credential = result
        if result.verified:
            self.report.add(
                BundleStepName.CREDENTIAL,
                Outcome.PASSED,
                "the credential verifies offline with the bundled DID document and status list",
            )
        else:
            failure = result.first_failure
            self.report.add(
                BundleStepName.CREDENTIAL,
                Outcome.FAILED,
                f"the credential does not verify: {failure.message if failure else 'no proof'}",
                (failure.code if failure else None) or "PROOF_VERIFICATION_ERROR",
            )

    def checkpoint_step(self) -> None:
        text = self.bundle.checkpoint
        if not self.trusted:
            try:
                self.tree = parse_checkpoint(text).checkpoint
            except CredstackError as exc:
                self.report.add(
                    BundleStepName.CHECKPOINT,
                    Outcome.WARNING,
                    "unauthenticated (no pinned log key): the checkpoint is malformed: "
                    + exc.message,
                    exc.code,
                )
                return
            self.report.add(
                BundleStepName.CHECKPOINT,
                Outcome.SKIPPED,
                f"unauthenticated (no pinned log key): checkpoint of {self.tree.origin} at tree "
                f"size {self.tree.size}, signature not checked",
            )
            return
        try:
            verified = verify_checkpoint(text, self.trust.log_keys)
        except CredstackError as exc:
            self.report.add(
                BundleStepName.CHECKPOINT,
                Outcome.FAILED,
                f"the checkpoint is not signed by a pinned log key: {exc.message}",
                exc.code,
            )
            return
        tree = verified.checkpoint
        if tree.origin not in verified.signers:
            self.report.add(
                BundleStepName.CHECKPOINT,
                Outcome.FAILED,
                f"the checkpoint's origin {tree.origin!r} is not the name of the pinned key "
                f"that signed it ({', '.join(verified.signers)})",
                "PROOF_VERIFICATION_ERROR",
            )
            return
        self.tree = tree
        self.report.log_trusted = True
        self.report.add(
            BundleStepName.CHECKPOINT,
            Outcome.PASSED,
            f"signed by pinned log key {tree.origin}: tree size {tree.size}",
            origin=tree.origin,
            size=tree.size,
        )

    def cosignature_step(self) -> None:
        trust = self.trust
        if not trust.witness_keys:
            self.report.add(
                BundleStepName.COSIGNATURES, Outcome.SKIPPED, "no witness key is pinned"
            )
            return
        if not self.report.log_trusted:
            self.report.add(
                BundleStepName.COSIGNATURES,
                Outcome.SKIPPED,
                "not checked: the checkpoint is not signed by a pinned log key",
            )
            return
        try:
            _, cosignatures = verify_cosignatures(
                self.bundle.checkpoint,
                trust.witness_keys,
                required_n=trust.witnesses_required,
                now=self.at + _CLOCK_SKEW,
            )
        except CredstackError as exc:
            self.report.log_trusted = False
            self.report.add(BundleStepName.COSIGNATURES, Outcome.FAILED, exc.message, exc.code)
            return
        names = ", ".join(sorted(c.name for c in cosignatures)) or "none"
        self.report.add(
            BundleStepName.COSIGNATURES,
            Outcome.PASSED,
            f"{len(cosignatures)} cosignature(s) by pinned witnesses ({names}); "
            f"{trust.witnesses_required} required",
            witnesses=[{"name": c.name, "time": format_datetime(c.time)} for c in cosignatures],
        )

    def credential_logged_step(self) -> None:
        if self.tree is None:
            self.log_step(BundleStepName.CREDENTIAL_LOGGED, False, "no readable checkpoint")
            return
        try:
            leaf = _check_leaf(
                self.bundle.credential_log,
                self.tree,
                EventType.CREDENTIAL_ISSUED,
                self.issuer,
                credential_digest(self.bundle.credential),
                "credential",
            )
        except CredstackError as exc:
            self.log_step(BundleStepName.CREDENTIAL_LOGGED, False, exc.message, exc.code)
            return
        self.credential_leaf = leaf
        self.log_step(
            BundleStepName.CREDENTIAL_LOGGED,
            True,
            f"issuance recorded at {_format_time(leaf.time)} as leaf "
            f"{self.bundle.credential_log.index} of {self.tree.size}",
            index=self.bundle.credential_log.index,
            issued=_format_time(leaf.time),
        )

    def did_document_steps(self) -> None:
        bundle = self.bundle
        checks = [
            (BundleStepName.DID_DOCUMENT_LOGGED, bundle.did_document, bundle.did_document_log)
        ]
        if bundle.current_did_document is not None and bundle.current_did_document_log is not None:
            checks.append(
                (
                    BundleStepName.CURRENT_DID_DOCUMENT_LOGGED,
                    bundle.current_did_document,
                    bundle.current_did_document_log,
                )
            )
        for name, document, evidence in checks:
            if self.tree is None:
                self.log_step(name, False, "no readable checkpoint")
                continue
            if document.get("id") != self.issuer:
                self.log_step(
                    name,
                    False,
                    f"the DID document is {document.get('id')!r}, not the issuer's",
                    "PROOF_VERIFICATION_ERROR",
                )
                continue
            try:
                leaf = _check_leaf(
                    evidence,
                    self.tree,
                    EventType.DID_DOCUMENT,
                    self.issuer,
                    did_document_digest(document),
                    "DID document",
                )
            except CredstackError as exc:
                self.log_step(name, False, exc.message, exc.code)
                continue
            when = ""
            if name is BundleStepName.DID_DOCUMENT_LOGGED:
                before = evidence.index < self.bundle.credential_log.index
                when = (
                    " (the version in force at issuance)"
                    if before
                    else " (a version logged after the credential)"
                )
            self.log_step(
                name,
                True,
                f"version of {_format_time(leaf.time)} recorded as leaf {evidence.index}{when}",
                index=evidence.index,
            )

    def anchor_step(self) -> None:
        """Anchors fit the checkpoint (offline: log, size, consistency proof); on chain only
        with an ``anchor_verifier``."""
        name = BundleStepName.ANCHORS
        anchors = self.bundle.anchors
        if not anchors:
            return
        if self.tree is None:
            self.log_step(name, False, "no readable checkpoint")
            return
        for anchor in anchors:
            problem = anchor.problem(self.tree)
            if problem is not None:
                self.log_step(
                    name,
                    False,
                    f"the anchor in transaction {_tx(anchor.record)} does not fit: {problem}",
                    "PROOF_VERIFICATION_ERROR",
                )
                return
        listed = [_anchor_details(a.record) for a in anchors]
        if self.anchor_verifier is None:
            self.report.add(
                name,
                Outcome.SKIPPED,
                f"{len(anchors)} anchor record(s) present and consistent with the checkpoint, "
                "but not checked on chain (verification is offline; give an RPC endpoint of "
                "the chain, --anchor-rpc, to check them)",
                anchors=listed,
            )
            return
        index = self.bundle.credential_log.index
        notes: list[str] = []
        for anchor, details in zip(anchors, listed, strict=True):
            record = anchor.record
            try:
                check = self.anchor_verifier(record)
            except ProofError as exc:
                self.log_step(
                    name, False, f"the anchor in transaction {_tx(record)}: {exc.message}", exc.code
                )
                return
            except CredstackError as exc:  # unreachable endpoint, other chain, too recent
                self.report.add(
                    name,
                    Outcome.WARNING,
                    f"the anchor in transaction {_tx(record)} could not be checked on chain: "
                    f"{exc.message}",
                    exc.code,
                    anchors=listed,
                )
                return
            block_time = _format_time(check.block_time)
            details.update(blockTime=block_time, confirmations=check.confirmations)
            covered = (
                f"; the credential (leaf {index}) was logged no later than {block_time}"
                if index < record.tree_size
                else ""
            )
            notes.append(
                f"tree size {record.tree_size} is in block {record.block_number} of chain "
                f"{record.chain_id} ({block_time}, {check.confirmations} confirmation(s))"
                f"{covered}"
            )
        self.log_step(name, True, "; ".join(notes), anchors=listed)

    def _record_for(self, method_id: str) -> KeyRecord | None:
        multibase: str | None = None
        try:
            multibase = (
                CompositeResolver(documents=[self.bundle.did_document])
                .resolve(method_id)
                .method.public_key_multibase
            )
        except (CredstackError, TypeError, ValueError, KeyError, AttributeError):
            multibase = None
        for record in self.bundle.key_history:
            if record.id == method_id or (multibase and record.public_key_multibase == multibase):
                return record
        return None

    def key_compromise_step(self) -> None:
        name = BundleStepName.KEY_COMPROMISE
        methods = _signing_methods(self.bundle.credential)
        if not self.bundle.key_history:
            self.report.add(
                name,
                Outcome.WARNING,
                "the bundle carries no key history: whether the signing key was compromised "
                "cannot be checked",
            )
            return
        lists = self.bundle.all_status_lists
        for found in lists:
            for method in _signing_methods(found):
                record = self._record_for(method)
                if record is None or record.compromised_since is None:
                    continue
                which = "the status list" if len(lists) == 1 else f"the status list {found['id']}"
                self.report.add(
                    name,
                    Outcome.FAILED,
                    f"{which} is signed with {method}, compromised since "
                    f"{_format_time(record.compromised_since)}: its status evidence is worthless",
                    "STATUS_VERIFICATION_ERROR",
                )
                return
        notes: list[str] = []
        for method in methods:
            record = self._record_for(method)
            if record is None:
                notes.append(f"{method} is not in the key history")
                continue
            if record.compromised_since is None:
                notes.append(f"{method} is {record.status}, not compromised")
                continue
            problem = self._issued_before_compromise(record)
            if problem is not None:
                self.report.add(
                    name,
                    Outcome.FAILED,
                    f"{method} is compromised since {_format_time(record.compromised_since)}, "
                    f"and {problem}",
                    "CRYPTOGRAPHIC_SECURITY_ERROR",
                    verificationMethod=method,
                    compromisedSince=_format_time(record.compromised_since),
                )
                return
            notes.append(
                f"{method} is compromised since {_format_time(record.compromised_since)}, but "
                "the log proves this credential was issued and recorded before that"
            )
        missing = [n for n in notes if n.endswith("is not in the key history")]
        self.report.add(
            name,
            Outcome.WARNING if missing or not methods else Outcome.PASSED,
            "; ".join(notes) or "the credential names no signing key",
        )

    def _issued_before_compromise(self, record: KeyRecord) -> str | None:
        """None when the log proves issuance before the compromise, else what is missing."""
        assert record.compromised_since is not None
        if not self.report.log_trusted or self.tree is None:
            return "without a trusted log the issuance time cannot be proven"
        leaf = self.credential_leaf
        if leaf is None:
            return "the log does not prove when the credential was issued"
        evidence = record.compromise_log
        if evidence is None:
            return (
                "the bundle carries no log proof of the compromise event, so the credential's "
                "log position cannot be compared with it"
            )
        try:
            compromise = _check_leaf(
                evidence,
                self.tree,
                EventType.KEY_COMPROMISED,
                self.issuer,
                key_digest(record.public_key_multibase),
                "key compromise",
            )
        except CredstackError as exc:
            return f"its compromise record does not verify: {exc.message}"
        try:
            stated_ms = time_to_ms(record.compromised_since)
        except InvalidInput:
            stated_ms = -1
        if compromise.time_ms != stated_ms:
            return (
                f"the log records the compromise from {_format_time(compromise.time)}, not "
                "the time the key history states"
            )
        if leaf.time_ms >= compromise.time_ms:
            return f"the credential was issued at {_format_time(leaf.time)}, not before"
        if self.bundle.credential_log.index >= evidence.index:
            return (
                f"the credential was recorded at log position {self.bundle.credential_log.index}, "
                f"after the compromise record at {evidence.index}"
            )
        return None

    def status_step(self) -> None:
        name = BundleStepName.STATUS_FRESHNESS
        bundle = self.bundle
        lists = bundle.all_status_lists
        if not lists:
            if bundle.credential.get("credentialStatus") is None:
                self.report.add(name, Outcome.SKIPPED, "the credential declares no status list")
            else:
                self.report.add(
                    name,
                    Outcome.WARNING,
                    "the bundle carries no status list: revocation was not checked",
                    "STATUS_RETRIEVAL_ERROR",
                )
            return
        # every list's evidence time: its signed validFrom, else when the server took it
        times: list[tuple[str, datetime, bool]] = []
        for found in lists:
            signed: datetime | None = None
            try:
                signed = _optional_time(found.get("validFrom"), "statusList.validFrom")
            except InvalidInput:
                signed = None
            evidence_time = signed or bundle.status_checked_at
            if evidence_time is None:
                self.report.add(
                    name,
                    Outcome.WARNING,
                    "the status evidence carries no time: its freshness is unknown",
                    "STATUS_RETRIEVAL_ERROR",
                )
                return
            times.append((str(found["id"]), evidence_time, signed is not None))
        details: dict[str, Any] = {}
        if len(times) > 1:
            details["statusLists"] = [
                {"id": url, "evidenceTime": _format_time(when)} for url, when, _ in times
            ]
        if bundle.status_checked_at is not None:
            details["statusCheckedAt"] = _format_time(bundle.status_checked_at)
        newest = max(when for _, when, _ in times)
        if self.at - newest < -_CLOCK_SKEW:
            self.report.add(
                name,
                Outcome.WARNING,
                f"the status evidence is dated {_format_time(newest)}, in the future",
                "STATUS_RETRIEVAL_ERROR",
                evidenceTime=_format_time(newest),
                **details,
            )
            return
        url, evidence_time, is_signed = min(times, key=lambda item: item[1])
        age = max(self.at - evidence_time, timedelta(0))
        self.report.status_age = age
        details = {"evidenceTime": _format_time(evidence_time), **details}
        details["ageSeconds"] = int(age.total_seconds())
        source = "status list issued" if is_signed else "status checked"
        which = "" if len(times) == 1 else f"the oldest of {len(times)} status lists, {url}: "
        message = (
            f"status evidence is {_age_text(age)} old "
            f"({which}{source} {_format_time(evidence_time)})"
        )
        change = "a revocation" if len(times) == 1 else "a status change"
        if age > self.max_age:
            self.report.add(
                name,
                Outcome.WARNING,
                f"{message}; older than {_age_text(self.max_age)}: {change} since then "
                "would not show",
                "STATUS_RETRIEVAL_ERROR",
                **details,
            )
        else:
            self.report.add(name, Outcome.PASSED, message, **details)


def verify_bundle(
    bundle: Bundle | Mapping[str, Any] | bytes | str,
    *,
    at: datetime,
    trust: TrustAnchors,
    status_max_age: timedelta = DEFAULT_STATUS_MAX_AGE,
    baked_credential: Mapping[str, Any] | str | None = None,
    anchor_verifier: AnchorVerifier | None = None,
) -> BundleReport:
    """Verify a bundle offline against pinned trust anchors; never touches the network
    itself (only through ``anchor_verifier``, when given).

    Steps: bundle format; (baked credential equals the bundle's); trust anchors; the credential
    with only the bundled DID document and status lists; the checkpoint signed by a pinned log
    key (whose name is its origin) and cosigned by ``witnesses_required`` pinned witnesses; the
    credential leaf (``CREDENTIAL_ISSUED``, its issuer, ``credential_digest``) and the
    DID-document leaf(s) included in the checkpoint's tree; the bundled anchors fit the
    checkpoint (and, with ``anchor_verifier``, e.g.
    :func:`credstack.log.anchor.rpc_anchor_verifier`, are on chain); the key-compromise rule;
    status freshness (of the oldest bundled status list).  Without a pinned log key the log
    steps only inform (skipped or warning) and a warning says the log evidence proves nothing.
    """
    report = BundleReport(checked_at=format_datetime(at))
    try:
        parsed = bundle if isinstance(bundle, Bundle) else parse_bundle(bundle)
    except InvalidInput as exc:
        report.add(BundleStepName.FORMAT, Outcome.FAILED, exc.message, exc.code)
        return report
    report.add(
        BundleStepName.FORMAT,
        Outcome.PASSED,
        f"a {BUNDLE_TYPE}, version {BUNDLE_VERSION}",
    )
    if baked_credential is not None:
        if isinstance(baked_credential, Mapping) and credential_digest(
            baked_credential
        ) == credential_digest(parsed.credential):
            report.add(BundleStepName.BAKED, Outcome.PASSED, "the baked credential is the bundle's")
        else:
            report.add(
                BundleStepName.BAKED,
                Outcome.FAILED,
                "the baked credential differs from the one in the embedded bundle",
                "PROOF_VERIFICATION_ERROR",
            )
    _Verification(parsed, report, at, trust, status_max_age, anchor_verifier).run()
    return report
