"""Optional public-chain anchoring of tree heads (extra ``credstack[anchor]``).

A checkpoint's tree size and root hash (and a digest of the log's origin) are published as the
data of an ordinary Ethereum transaction, so an independent, timestamped public record shows the
log had that tree by that block.  Nothing in credstack needs this to verify anything: it is an
extra piece of evidence on top of signed and cosigned checkpoints.

Payload, version 1 (95 bytes, documented in docs/transparency-log.md, "Public-chain anchoring")::

    b"credstack-log-anchor/v1" || uint64 tree size || 32-byte root hash || SHA-256(origin)

web3.py (https://web3py.readthedocs.io/) is imported lazily: this module imports without it,
and calling a function that talks to a chain without it raises :class:`ConfigurationError`.
Transactions follow EIP-1559 (https://eips.ethereum.org/EIPS/eip-1559) where the chain has a
base fee; the gas limit covers the EIP-7623 calldata floor (https://eips.ethereum.org/EIPS/eip-7623).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

from credstack._json import parse_json_object
from credstack.errors import (
    ConfigurationError,
    CredstackError,
    InvalidInput,
    InvalidState,
    ProofError,
    Unavailable,
)
from credstack.log.checkpoint import Checkpoint, parse_checkpoint
from credstack.log.merkle import HASH_SIZE, MAX_TREE_SIZE
from credstack.proofs.dataintegrity import format_datetime, parse_datetime

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

__all__ = [
    "ANCHOR_MAGIC",
    "ANCHOR_PAYLOAD_SIZE",
    "ANCHOR_RECORD_TYPE",
    "ANCHOR_RECORD_VERSION",
    "AnchorCheck",
    "AnchorPayload",
    "AnchorRecord",
    "AnchorVerifier",
    "RpcAnchorer",
    "anchor_checkpoint",
    "anchor_due",
    "anchor_payload",
    "connect_rpc",
    "decode_anchor_payload",
    "load_account_key",
    "rpc_anchor_verifier",
    "rpc_anchorer",
    "verify_anchor",
]

ANCHOR_MAGIC = b"credstack-log-anchor/v1"
ANCHOR_PAYLOAD_SIZE = len(ANCHOR_MAGIC) + 8 + HASH_SIZE + HASH_SIZE
ANCHOR_RECORD_TYPE = "CredstackLogAnchor"
ANCHOR_RECORD_VERSION = 1
EXTRA_HINT = "install the optional extra: pip install 'credstack[anchor]'"

_TX_BASE_GAS = 21_000
_FLOOR_GAS_PER_TOKEN = 10  # EIP-7623: a zero byte is one token, any other byte four
_UINT64_MAX = 2**64 - 1
_HASH_HEX = re.compile(r"0x[0-9a-f]{64}")
_RECORD_MEMBERS = frozenset(
    {
        "type",
        "version",
        "chainId",
        "txHash",
        "blockNumber",
        "blockHash",
        "origin",
        "treeSize",
        "rootHash",
        "anchoredAt",
    }
)


# ---------------------------------------------------------------------------- payload


@dataclass(frozen=True, slots=True)
class AnchorPayload:
    """A decoded version-1 anchor payload."""

    tree_size: int
    root_hash: bytes
    origin_digest: bytes

    def matches(self, checkpoint: Checkpoint) -> bool:
        return (
            self.tree_size == checkpoint.size
            and self.root_hash == checkpoint.root_hash
            and self.origin_digest == _origin_digest(checkpoint.origin)
        )


def _origin_digest(origin: str) -> bytes:
    return hashlib.sha256(origin.encode("utf-8")).digest()


def anchor_payload(checkpoint: Checkpoint) -> bytes:
    """The transaction data anchoring ``checkpoint`` (version 1, 95 bytes)."""
    _ = checkpoint.body  # the property validates origin, size and root
    return (
        ANCHOR_MAGIC
        + struct.pack(">Q", checkpoint.size)
        + checkpoint.root_hash
        + _origin_digest(checkpoint.origin)
    )


def decode_anchor_payload(data: bytes) -> AnchorPayload:
    """Decode transaction data; anything but a version-1 anchor raises :class:`ProofError`."""
    data = bytes(data)
    if len(data) != ANCHOR_PAYLOAD_SIZE or not data.startswith(ANCHOR_MAGIC):
        raise ProofError(
            f"the transaction data is not a credstack anchor ({len(data)} bytes, expected "
            f"{ANCHOR_PAYLOAD_SIZE} starting with {ANCHOR_MAGIC.decode()!r})",
            code="MALFORMED_PROOF_ERROR",
        )
    offset = len(ANCHOR_MAGIC)
    (size,) = struct.unpack_from(">Q", data, offset)
    if size > MAX_TREE_SIZE:
        raise ProofError(
            f"the anchored tree size {size} is out of range", code="MALFORMED_PROOF_ERROR"
        )
    offset += 8
    root_hash = data[offset : offset + HASH_SIZE]
    origin_digest = data[offset + HASH_SIZE :]
    return AnchorPayload(size, root_hash, origin_digest)


def _payload_floor_gas(payload: bytes) -> int:
    zeros = payload.count(0)
    tokens = zeros + 4 * (len(payload) - zeros)
    return _TX_BASE_GAS + _FLOOR_GAS_PER_TOKEN * tokens


# ---------------------------------------------------------------------------- records


def _hash_hex(value: bytes) -> str:
    return "0x" + value.hex()


def _format_time(at: datetime) -> str:
    at = at.astimezone(UTC)
    if at.microsecond // 1000:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return format_datetime(at)


def _aware(at: object, what: str) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"{what} must be a datetime with a timezone")
    return at


@dataclass(frozen=True, slots=True)
class AnchorRecord:
    """Where a checkpoint was anchored: chain, transaction, block, and what was anchored."""

    chain_id: int
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    origin: str
    tree_size: int
    root_hash: bytes
    anchored_at: datetime

    def __post_init__(self) -> None:
        for name in ("chain_id", "block_number", "tree_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(f"anchor record {name} must be a non-negative integer")
        if self.chain_id == 0 or self.chain_id > _UINT64_MAX:
            raise InvalidInput("anchor record chain_id must be between 1 and 2^64-1")
        if self.tree_size > MAX_TREE_SIZE:
            raise InvalidInput("anchor record tree_size is out of range")
        for name in ("tx_hash", "block_hash", "root_hash"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != HASH_SIZE:
                raise InvalidInput(f"anchor record {name} must be {HASH_SIZE} bytes")
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            raise InvalidInput("anchor record origin must be a non-empty single line")
        at = _aware(self.anchored_at, "anchor record anchored_at").astimezone(UTC)
        # kept in UTC at millisecond precision, as in the JSON form
        object.__setattr__(
            self, "anchored_at", at.replace(microsecond=at.microsecond // 1000 * 1000)
        )

    @property
    def checkpoint(self) -> Checkpoint:
        """The tree head this record claims was anchored (no extension lines)."""
        return Checkpoint(self.origin, self.tree_size, self.root_hash)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (see docs/transparency-log.md, "Public-chain anchoring")."""
        return {
            "type": ANCHOR_RECORD_TYPE,
            "version": ANCHOR_RECORD_VERSION,
            "chainId": self.chain_id,
            "txHash": _hash_hex(self.tx_hash),
            "blockNumber": self.block_number,
            "blockHash": _hash_hex(self.block_hash),
            "origin": self.origin,
            "treeSize": self.tree_size,
            "rootHash": base64.b64encode(self.root_hash).decode("ascii"),
            "anchoredAt": _format_time(self.anchored_at),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | str | bytes) -> AnchorRecord:
        """Parse the JSON form (an object, or its text); anything off raises ``InvalidInput``."""
        if isinstance(value, str | bytes):
            obj: Any = parse_json_object(value, what="anchor record")
        else:
            obj = value
        if not isinstance(obj, Mapping):
            raise InvalidInput("an anchor record must be a JSON object")
        extra = sorted(set(obj) - _RECORD_MEMBERS)
        if extra:
            raise InvalidInput(f"anchor record: unknown members {extra}")
        missing = sorted(_RECORD_MEMBERS - set(obj))
        if missing:
            raise InvalidInput(f"anchor record: missing members {missing}")
        if obj["type"] != ANCHOR_RECORD_TYPE:
            raise InvalidInput(f"anchor record type must be {ANCHOR_RECORD_TYPE!r}")
        if obj["version"] != ANCHOR_RECORD_VERSION or isinstance(obj["version"], bool):
            raise InvalidInput(f"unsupported anchor record version {obj['version']!r}")
        try:
            anchored_at = parse_datetime(obj["anchoredAt"]).astimezone(UTC)
        except InvalidInput as exc:
            raise InvalidInput(f"anchor record anchoredAt: {exc.message}") from None
        except OverflowError:
            raise InvalidInput("anchor record anchoredAt is out of range") from None
        return cls(
            chain_id=obj["chainId"],
            tx_hash=_parse_hash_hex(obj["txHash"], "txHash"),
            block_number=obj["blockNumber"],
            block_hash=_parse_hash_hex(obj["blockHash"], "blockHash"),
            origin=obj["origin"],
            tree_size=obj["treeSize"],
            root_hash=_parse_root(obj["rootHash"]),
            anchored_at=anchored_at,
        )


