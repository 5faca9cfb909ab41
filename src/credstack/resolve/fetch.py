"""A guarded HTTPS fetcher for DID documents, controller documents and status lists.

Fetching a URL named inside a credential is server-side request forgery waiting to happen, so
:class:`GuardedFetcher` is strict: https only; every address the host resolves to must be a
public unicast address (checked with :mod:`ipaddress`, including IPv4 addresses embedded in
IPv6 forms); the connection goes to the address that was checked (so a second DNS answer
cannot switch it) while TLS still verifies the certificate for the host name; redirects are
followed a bounded number of times and each hop is checked again; the body is streamed and
cut off at a size cap; connect, read and total time are bounded; only ``200`` counts.

Errors: :class:`~credstack.errors.FetchError` with code ``FETCH_REFUSED`` when policy refuses a
URL, address, redirect or size, and ``FETCH_FAILED`` for network, TLS, timeout and HTTP errors.

Standard library only (``http.client``, ``ssl``, ``socket``).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from credstack.errors import ConfigurationError, FetchError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GuardedFetcher",
    "is_forbidden_address",
]

DEFAULT_MAX_BYTES = 1024 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"https": 443, "http": 80}
_CHUNK = 64 * 1024
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Origin = tuple[str, str, int]


def is_forbidden_address(address: IPAddress) -> bool:
    """True unless ``address`` is a public unicast address.

    Refuses private, loopback, link-local, multicast, reserved, unspecified, shared
    (100.64/10) and site-local addresses, and IPv6 forms that carry such an IPv4 address
    (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64 ``64:ff9b::/96``).
    """
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return True
        embedded: list[ipaddress.IPv4Address] = []
        if address.ipv4_mapped is not None:
            embedded.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if address in _NAT64 or address in _IPV4_COMPATIBLE:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        return any(is_forbidden_address(inner) for inner in embedded)
    return False


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line

    @property
    def origin(self) -> Origin:
        return (self.scheme, self.host, self.port)


def _parse_url(url: str) -> _Target:
    if not isinstance(url, str) or not url:
        raise FetchError("the URL must be a non-empty string", code="FETCH_REFUSED")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise FetchError("the URL contains whitespace or control characters", code="FETCH_REFUSED")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL: {exc}", code="FETCH_REFUSED") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise FetchError(f"scheme {scheme or '(none)'!r} is not allowed", code="FETCH_REFUSED")
    if not host:
        raise FetchError("the URL has no host", code="FETCH_REFUSED")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with user information are refused", code="FETCH_REFUSED")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(
        url=url,
        scheme=scheme,
        host=host.lower().rstrip("."),
        port=port if port is not None else _DEFAULT_PORTS[scheme],
        path=path,
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a fixed address; only used for allowlisted test origins."""

    def __init__(self, host: str, port: int, *, address: str, connect_timeout: float) -> None:
        super().__init__(host, port, timeout=connect_timeout)
        self._address = address
        self._connect_timeout = connect_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self._connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPConnection):
    """HTTPS to a fixed address, with SNI and certificate checks for the host name."""

    default_port = 443

    def __init__(
        self,
        host: str,
        port: int,
        *,
        address: str,
        connect_timeout: float,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, timeout=connect_timeout)
        self._address = address
        self._connect_timeout = connect_timeout
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self._connect_timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


