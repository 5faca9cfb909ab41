"""Scheduled public-chain anchoring by the service: the maintenance tick anchors the log's tree
head when due (against eth-tester in process), stores the record, lists it at
``GET /log/anchors`` and puts it in bundles; a chain that is down stores nothing."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import socket
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from starlette.exceptions import StarletteDeprecationWarning
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from credstack.api import create_app
from credstack.api.maintenance import tick
from credstack.cli.main import main
from credstack.cli.serve import anchoring_from_args
from credstack.errors import ConfigurationError, InvalidState, Unavailable
from credstack.log.anchor import (
    AnchorRecord,
    RpcAnchorer,
    load_account_key,
    rpc_anchorer,
    verify_anchor,
)
from credstack.log.bundle import BundleStepName, TrustAnchors, verify_bundle
from credstack.log.checkpoint import parse_checkpoint
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import AchievementVersion, Organisation
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.organisations import create_organisation
from credstack.platform.platform_identity import ensure_platform_key, platform_did_document
from credstack.platform.translog import (
    Anchorer,
    Anchoring,
    anchor_if_due,
    credential_bundle,
    log_origin,
    log_verifiers,
)
from credstack.storage.memory import MemoryDatabase
from credstack.verify.report import Outcome
from tests.platform.conftest import BASE, DESIGN, HOST, T0

EVERY = timedelta(hours=1)
KEY_HEX = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Deployment:
    db: MemoryDatabase
    custody: KeyCustody
    org: Organisation
    version: AchievementVersion
    clock: Clock
    w3: Web3
    calls: list[str]

    def issue(self, email: str) -> str:
        uow = self.db.unit_of_work()
        issuer = Issuer(uow, self.custody, self.org, BASE)
        issued = issuer.issue(self.version, IssueRequest(email=email), at=self.clock())
        uow.commit()
        return issued.id

    def stored(self) -> list[AnchorRecord]:
        return self.db.unit_of_work().log.anchors(limit=100)

    def app(self, anchorer: Anchorer | None = None, every: timedelta = EVERY) -> Any:
        return create_app(
            database=self.db,
            custody=self.custody,
            base_url=BASE,
            clock=self.clock,
            run_jobs_inline=True,
            web=False,
            anchoring=Anchoring(anchorer or self.anchorer(), every),
        )

    def anchorer(self) -> Anchorer:
        chain = RpcAnchorer(self.w3, str(self.w3.eth.accounts[0]))

        def counted(text: str, at: datetime) -> AnchorRecord:
            self.calls.append(text)
            return chain(text, at)

        return counted


@pytest.fixture
def deployment() -> Deployment:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    ensure_platform_key(uow, custody, HOST, at=T0)
    org = create_organisation(uow, custody, host=HOST, slug="uni", name="Uni", at=T0)
    draft = create_achievement(uow, org, DESIGN, base_url=BASE, at=T0)
    version = publish(uow, org, draft.id, at=T0)
    uow.commit()
    w3 = Web3(EthereumTesterProvider())
    return Deployment(db, custody, org, version, Clock(T0 + timedelta(days=1)), w3, [])


def _down(text: str, at: datetime) -> AnchorRecord:
    raise Unavailable("the Ethereum RPC endpoint is unreachable (connection refused)")


def _verifiers(deployment: Deployment) -> TrustAnchors:
    uow = deployment.db.unit_of_work()
    return TrustAnchors(log_keys=tuple(log_verifiers(platform_did_document(uow, HOST), HOST)))


# ---------------------------------------------------------------------------- the tick


def test_tick_anchors_once_then_again_after_new_leaf_and_interval(
    deployment: Deployment,
) -> None:
    app = deployment.app()
    first = tick(app).anchor
    assert first is not None
    assert deployment.stored() == [first]
    assert (first.origin, first.tree_size) == (log_origin(HOST), 2)  # key + DID document
    assert first.anchored_at == deployment.clock()
    head = deployment.db.unit_of_work().log.latest_checkpoint()
    assert head is not None
    assert head.size == 2
    assert verify_anchor(first, head.text, web3=deployment.w3).confirmations == 1

    deployment.clock.now += EVERY * 5  # no new leaf: nothing to anchor however long it waits
    assert tick(app).anchor is None
    assert len(deployment.calls) == 1

    deployment.issue("late@example.org")
    deployment.clock.now += EVERY - timedelta(seconds=1)
    assert tick(app).anchor is not None  # the last anchor is old enough already
    deployment.issue("later@example.org")
    deployment.clock.now += EVERY - timedelta(seconds=1)
    assert tick(app).anchor is None  # grown, but too soon after the last anchor
    deployment.clock.now += timedelta(seconds=1)
    third = tick(app).anchor
    assert third is not None
    assert third.tree_size == 4
    assert [r.tree_size for r in deployment.stored()] == [4, 3, 2]
    assert len(deployment.calls) == 3


def test_tick_with_chain_down_logs_and_stores_nothing(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    app = deployment.app(_down)
    with caplog.at_level(logging.WARNING, logger="credstack.maintenance"):
        report = tick(app)
    assert report.anchor is None
    assert deployment.stored() == []
    assert "anchoring the transparency log failed" in caplog.text
    assert "unreachable" in caplog.text
    # the chain is back: the next round anchors
    assert tick(deployment.app()).anchor is not None
    assert len(deployment.stored()) == 1


def test_tick_with_unreachable_rpc_endpoint_stores_nothing(
    deployment: Deployment, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    key_file = tmp_path / "anchor.key"
    key_file.write_text(KEY_HEX + "\n")
    anchorer = rpc_anchorer(f"http://127.0.0.1:{port}", key_file, timeout=2.0)
    assert tick(deployment.app(anchorer)).anchor is None
    assert deployment.stored() == []
    with pytest.raises(Unavailable, match="unreachable"):
        anchor_if_due(
            deployment.db.unit_of_work,
            deployment.custody,
            HOST,
            anchorer,
            at=deployment.clock(),
            every=EVERY,
        )


def test_tick_survives_an_anchorer_that_crashes(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str, at: datetime) -> AnchorRecord:
        raise RuntimeError("a bug in the plug-in")

    with caplog.at_level(logging.ERROR, logger="credstack.maintenance"):
        assert tick(deployment.app(broken)).anchor is None
    assert deployment.stored() == []
    assert "a bug in the plug-in" in caplog.text


def test_tick_without_anchoring_configured_anchors_nothing(deployment: Deployment) -> None:
    app = create_app(
        database=deployment.db,
        custody=deployment.custody,
        base_url=BASE,
        clock=deployment.clock,
        web=False,
    )
    assert tick(app).anchor is None
    assert deployment.stored() == []


# ---------------------------------------------------------------------------- anchor_if_due


def test_anchor_if_due_on_empty_log_does_nothing() -> None:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    ensure_platform_key(uow, custody, HOST, at=T0)
    uow.commit()
    calls: list[str] = []

    def anchorer(text: str, at: datetime) -> AnchorRecord:
        calls.append(text)
        raise AssertionError("not called")

    assert anchor_if_due(db.unit_of_work, custody, HOST, anchorer, at=T0, every=EVERY) is None
    assert calls == []


@pytest.mark.parametrize(
    "change",
    [{"tree_size": 3}, {"root_hash": bytes(32)}, {"origin": "other.example/log"}],
)
def test_anchor_if_due_refuses_a_record_of_another_head(
    deployment: Deployment, change: dict[str, Any]
) -> None:
    chain = deployment.anchorer()

    def wrong(text: str, at: datetime) -> AnchorRecord:
        return dataclasses.replace(chain(text, at), **change)

    with pytest.raises(InvalidState, match="another tree head"):
        anchor_if_due(
            deployment.db.unit_of_work,
            deployment.custody,
            HOST,
            wrong,
            at=deployment.clock(),
            every=EVERY,
        )
    assert deployment.stored() == []


def test_anchor_stored_on_chain_but_not_in_database_names_the_transaction(
    deployment: Deployment,
) -> None:
    commits: list[int] = []

    def fail_second_commit() -> None:
        commits.append(1)
        if len(commits) == 2:  # the first commits the checkpoint, the second the record
            raise OSError("disk full")

    deployment.db.before_commit = fail_second_commit
    with pytest.raises(Unavailable, match=r"anchored in transaction 0x[0-9a-f]{64}"):
        anchor_if_due(
            deployment.db.unit_of_work,
            deployment.custody,
            HOST,
            deployment.anchorer(),
            at=deployment.clock(),
            every=EVERY,
        )
    deployment.db.before_commit = None
    assert deployment.stored() == []


def test_anchoring_configuration_is_checked() -> None:
    with pytest.raises(ConfigurationError):
        Anchoring(_down, timedelta(seconds=-1))
    with pytest.raises(ConfigurationError):
        Anchoring("not callable", EVERY)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- HTTP


def test_get_log_anchors_lists_records_newest_first(deployment: Deployment) -> None:
    app = deployment.app(every=timedelta(0))
    with TestClient(app, base_url=BASE) as client:
        empty = client.get("/log/anchors")
        assert empty.status_code == 200
        assert empty.json()["anchors"] == []
        first = tick(app).anchor
        deployment.issue("a@example.org")
        second = tick(app).anchor
        assert first is not None
        assert second is not None
        response = client.get("/log/anchors")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=10"
        body = response.json()
        assert body["anchors"] == [second.to_json(), first.to_json()]
        assert [AnchorRecord.from_json(a) for a in body["anchors"]] == [second, first]
        page = client.get("/log/anchors", params={"limit": 1, "offset": 1}).json()
        assert page["anchors"] == [first.to_json()]
        for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}):
            bad = client.get("/log/anchors", params=params)
            assert bad.status_code == 400, params
            assert bad.headers["content-type"].startswith("application/problem+json")


# ---------------------------------------------------------------------------- bundles and CLI


def _bundle_with_anchor(deployment: Deployment) -> tuple[dict[str, Any], AnchorRecord]:
    credential_id = deployment.issue("anchored@example.org")
    app = deployment.app()
    anchored = tick(app).anchor
    assert anchored is not None
    deployment.issue("after@example.org")  # the bundle's checkpoint is larger than the anchor
    uow = deployment.db.unit_of_work()
    found = uow.credentials.get(credential_id)
    assert found is not None
    bundle = credential_bundle(
        uow, deployment.custody, HOST, BASE, deployment.org, found, deployment.clock()
    )
    uow.commit()
    assert parse_checkpoint(bundle.checkpoint).checkpoint.size == anchored.tree_size + 1
    return bundle.to_json(), anchored


def test_bundle_carries_anchor_with_consistency_proof(deployment: Deployment) -> None:
    data, anchored = _bundle_with_anchor(deployment)
    assert [a["record"] for a in data["anchors"]] == [anchored.to_json()]
    assert data["anchors"][0]["consistency"]  # from size 3 to 4: not empty
    at = deployment.clock() + timedelta(days=1)
    offline = verify_bundle(data, at=at, trust=_verifiers(deployment))
    assert offline.verified, offline.render()
    step = offline.step(BundleStepName.ANCHORS)
    assert step is not None
    assert step.outcome is Outcome.SKIPPED
    assert "not checked on chain" in step.message

    def on_chain(record: AnchorRecord) -> Any:
        return verify_anchor(record, record.checkpoint, web3=deployment.w3)

    online = verify_bundle(data, at=at, trust=_verifiers(deployment), anchor_verifier=on_chain)
    assert online.verified, online.render()
    step = online.step(BundleStepName.ANCHORS)
    assert step is not None
    assert step.outcome is Outcome.PASSED
    assert "the credential (leaf 2) was logged no later than" in step.message


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def test_cli_verify_bundle_checks_anchor_only_with_anchor_rpc(
    deployment: Deployment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, anchored = _bundle_with_anchor(deployment)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    vkey = _verifiers(deployment).log_keys[0].to_vkey()
    at = (deployment.clock() + timedelta(days=1)).isoformat()
    code, out, _ = _run(capsys, "verify", str(path), "--at", at, "--log-key", vkey)
    assert code == 0, out
    assert "present and consistent with the checkpoint, but not checked on chain" in out

    urls: list[str] = []

    def connect(url: str, *, timeout: float = 10.0) -> Web3:  # the in-process chain
        urls.append(url)
        return deployment.w3

    monkeypatch.setattr("credstack.log.anchor.connect_rpc", connect)
    rpc = "http://127.0.0.1:8545"
    args = ("verify", str(path), "--at", at, "--log-key", vkey, "--anchor-rpc", rpc)
    code, out, _ = _run(capsys, *args)
    assert code == 0, out
    assert f"tree size {anchored.tree_size} is in block {anchored.block_number}" in out
    assert urls == [rpc]

    code, out, _ = _run(capsys, *args, "--anchor-confirmations", "50")
    assert code == 0, out  # too recent: a warning, the verdict stands
    assert "could not be checked on chain" in out
    assert "50 required" in out

    forged = json.loads(json.dumps(data))
    forged["anchors"][0]["record"]["blockHash"] = "0x" + "ab" * 32
    path.write_text(json.dumps(forged), encoding="utf-8")
    code, out, _ = _run(capsys, *args)
    assert code == 1
    assert "another block" in out

    code, _, err = _run(capsys, "verify", str(path), "--anchor-rpc", "file:///etc/passwd")
    assert code == 2
    assert "http(s) URL" in err


# ---------------------------------------------------------------------------- configuration


def _serve_args(**values: Any) -> argparse.Namespace:
    base = {"anchor_rpc": None, "anchor_key": None, "anchor_every": 3600}
    return argparse.Namespace(**{**base, **values})


def test_serve_anchoring_options(tmp_path: Path) -> None:
    assert anchoring_from_args(_serve_args()) is None
    key_file = tmp_path / "anchor.key"
    key_file.write_text("0x" + KEY_HEX + "\n")
    anchoring = anchoring_from_args(
        _serve_args(anchor_rpc="http://127.0.0.1:8545", anchor_key=str(key_file), anchor_every=600)
    )
    assert anchoring is not None
    assert anchoring.every == timedelta(minutes=10)
    assert isinstance(anchoring.anchorer, RpcAnchorer)
    assert KEY_HEX not in repr(anchoring)
    with pytest.raises(ConfigurationError, match="go together"):
        anchoring_from_args(_serve_args(anchor_rpc="http://127.0.0.1:8545"))
    with pytest.raises(ConfigurationError, match="--anchor-every"):
        anchoring_from_args(
            _serve_args(anchor_rpc="http://x.example", anchor_key=str(key_file), anchor_every=0)
        )


def test_anchor_key_file_is_checked_without_revealing_it(tmp_path: Path) -> None:
    good = tmp_path / "good.key"
    good.write_text(KEY_HEX)
    assert load_account_key(good).address == Account.from_key(KEY_HEX).address
    for name, content in (
        ("short.key", KEY_HEX[:-2]),
        ("text.key", "not a key at all"),
        ("big.key", KEY_HEX * 100),
        ("zero.key", "00" * 32),  # 64 hex digits, but not a valid secp256k1 key
    ):
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(ConfigurationError) as caught:
            load_account_key(path)
        assert content not in caught.value.message
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_account_key(tmp_path / "missing.key")


def test_rpc_anchorer_with_local_key_anchors(deployment: Deployment, tmp_path: Path) -> None:
    key_file = tmp_path / "anchor.key"
    key_file.write_text(KEY_HEX)
    account = load_account_key(key_file)
    w3 = deployment.w3
    w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": account.address, "value": Wei(10**18)}
    )
    anchorer = RpcAnchorer(w3, account)
    record = tick(deployment.app(anchorer)).anchor
    assert record is not None
    head = deployment.db.unit_of_work().log.checkpoint(record.tree_size)
    assert head is not None
    assert verify_anchor(record, head.text, web3=w3).sender == account.address
    assert record.anchored_at.tzinfo is UTC