def _parse_hash_hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or _HASH_HEX.fullmatch(value.lower()) is None:
        raise InvalidInput(f"anchor record {what} must be 0x and 64 hex digits")
    return bytes.fromhex(value[2:])


def _parse_root(value: Any) -> bytes:
    if not isinstance(value, str):
        raise InvalidInput("anchor record rootHash must be base64")
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raise InvalidInput("anchor record rootHash must be base64") from None
    if base64.b64encode(raw).decode("ascii") != value or len(raw) != HASH_SIZE:
        raise InvalidInput(f"anchor record rootHash must be canonical base64 of {HASH_SIZE} bytes")
    return raw


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """A verified anchor: the record, the checkpoint it matches, and what the chain says."""

    record: AnchorRecord
    checkpoint: Checkpoint
    sender: str
    block_time: datetime
    confirmations: int
    latest_block: int


def anchor_due(
    last: AnchorRecord | None, checkpoint_text: str | bytes, *, at: datetime, every: timedelta
) -> bool:
    """Whether to anchor this checkpoint now: never anchored, or the tree changed since
    ``last`` and at least ``every`` has passed since it was anchored."""
    checkpoint = parse_checkpoint(checkpoint_text).checkpoint
    at = _aware(at, "at")
    if last is None:
        return True
    if last.origin != checkpoint.origin:
        raise InvalidInput(
            f"the last anchor is for log {last.origin!r}, the checkpoint for {checkpoint.origin!r}"
        )
    if (last.tree_size, last.root_hash) == (checkpoint.size, checkpoint.root_hash):
        return False
    return at - last.anchored_at >= every


