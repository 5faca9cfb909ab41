"""Python bridge to the JavaScript reference harness in ``interop/js``.

The harness runs @digitalbazaar/vc 7 (Data Integrity, eddsa-rdfc-2022) with an offline
document loader; see ``interop/js/loader.mjs``.  Each helper starts one ``node`` process,
writes a JSON request on stdin and reads one JSON line back.
https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

from credstack.errors import ConfigurationError, CredstackError

JS_DIR = Path(__file__).resolve().parents[2] / "interop" / "js"
NODE_TIMEOUT_S = 120.0
NPM_TIMEOUT_S = 600.0

Purpose = Literal["issuance", "assertion"]


class JsStatusEntry(TypedDict):
    """One checked ``credentialStatus`` entry (``status`` true = bit set)."""

    purpose: str | None
    status: bool | None
    verified: bool


class JsVerifyResult(TypedDict):
    """What ``verify.mjs`` prints."""

    verified: bool
    errors: list[str]
    status: NotRequired[list[JsStatusEntry]]


class JsBenchResult(TypedDict):
    """What ``bench.mjs`` prints."""

    issue_per_s: float
    verify_per_s: float
    n_issue: int
    n_verify: int


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigurationError(
            f"'{name}' was not found on PATH; the JavaScript interop harness needs Node.js 20+ "
            "and npm (https://nodejs.org/)."
        )
    return path


def ensure_node_modules() -> None:
    """Run ``npm ci`` unless ``node_modules`` exists and is newer than the lock file."""
    _tool("node")
    installed = JS_DIR / "node_modules" / ".package-lock.json"  # written by npm on install
    if (
        installed.is_file()
        and installed.stat().st_mtime >= (JS_DIR / "package-lock.json").stat().st_mtime
    ):
        return
    npm = _tool("npm")
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigurationError(f"npm ci in {JS_DIR} could not run: {exc}") from exc
    if done.returncode != 0:
        raise ConfigurationError(
            f"npm ci in {JS_DIR} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )


def _run_node(
    script: str, payload: dict[str, Any] | None, *args: str, timeout: float = NODE_TIMEOUT_S
) -> Any:
    """Run ``node <script> [args]`` with ``payload`` on stdin; return the parsed stdout JSON."""
    node = _tool("node")
    stdin = "" if payload is None else json.dumps(payload)
    try:
        done = subprocess.run(
            [node, str(JS_DIR / script), *args],
            cwd=JS_DIR,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CredstackError(f"node {script} could not run: {exc}") from exc
    if done.returncode != 0:
        raise CredstackError(
            f"node {script} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise CredstackError(f"node {script} printed no JSON: {done.stdout[:500]!r}") from exc


def _as_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CredstackError(f"{what} is not a JSON object")
    return value


def _iso(created: str | datetime | None) -> str | None:
    if created is None or isinstance(created, str):
        return created
    if created.tzinfo is None:
        raise CredstackError("created must be timezone-aware")
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_pair(key_pair: dict[str, Any]) -> dict[str, str]:
    """Accept ``secretKeyMultibase`` or the vectors' ``privateKeyMultibase``."""
    public = key_pair.get("publicKeyMultibase")
    secret = key_pair.get("secretKeyMultibase", key_pair.get("privateKeyMultibase"))
    if not isinstance(public, str) or not isinstance(secret, str):
        raise CredstackError("key pair needs publicKeyMultibase and secretKeyMultibase strings")
    return {"publicKeyMultibase": public, "secretKeyMultibase": secret}


def verify_request(
    credential: dict[str, Any],
    documents: dict[str, dict[str, Any]] | None = None,
    purpose: Purpose = "issuance",
    now: str | datetime | None = None,
) -> dict[str, Any]:
    """One ``verify.mjs`` request (for :func:`js_verify_many`)."""
    request: dict[str, Any] = {"credential": credential, "purpose": purpose}
    if documents:
        request["documents"] = documents
    if now is not None:
        request["now"] = _iso(now)
    return request


