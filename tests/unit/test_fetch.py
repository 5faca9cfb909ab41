"""GuardedFetcher against real loopback servers (plain HTTP and TLS) started by the tests."""

from __future__ import annotations

import ipaddress
import itertools
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from credstack.errors import ConfigurationError, FetchError
from credstack.resolve.fetch import GuardedFetcher, is_forbidden_address

DOC = b'{"id": "https://issuer.test/doc"}'
LIMIT = 1000


class _Handler(BaseHTTPRequestHandler):
    """Routes: /doc, /host, /big, /stream, /exact, /hop/N, /away, /down, /status/N."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        length: bool = True,
    ) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:
        server: Any = self.server
        server.hits.append(self.path)
        port = server.server_address[1]
        if self.path == "/doc":
            self._send(200, DOC, {"Content-Type": "application/json"})
        elif self.path == "/host":
            self._send(200, (self.headers.get("Host") or "").encode())
        elif self.path == "/big":
            self._send(200, b"x" * (LIMIT + 1))
        elif self.path == "/stream":  # no Content-Length: the body ends when the server closes
            self._send(200, b"y" * (LIMIT * 5), length=False)
        elif self.path == "/exact":
            self._send(200, b"z" * LIMIT)
        elif self.path.startswith("/hop/"):
            left = int(self.path.rsplit("/", 1)[1])
            target = "/doc" if left == 0 else f"/hop/{left - 1}"
            self._send(302, headers={"Location": target})
        elif self.path == "/away":  # same server, but an origin that is not allowlisted
            self._send(302, headers={"Location": f"http://localhost:{port}/doc"})
        elif self.path == "/private":
            self._send(302, headers={"Location": "https://10.1.2.3/doc"})
        elif self.path == "/down":
            self._send(302, headers={"Location": server.downgrade_to})
        elif self.path == "/nolocation":
            self._send(302)
        elif self.path.startswith("/status/"):
            self._send(int(self.path.rsplit("/", 1)[1]), b"{}")
        else:
            self._send(404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hits: list[str]
    downgrade_to: str


def _start(server: _Server) -> Iterator[_Server]:
    server.hits = []
    server.downgrade_to = ""
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def http_server() -> Iterator[_Server]:
    yield from _start(_Server(("127.0.0.1", 0), _Handler))


def _origin(server: _Server, scheme: str = "http", host: str = "127.0.0.1") -> tuple[str, str, int]:
    return (scheme, host, server.server_address[1])


def _url(server: _Server, path: str, scheme: str = "http", host: str = "127.0.0.1") -> str:
    return f"{scheme}://{host}:{server.server_address[1]}{path}"


def _fetcher(server: _Server, **kwargs: Any) -> GuardedFetcher:
    return GuardedFetcher(allow=[_origin(server)], max_bytes=LIMIT, **kwargs)


# -- allowlisted plain HTTP --------------------------------------------------------------------


def test_fetch_allowlisted_origin_returns_body(http_server: _Server) -> None:
    assert _fetcher(http_server).fetch(_url(http_server, "/doc")) == DOC


def test_fetch_without_allowlist_refuses_http(http_server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        GuardedFetcher().fetch(_url(http_server, "/doc"))
    assert info.value.code == "FETCH_REFUSED"
    assert http_server.hits == []


def test_fetch_https_to_loopback_literal_refused(http_server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        GuardedFetcher().fetch(_url(http_server, "/doc", scheme="https"))
    assert info.value.code == "FETCH_REFUSED"
    assert "non-public" in info.value.message
    assert http_server.hits == []


def test_fetch_localhost_name_refused_after_resolution() -> None:
    with pytest.raises(FetchError) as info:
        GuardedFetcher().fetch("https://localhost/doc")
    assert info.value.code == "FETCH_REFUSED"


def test_fetch_allowlist_is_exact_origin(http_server: _Server) -> None:
    port = http_server.server_address[1]
    fetcher = GuardedFetcher(allow=[("http", "127.0.0.1", port + 1 if port < 65535 else 1)])
    with pytest.raises(FetchError) as info:
        fetcher.fetch(_url(http_server, "/doc"))
    assert info.value.code == "FETCH_REFUSED"
    assert http_server.hits == []


def test_fetch_pinned_address_sends_hostname_as_host(http_server: _Server) -> None:
    seen: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        seen.append((host, port))
        return ["127.0.0.1"]

    fetcher = GuardedFetcher(allow=[_origin(http_server, host="badge.test")], resolve=resolve)
    body = fetcher.fetch(_url(http_server, "/host", host="badge.test"))
    assert body == f"badge.test:{http_server.server_address[1]}".encode()
    assert seen == [("badge.test", http_server.server_address[1])]


# -- size, status, redirects --------------------------------------------------------------------


def test_fetch_body_over_limit_refused(http_server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        _fetcher(http_server).fetch(_url(http_server, "/big"))
    assert info.value.code == "FETCH_REFUSED"


def test_fetch_streamed_body_over_limit_refused(http_server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        _fetcher(http_server).fetch(_url(http_server, "/stream"))
    assert info.value.code == "FETCH_REFUSED"
    assert "larger than" in info.value.message


def test_fetch_body_at_limit_accepted(http_server: _Server) -> None:
    assert _fetcher(http_server).fetch(_url(http_server, "/exact")) == b"z" * LIMIT


@pytest.mark.parametrize("status", [404, 500, 204, 206])
def test_fetch_non_200_fails(http_server: _Server, status: int) -> None:
    with pytest.raises(FetchError) as info:
        _fetcher(http_server).fetch(_url(http_server, f"/status/{status}"))
    assert info.value.code == "FETCH_FAILED"
    assert str(status) in info.value.message


def test_fetch_redirects_within_limit_followed(http_server: _Server) -> None:
    body = _fetcher(http_server, max_redirects=2).fetch(_url(http_server, "/hop/1"))
    assert body == DOC
    assert http_server.hits == ["/hop/1", "/hop/0", "/doc"]


def test_fetch_redirects_over_limit_refused(http_server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        _fetcher(http_server, max_redirects=2).fetch(_url(http_server, "/hop/2"))
    assert info.value.code == "FETCH_REFUSED"
    assert http_server.hits == ["/hop/2", "/hop/1", "/hop/0"]


def test_fetch_redirect_to_other_origin_refused(http_server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        _fetcher(http_server).fetch(_url(http_server, "/away"))
    assert info.value.code == "FETCH_REFUSED"
    assert http_server.hits == ["/away"]


def test_fetch_redirect_to_private_address_refused(
    http_server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = _fetcher(http_server)
    connected: list[object] = []
    real = socket.create_connection

    def recording(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(_url(http_server, "/private"))
    assert info.value.code == "FETCH_REFUSED"
    assert connected == ["127.0.0.1"]


def test_fetch_redirect_without_location_fails(http_server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        _fetcher(http_server).fetch(_url(http_server, "/nolocation"))
    assert info.value.code == "FETCH_FAILED"


def test_fetch_total_time_limit_fails(http_server: _Server) -> None:
    ticks = itertools.count(step=100.0)
    fetcher = _fetcher(http_server, total_timeout=50.0, monotonic=lambda: next(ticks))
    with pytest.raises(FetchError) as info:
        fetcher.fetch(_url(http_server, "/doc"))
    assert info.value.code == "FETCH_FAILED"
    assert "time limit" in info.value.message


def test_fetch_connection_refused_fails() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = GuardedFetcher(allow=[("http", "127.0.0.1", port)], connect_timeout=2.0)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(f"http://127.0.0.1:{port}/doc")
    assert info.value.code == "FETCH_FAILED"


# -- policy before any connection ---------------------------------------------------------------


def _no_connection(*args: object, **kwargs: object) -> socket.socket:
    raise AssertionError(f"a connection was attempted: {args!r}")


def _no_dns(*args: object, **kwargs: object) -> list[Any]:
    raise AssertionError(f"a DNS look-up was attempted: {args!r}")


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/doc",
        "https://192.168.1.10/doc",
        "https://172.16.5.4:8443/doc",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1/doc",
        "https://0.0.0.0/doc",
        "https://100.64.0.1/doc",
        "https://224.0.0.1/doc",
        "https://[::1]/doc",
        "https://[fe80::1]/doc",
        "https://[fc00::1]/doc",
        "https://[::ffff:10.0.0.1]/doc",
        "https://[::ffff:169.254.169.254]/doc",
        "https://[2002:a9fe:a9fe::1]/doc",
        "https://[64:ff9b::7f00:1]/doc",
        "https://[::]/doc",
    ],
)
def test_fetch_non_public_literal_refused_without_connecting(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = GuardedFetcher()
    monkeypatch.setattr(socket, "create_connection", _no_connection)
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert info.value.code == "FETCH_REFUSED"


def test_fetch_any_private_resolved_address_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher = GuardedFetcher(resolve=lambda host, port: ["93.184.216.34", "10.0.0.7"])
    monkeypatch.setattr(socket, "create_connection", _no_connection)
    with pytest.raises(FetchError) as info:
        fetcher.fetch("https://issuer.example/doc")
    assert info.value.code == "FETCH_REFUSED"
    assert "10.0.0.7" in info.value.message


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "",
        "issuer.example/doc",
        "ftp://issuer.example/doc",
        "file:///etc/passwd",
        "https://",
        "https://user:secret@issuer.example/doc",
        "https://[::1/doc",
        "https://issuer.example:99999/doc",
        "https://issuer.example/do c",
    ],
)
def test_fetch_malformed_or_foreign_url_refused(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher = GuardedFetcher()
    monkeypatch.setattr(socket, "create_connection", _no_connection)
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert info.value.code == "FETCH_REFUSED"


def test_fetcher_unverified_tls_context_refused() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    with pytest.raises(ConfigurationError):
        GuardedFetcher(ssl_context=context)


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "localhost."])
def test_fetch_numeric_loopback_spellings_refused(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = GuardedFetcher()
    monkeypatch.setattr(socket, "create_connection", _no_connection)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(f"https://{host}/doc")
    assert info.value.code == "FETCH_REFUSED"


# -- address classification ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::1"]
)
def test_is_forbidden_address_public_allowed(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address))


_PRIVATE_V4 = (
    st.sampled_from(
        [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "100.64.0.0/10",
            "0.0.0.0/8",
            "224.0.0.0/4",
            "240.0.0.0/4",
        ]
    )
    .flatmap(
        lambda net: st.integers(
            int(ipaddress.IPv4Network(net).network_address),
            int(ipaddress.IPv4Network(net).broadcast_address),
        )
    )
    .map(ipaddress.IPv4Address)
)


@given(_PRIVATE_V4)
def test_is_forbidden_address_private_v4_and_v6_forms_refused(v4: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | 1)
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | int(v4))
    assert is_forbidden_address(v4)
    assert is_forbidden_address(mapped)
    assert is_forbidden_address(sixtofour)
    assert is_forbidden_address(nat64)


# -- TLS: certificate and host name checks on the pinned address --------------------------------


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime(2025, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=36500))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _TlsServer(_Server):
    tls: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        return self.tls.wrap_socket(sock, server_side=True), addr


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[_Server, Path]]:
    cert, key = _certificate(tmp_path, "badge.test")
    server = _TlsServer(("127.0.0.1", 0), _Handler)
    server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.tls.load_cert_chain(cert, key)
    yield from ((s, cert) for s in _start(server))


def _tls_fetcher(
    server: _Server, cafile: Path, host: str = "badge.test", **kw: Any
) -> GuardedFetcher:
    return GuardedFetcher(
        allow=[_origin(server, "https", host)],
        ssl_context=ssl.create_default_context(cafile=str(cafile)),
        resolve=lambda name, port: ["127.0.0.1"],
        **kw,
    )


def test_fetch_tls_pinned_address_verifies_hostname(tls_server: tuple[_Server, Path]) -> None:
    server, cafile = tls_server
    body = _tls_fetcher(server, cafile).fetch(_url(server, "/doc", "https", "badge.test"))
    assert body == DOC


def test_fetch_tls_certificate_for_other_name_fails(
    tls_server: tuple[_Server, Path], tmp_path: Path
) -> None:
    server, cafile = tls_server
    fetcher = _tls_fetcher(server, cafile, host="other.test")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(_url(server, "/doc", "https", "other.test"))
    assert info.value.code == "FETCH_FAILED"
    assert server.hits == []


def test_fetch_tls_untrusted_certificate_fails(
    tls_server: tuple[_Server, Path], tmp_path: Path
) -> None:
    server, _ = tls_server
    other_ca, _ = _certificate(tmp_path, "elsewhere.test")
    with pytest.raises(FetchError) as info:
        _tls_fetcher(server, other_ca).fetch(_url(server, "/doc", "https", "badge.test"))
    assert info.value.code == "FETCH_FAILED"


def test_fetch_redirect_https_to_http_refused(
    tls_server: tuple[_Server, Path], http_server: _Server
) -> None:
    server, cafile = tls_server
    server.downgrade_to = _url(http_server, "/doc")
    fetcher = GuardedFetcher(
        allow=[_origin(server, "https", "badge.test"), _origin(http_server)],
        ssl_context=ssl.create_default_context(cafile=str(cafile)),
        resolve=lambda name, port: ["127.0.0.1"],
    )
    assert fetcher.fetch(_url(http_server, "/doc")) == DOC  # the target itself is allowed
    http_server.hits.clear()
    with pytest.raises(FetchError) as info:
        fetcher.fetch(_url(server, "/down", "https", "badge.test"))
    assert info.value.code == "FETCH_REFUSED"
    assert "https" in info.value.message
    assert http_server.hits == []