# ---------------------------------------------------------------------------- web3 plumbing


def _web3_module() -> ModuleType:
    limit = sys.getrecursionlimit()
    try:
        import web3
    except ImportError as exc:
        raise ConfigurationError(f"public-chain anchoring needs web3.py; {EXTRA_HINT}") from exc
    finally:
        # web3's py_ecc raises the process-wide recursion limit to 100,000 on import; keep ours
        sys.setrecursionlimit(limit)
    return web3


def connect_rpc(url: str, *, timeout: float = 10.0) -> Web3:
    """A :class:`web3.Web3` for the JSON-RPC endpoint ``url`` (http or https), no retries."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ConfigurationError("the anchoring RPC endpoint must be an http(s) URL")
    web3 = _web3_module()
    provider = web3.HTTPProvider(
        url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
    )
    w3: Web3 = web3.Web3(provider)
    return w3


def _is_unreachable(exc: BaseException) -> bool:
    from web3.exceptions import (
        PersistentConnectionError,
        ProviderConnectionError,
        RequestTimedOut,
        TimeExhausted,
    )

    unreachable = (
        OSError,  # includes requests' ConnectionError and Timeout
        TimeoutError,
        ProviderConnectionError,
        PersistentConnectionError,
        RequestTimedOut,
        TimeExhausted,
    )
    return isinstance(exc, unreachable)


@contextmanager
def _rpc(action: str, refused: Callable[[str], CredstackError]) -> Iterator[None]:
    """Map whatever the provider raises to credstack errors.

    Providers are pluggable and raise their own exception types (an HTTP node answers with
    JSON-RPC errors, the in-process tester raises its validation errors), hence the broad catch.
    """
    try:
        yield
    except CredstackError:
        raise
    except Exception as exc:
        if _is_unreachable(exc):
            raise Unavailable(
                f"{action}: the Ethereum RPC endpoint is unreachable ({exc})"
            ) from exc
        raise refused(f"{action}: {exc}") from exc


def _unavailable(message: str) -> CredstackError:
    return Unavailable(f"the Ethereum RPC endpoint answered with an error: {message}")


def _generation_error(message: str) -> CredstackError:
    return ProofError(
        f"the node refused the anchor transaction: {message}", code="PROOF_GENERATION_ERROR"
    )


def _fail(message: str) -> NoReturn:
    raise ProofError(f"anchor verification failed: {message}")


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        text = value[2:] if value.lower().startswith("0x") else value
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise Unavailable(f"the RPC endpoint returned bad hex {value!r}") from None
    raise Unavailable(f"the RPC endpoint returned {type(value).__name__} where bytes were expected")


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unavailable(f"the RPC endpoint returned no integer {what}")
    return value


# ---------------------------------------------------------------------------- anchoring


def anchor_checkpoint(
    checkpoint_text: str | bytes,
    *,
    web3: Web3,
    account: str | LocalAccount,
    at: datetime,
    timeout: float = 120.0,
) -> AnchorRecord:
    """Publish the checkpoint's size, root and origin digest in a transaction and wait for it.

    ``account`` is either an address the node signs for (``eth_sendTransaction``) or a local
    ``eth_account`` account (signed here, sent with ``eth_sendRawTransaction``).  The
    transaction goes from the account to itself with value 0.  The checkpoint's signatures are
    not checked: anchor only what the log itself signed.
    """
    checkpoint = parse_checkpoint(checkpoint_text).checkpoint
    at = _aware(at, "at")
    payload = anchor_payload(checkpoint)
    _web3_module()
    if isinstance(account, str):
        sender = account
    elif isinstance(getattr(account, "address", None), str) and callable(
        getattr(account, "sign_transaction", None)
    ):
        sender = account.address
    else:
        raise ConfigurationError("account must be an address or an eth_account LocalAccount")
    with _rpc("anchoring", _generation_error):
        from web3 import Web3 as _Web3

        if not _Web3.is_address(sender):
            raise ConfigurationError(f"account {sender!r} is not an Ethereum address")
        address = _Web3.to_checksum_address(sender)
        chain_id = _int(web3.eth.chain_id, "chain id")
        tx: dict[str, Any] = {"from": address, "to": address, "value": 0, "data": payload}
        estimate = web3.eth.estimate_gas(tx)  # type: ignore[arg-type]
        tx["gas"] = max(_int(estimate, "gas estimate"), _payload_floor_gas(payload))
        tx["chainId"] = chain_id
        if isinstance(account, str):
            tx_hash = web3.eth.send_transaction(tx)  # type: ignore[arg-type]
        else:
            tx["nonce"] = web3.eth.get_transaction_count(address, "pending")
            _set_fees(web3, tx)
            del tx["from"]
            signed = account.sign_transaction(tx)
            tx_hash = web3.eth.send_raw_transaction(signed.raw_transaction)
    with _rpc("waiting for the anchor transaction", _unavailable):
        receipt = web3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    if receipt.get("status") != 1:
        raise ProofError(
            f"anchor transaction {_hash_hex(bytes(tx_hash))} failed on chain",
            code="PROOF_GENERATION_ERROR",
        )
    return AnchorRecord(
        chain_id=chain_id,
        tx_hash=_bytes(receipt["transactionHash"]),
        block_number=_int(receipt["blockNumber"], "block number"),
        block_hash=_bytes(receipt["blockHash"]),
        origin=checkpoint.origin,
        tree_size=checkpoint.size,
        root_hash=checkpoint.root_hash,
        anchored_at=at,
    )


def _set_fees(web3: Web3, tx: dict[str, Any]) -> None:
    """EIP-1559 fees when the chain has a base fee (twice the base fee plus the tip), else a
    legacy gas price."""
    base_fee = web3.eth.get_block("latest").get("baseFeePerGas")
    if base_fee is None:
        tx["gasPrice"] = web3.eth.gas_price
        return
    tip = web3.eth.max_priority_fee
    tx["maxPriorityFeePerGas"] = tip
    tx["maxFeePerGas"] = 2 * base_fee + tip


# ---------------------------------------------------------------------------- verification


def verify_anchor(
    record: AnchorRecord,
    checkpoint_text: str | bytes | Checkpoint,
    *,
    web3: Web3,
    min_confirmations: int = 1,
) -> AnchorCheck:
    """Check, through the configured RPC endpoint, that ``record``'s transaction is on chain
    in the recorded block and carries exactly this checkpoint's size, root and origin.

    ``checkpoint_text`` is a checkpoint note or an already established tree head (a
    :class:`Checkpoint`, e.g. one a consistency proof tied to a signed checkpoint).  The
    checkpoint's signatures are not checked here (use ``verify_checkpoint``).  Errors:
    ``ProofError`` (record and checkpoint differ, transaction missing, payload or block
    mismatch), ``ConfigurationError`` (the endpoint serves another chain), ``InvalidState``
    (pending, or fewer than ``min_confirmations``), ``Unavailable`` (endpoint unreachable).
    """
    if not isinstance(record, AnchorRecord):
        raise InvalidInput("record must be an AnchorRecord")
    if isinstance(min_confirmations, bool) or not isinstance(min_confirmations, int):
        raise InvalidInput("min_confirmations must be an integer")
    if min_confirmations < 1:
        raise InvalidInput("min_confirmations must be at least 1")
    if isinstance(checkpoint_text, Checkpoint):
        checkpoint = checkpoint_text
    else:
        checkpoint = parse_checkpoint(checkpoint_text).checkpoint
    _compare_record(record, checkpoint)
    _web3_module()
    from hexbytes import HexBytes
    from web3.exceptions import BlockNotFound, TransactionNotFound

    tx_text = _hash_hex(record.tx_hash)
    with _rpc("verifying the anchor", _unavailable):
        chain_id = _int(web3.eth.chain_id, "chain id")
        if chain_id != record.chain_id:
            raise ConfigurationError(
                f"the RPC endpoint serves chain id {chain_id} but the anchor is on chain id "
                f"{record.chain_id}; configure an endpoint for chain {record.chain_id}"
            )
        try:
            tx = web3.eth.get_transaction(HexBytes(record.tx_hash))
        except TransactionNotFound:
            _fail(f"transaction {tx_text} is not on chain {chain_id}")
        if _bytes(tx["hash"]) != record.tx_hash:
            _fail(f"the endpoint returned another transaction for {tx_text}")
        tx_chain = tx.get("chainId")
        if tx_chain is not None and _int(tx_chain, "transaction chain id") != record.chain_id:
            _fail(f"transaction {tx_text} is for chain id {tx_chain}")
        block_number = tx.get("blockNumber")
        if block_number is None:
            raise InvalidState(f"anchor transaction {tx_text} is still pending")
        payload = decode_anchor_payload(_bytes(tx["input"]))
        _compare_payload(payload, checkpoint)
        if _int(block_number, "block number") != record.block_number:
            _fail(
                f"transaction {tx_text} is in block {block_number}, the record says "
                f"{record.block_number} (chain reorganised?)"
            )
        if _bytes(tx["blockHash"]) != record.block_hash:
            _fail(f"transaction {tx_text} is in another block than the record says")
        receipt = web3.eth.get_transaction_receipt(HexBytes(record.tx_hash))
        if receipt.get("status") != 1:
            _fail(f"transaction {tx_text} failed on chain")
        try:
            block = web3.eth.get_block(record.block_number)
        except BlockNotFound:
            _fail(f"block {record.block_number} is not on chain {chain_id}")
        if _bytes(block["hash"]) != record.block_hash:
            _fail(f"block {record.block_number} is not the recorded block (chain reorganised?)")
        block_time = datetime.fromtimestamp(_int(block["timestamp"], "block time"), UTC)
        latest = _int(web3.eth.block_number, "latest block number")
        sender = str(tx["from"])
    confirmations = latest - record.block_number + 1
    if confirmations < min_confirmations:
        raise InvalidState(
            f"anchor transaction {tx_text} has {confirmations} confirmation(s), "
            f"{min_confirmations} required"
        )
    return AnchorCheck(record, checkpoint, sender, block_time, confirmations, latest)


def _compare_record(record: AnchorRecord, checkpoint: Checkpoint) -> None:
    if record.origin != checkpoint.origin:
        _fail(f"the record is for log {record.origin!r}, the checkpoint for {checkpoint.origin!r}")
    if record.tree_size != checkpoint.size:
        _fail(f"the record is for tree size {record.tree_size}, the checkpoint {checkpoint.size}")
    if record.root_hash != checkpoint.root_hash:
        _fail("the record's root hash differs from the checkpoint's")


def _compare_payload(payload: AnchorPayload, checkpoint: Checkpoint) -> None:
    if payload.tree_size != checkpoint.size:
        _fail(
            f"the transaction anchors tree size {payload.tree_size}, "
            f"the checkpoint is size {checkpoint.size}"
        )
    if payload.root_hash != checkpoint.root_hash:
        _fail("the transaction anchors another root hash than the checkpoint's")
    if payload.origin_digest != _origin_digest(checkpoint.origin):
        _fail(f"the transaction anchors another log than {checkpoint.origin!r}")


# ---------------------------------------------------------------------------- service plumbing

#: a private key file is one line of hex; anything larger is not one
_KEY_FILE_MAX_BYTES = 1024
_PRIVATE_KEY_HEX = re.compile(r"(0x)?[0-9a-fA-F]{64}")

AnchorVerifier = Callable[[AnchorRecord], AnchorCheck]
"""Checks one anchor record on chain against the tree head it names (``record.checkpoint``)."""


def load_account_key(path: str | os.PathLike[str]) -> LocalAccount:
    """The ``eth_account`` account of a key file: the 32-byte secp256k1 private key as 64 hex
    digits (``0x`` optional) on one line.  The key never appears in an error message."""
    file = Path(path)
    try:
        with file.open("rb") as fh:
            data = fh.read(_KEY_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the anchoring key file {file}: {exc.strerror or exc}"
        ) from None
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    if len(data) > _KEY_FILE_MAX_BYTES or _PRIVATE_KEY_HEX.fullmatch(text) is None:
        raise ConfigurationError(
            f"the anchoring key file {file} must hold one Ethereum private key: 64 hex digits"
        )
    _web3_module()
    from eth_account import Account

    try:
        account: LocalAccount = Account.from_key(text)
    except Exception:  # the library's own error text may quote the key
        raise ConfigurationError(
            f"the anchoring key file {file} does not hold a valid secp256k1 private key"
        ) from None
    return account


@dataclass(frozen=True, slots=True)
class RpcAnchorer:
    """Anchors checkpoints through one JSON-RPC endpoint with one account: the anchoring port
    of ``credstack.platform.translog.anchor_if_due``, called as ``anchorer(text, at)``."""

    web3: Web3
    account: str | LocalAccount = field(repr=False)
    timeout: float = 120.0

    def __call__(self, checkpoint_text: str, at: datetime) -> AnchorRecord:
        return anchor_checkpoint(
            checkpoint_text, web3=self.web3, account=self.account, at=at, timeout=self.timeout
        )


def rpc_anchorer(
    url: str, key_file: str | os.PathLike[str], *, timeout: float = 120.0
) -> RpcAnchorer:
    """An :class:`RpcAnchorer` for the endpoint ``url`` signing with the key in ``key_file``
    (see :func:`load_account_key`); nothing is sent until it is called."""
    account = load_account_key(key_file)
    return RpcAnchorer(connect_rpc(url), account, timeout)


def rpc_anchor_verifier(
    url: str, *, min_confirmations: int = 1, timeout: float = 10.0
) -> AnchorVerifier:
    """An :data:`AnchorVerifier` asking the endpoint ``url`` (connected on first use)."""
    if isinstance(min_confirmations, bool) or not isinstance(min_confirmations, int):
        raise ConfigurationError("the number of confirmations must be an integer")
    if min_confirmations < 1:
        raise ConfigurationError("at least one confirmation is required")
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ConfigurationError("the anchoring RPC endpoint must be an http(s) URL")
    connected: list[Web3] = []

    def check(record: AnchorRecord) -> AnchorCheck:
        if not connected:
            connected.append(connect_rpc(url, timeout=timeout))
        return verify_anchor(
            record, record.checkpoint, web3=connected[0], min_confirmations=min_confirmations
        )

    return check