def _verify_result(value: Any) -> JsVerifyResult:
    out = _as_object(value, "verify.mjs output")
    if not isinstance(out.get("verified"), bool) or not isinstance(out.get("errors"), list):
        raise CredstackError(f"verify.mjs printed an unexpected result: {out!r}")
    result: JsVerifyResult = {
        "verified": out["verified"],
        "errors": [str(e) for e in out["errors"]],
    }
    if isinstance(out.get("status"), list):
        result["status"] = out["status"]
    return result


def js_verify(
    credential: dict[str, Any],
    documents: dict[str, dict[str, Any]] | None = None,
    purpose: Purpose = "issuance",
    now: str | datetime | None = None,
) -> JsVerifyResult:
    """Verify ``credential`` with @digitalbazaar/vc (offline; ``documents`` = extra URL → doc)."""
    request = verify_request(credential, documents, purpose, now)
    return _verify_result(_run_node("verify.mjs", request))


def js_verify_many(requests: list[dict[str, Any]]) -> list[JsVerifyResult]:
    """Verify several :func:`verify_request` requests in one ``node`` process, in order."""
    out = _run_node("verify.mjs", {"batch": requests})
    if not isinstance(out, list) or len(out) != len(requests):
        raise CredstackError("verify.mjs printed no result list of the request count")
    return [_verify_result(item) for item in out]


def sign_request(
    credential: dict[str, Any],
    key_pair_dict: dict[str, Any],
    verification_method: str | None = None,
    created: str | datetime | None = None,
    controller: str | None = None,
    documents: dict[str, dict[str, Any]] | None = None,
    cryptosuite: str | None = None,
) -> dict[str, Any]:
    """One ``sign.mjs`` request (for :func:`js_sign_many`)."""
    request: dict[str, Any] = {"credential": credential, "keyPair": _key_pair(key_pair_dict)}
    if verification_method is not None:
        request["verificationMethod"] = verification_method
    if controller is not None:
        request["controller"] = controller
    if created is not None:
        request["created"] = _iso(created)
    if documents:
        request["documents"] = documents
    if cryptosuite is not None:
        request["cryptosuite"] = cryptosuite
    return request


def js_sign(
    credential: dict[str, Any],
    key_pair_dict: dict[str, Any],
    verification_method: str | None = None,
    created: str | datetime | None = None,
    controller: str | None = None,
    documents: dict[str, dict[str, Any]] | None = None,
    cryptosuite: str | None = None,
) -> dict[str, Any]:
    """Sign ``credential`` with DataIntegrityProof (default eddsa-rdfc-2022) in JavaScript."""
    request = sign_request(
        credential, key_pair_dict, verification_method, created, controller, documents, cryptosuite
    )
    return _as_object(_run_node("sign.mjs", request), "sign.mjs output")


def js_sign_many(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sign several :func:`sign_request` requests in one ``node`` process, in order."""
    out = _run_node("sign.mjs", {"batch": requests})
    if not isinstance(out, list) or len(out) != len(requests):
        raise CredstackError("sign.mjs printed no result list of the request count")
    return [_as_object(item, "sign.mjs output") for item in out]


def js_bench(
    credential: dict[str, Any], key_pair_dict: dict[str, Any], seconds: float
) -> JsBenchResult:
    """Issue and verify throughput of the JS stack (about ``seconds`` for each phase)."""
    request = {"credential": credential, "keyPair": _key_pair(key_pair_dict), "seconds": seconds}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-request.json"
        path.write_text(json.dumps(request), encoding="utf-8")
        timeout = max(NODE_TIMEOUT_S, 2 * seconds + 60)
        out = _as_object(
            _run_node("bench.mjs", None, str(path), timeout=timeout), "bench.mjs output"
        )
    try:
        return {
            "issue_per_s": float(out["issue_per_s"]),
            "verify_per_s": float(out["verify_per_s"]),
            "n_issue": int(out["n_issue"]),
            "n_verify": int(out["n_verify"]),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise CredstackError(f"bench.mjs printed an unexpected result: {out!r}") from exc