class GuardedFetcher:
    """Fetches a URL's body under scheme, address, redirect, size and time limits.

    ``allow`` lists exact ``(scheme, host, port)`` origins that skip the scheme and address
    checks (for tests against a loopback server); nothing else does.  ``resolve`` and
    ``monotonic`` can be injected for tests.
    """

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 3,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        total_timeout: float = 20.0,
        allow: Iterable[Origin] = (),
        ssl_context: ssl.SSLContext | None = None,
        resolve: Callable[[str, int], list[str]] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        user_agent: str = "credstack",
    ) -> None:
        if max_bytes <= 0 or max_redirects < 0:
            raise ConfigurationError("max_bytes must be positive and max_redirects not negative")
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self._allow = frozenset(
            (scheme.lower(), host.lower().strip("[]"), int(port)) for scheme, host, port in allow
        )
        if ssl_context is None:
            ssl_context = ssl.create_default_context()
        if ssl_context.verify_mode != ssl.CERT_REQUIRED or not ssl_context.check_hostname:
            raise ConfigurationError("the TLS context must verify certificates and host names")
        self._tls = ssl_context
        self._resolve = resolve or _system_resolve
        self._monotonic = monotonic
        self._user_agent = user_agent

    # -- policy -----------------------------------------------------------------------------

    def _addresses(self, target: _Target) -> list[str]:
        """Addresses to connect to, after the scheme and address policy."""
        allowlisted = target.origin in self._allow
        if not allowlisted and target.scheme != "https":
            raise FetchError(
                f"only https URLs are fetched, not {target.url!r}", code="FETCH_REFUSED"
            )
        try:
            literal: IPAddress | None = ipaddress.ip_address(target.host)
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [str(literal)]
        else:
            try:
                candidates = self._resolve(target.host, target.port)
            except (OSError, UnicodeError) as exc:
                raise FetchError(
                    f"cannot resolve {target.host!r}: {exc}", code="FETCH_FAILED"
                ) from exc
        addresses: list[IPAddress] = []
        for candidate in candidates:
            try:
                addresses.append(ipaddress.ip_address(candidate.split("%", 1)[0]))
            except ValueError as exc:
                raise FetchError(
                    f"{target.host!r} resolved to a non-IP {candidate!r}", code="FETCH_REFUSED"
                ) from exc
        if not addresses:
            raise FetchError(f"{target.host!r} resolved to no address", code="FETCH_FAILED")
        if not allowlisted:
            for address in addresses:
                if is_forbidden_address(address):
                    raise FetchError(
                        f"{target.host!r} resolves to non-public address {address}",
                        code="FETCH_REFUSED",
                    )
        unique: list[str] = []
        for address in addresses:
            if str(address) not in unique:
                unique.append(str(address))
        return unique

    # -- transport --------------------------------------------------------------------------

    def _remaining(self, deadline: float) -> float:
        left = deadline - self._monotonic()
        if left <= 0:
            raise FetchError("the fetch took longer than the total time limit", code="FETCH_FAILED")
        return left

    def _connect(
        self, target: _Target, address: str, deadline: float
    ) -> http.client.HTTPConnection:
        timeout = min(self.connect_timeout, self._remaining(deadline))
        conn: http.client.HTTPConnection
        if target.scheme == "https":
            conn = _PinnedHTTPSConnection(
                target.host,
                target.port,
                address=address,
                connect_timeout=timeout,
                context=self._tls,
            )
        else:
            conn = _PinnedHTTPConnection(
                target.host, target.port, address=address, connect_timeout=timeout
            )
        conn.connect()
        return conn

    def _open(self, target: _Target, deadline: float) -> http.client.HTTPConnection:
        errors: list[str] = []
        for address in self._addresses(target):
            try:
                return self._connect(target, address, deadline)
            except ssl.SSLError as exc:  # a TLS failure is not retried on another address
                raise FetchError(
                    f"TLS with {target.host!r} failed: {exc}", code="FETCH_FAILED"
                ) from exc
            except OSError as exc:
                errors.append(f"{address}: {exc}")
        raise FetchError(
            f"cannot connect to {target.host!r} ({'; '.join(errors)})", code="FETCH_FAILED"
        )

    def _read_body(
        self, sock: socket.socket, response: http.client.HTTPResponse, deadline: float
    ) -> bytes:
        length = response.getheader("Content-Length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            raise FetchError(
                f"the response is larger than {self.max_bytes} bytes", code="FETCH_REFUSED"
            )
        chunks: list[bytes] = []
        size = 0
        while not response.isclosed():  # the response closes itself once the body is read
            sock.settimeout(min(self.read_timeout, self._remaining(deadline)))
            chunk = response.read(min(_CHUNK, self.max_bytes - size + 1))
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(
                    f"the response is larger than {self.max_bytes} bytes", code="FETCH_REFUSED"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _request(
        self, target: _Target, accept: str, deadline: float
    ) -> tuple[int, str | None, bytes]:
        conn = self._open(target, deadline)
        sock = conn.sock
        response: http.client.HTTPResponse | None = None
        try:
            if not isinstance(sock, socket.socket):
                raise FetchError(f"no connection to {target.host!r}", code="FETCH_FAILED")
            sock.settimeout(min(self.read_timeout, self._remaining(deadline)))
            conn.putrequest("GET", target.path, skip_accept_encoding=True)
            conn.putheader("Accept", accept)
            conn.putheader("Accept-Encoding", "identity")
            conn.putheader("User-Agent", self._user_agent)
            conn.putheader("Connection", "close")
            conn.endheaders()
            response = conn.getresponse()
            status = response.status
            if status in _REDIRECT_STATUSES:
                return status, response.getheader("Location"), b""
            if status != 200:
                raise FetchError(f"{target.url} answered HTTP {status}", code="FETCH_FAILED")
            return status, None, self._read_body(sock, response, deadline)
        except (http.client.HTTPException, OSError) as exc:
            raise FetchError(f"fetching {target.url} failed: {exc!r}", code="FETCH_FAILED") from exc
        finally:
            if response is not None:
                response.close()
            conn.close()

    # -- Fetcher protocol -------------------------------------------------------------------

    def fetch(self, url: str, *, accept: str = "application/json") -> bytes:
        """Fetch ``url`` and return the body of its ``200`` response."""
        deadline = self._monotonic() + self.total_timeout
        target = _parse_url(url)
        hops = 0
        while True:
            status, location, body = self._request(target, accept, deadline)
            if location is None and status == 200:
                return body
            if location is None:
                raise FetchError(
                    f"{target.url} redirected (HTTP {status}) without a Location",
                    code="FETCH_FAILED",
                )
            hops += 1
            if hops > self.max_redirects:
                raise FetchError(
                    f"more than {self.max_redirects} redirects from {url}", code="FETCH_REFUSED"
                )
            following = _parse_url(urljoin(target.url, location))
            if target.scheme == "https" and following.scheme != "https":
                raise FetchError(
                    f"redirect from https to {following.url!r} refused", code="FETCH_REFUSED"
                )
            target = following
