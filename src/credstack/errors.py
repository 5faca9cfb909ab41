"""One error tree for credstack.

Every error carries a stable ``code``.  Where the W3C specifications define an error
code (Data Integrity, VC 2.0, Bitstring Status List) the code is that name; credstack's
own codes follow the same UPPER_SNAKE style.  Errors carry no HTTP or exit codes: each
edge (CLI, API) maps the families below once.
"""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal[
    # W3C Data Integrity
    "PROOF_GENERATION_ERROR",
    "PROOF_VERIFICATION_ERROR",
    "PROOF_TRANSFORMATION_ERROR",
    "MALFORMED_PROOF_ERROR",
    "INVALID_DOMAIN_ERROR",
    "INVALID_CHALLENGE_ERROR",
    "INVALID_VERIFICATION_METHOD",
    "INVALID_PROOF_CONFIGURATION",
    "DATA_LOSS_DETECTION_ERROR",
    # W3C VC 2.0 / Controlled Identifiers
    "PARSING_ERROR",
    "CRYPTOGRAPHIC_SECURITY_ERROR",
    "MALFORMED_VALUE_ERROR",
    "RANGE_ERROR",
    "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
    "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
    "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD",
    # W3C Bitstring Status List
    "STATUS_RETRIEVAL_ERROR",
    "STATUS_VERIFICATION_ERROR",
    "STATUS_LIST_LENGTH_ERROR",
    # JSON-LD
    "LOADING_DOCUMENT_FAILED",
    "RELATIVE_IRI_ERROR",
    "JSONLD_ERROR",
    # credstack
    "INVALID_INPUT",
    "INVALID_JSON",
    "INPUT_TOO_LARGE",
    "INPUT_TOO_DEEP",
    "CANONICALIZATION_LIMIT",
    "SCHEMA_VIOLATION",
    "RULE_VIOLATION",
    "INVALID_KEY",
    "KEY_MISMATCH",
    "UNRESOLVABLE_VERIFICATION_METHOD",
    "UNSUPPORTED_DID_METHOD",
    "CONTROLLER_MISMATCH",
    "CREDENTIAL_EXPIRED",
    "CREDENTIAL_NOT_YET_VALID",
    "CREDENTIAL_REVOKED",
    "CREDENTIAL_SUSPENDED",
    "FETCH_REFUSED",
    "FETCH_FAILED",
    "FILE_EXISTS",
    "CONFIGURATION_ERROR",
    # platform
    "NOT_FOUND",
    "CONFLICT",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "UNAVAILABLE",
    "INVALID_STATE",
]


class CredstackError(Exception):
    """Root of every error credstack raises on purpose."""

    code: ErrorCode = "INVALID_INPUT"

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def diagnostics(self) -> str:
        """One human line: the code and what went wrong."""
        return f"{self.code}: {self.message}"


class ConfigurationError(CredstackError):
    """Bad settings or missing key material."""

    code: ErrorCode = "CONFIGURATION_ERROR"


class InvalidInput(CredstackError):
    """Input that cannot be used at all: not JSON, not an object, too large, too deep."""

    code: ErrorCode = "INVALID_INPUT"


class InvalidKey(InvalidInput):
    """Key material that is malformed, of the wrong type, or inconsistent."""

    code: ErrorCode = "INVALID_KEY"


class JsonLdError(CredstackError):
    """JSON-LD processing refused the document (remote context, undefined term, relative IRI)."""

    code: ErrorCode = "JSONLD_ERROR"


class DataLossError(JsonLdError):
    """Safe mode: expansion would drop terms the contexts do not define."""

    code: ErrorCode = "DATA_LOSS_DETECTION_ERROR"

    def __init__(self, message: str, *, terms: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.terms = terms


class ProofError(CredstackError):
    """A proof could not be created or does not verify."""

    code: ErrorCode = "PROOF_VERIFICATION_ERROR"


class ResolutionError(CredstackError):
    """A DID or verification method could not be resolved."""

    code: ErrorCode = "UNRESOLVABLE_VERIFICATION_METHOD"


class FetchError(CredstackError):
    """The guarded fetcher refused or failed to fetch a URL."""

    code: ErrorCode = "FETCH_FAILED"


class ValidationFailed(CredstackError):
    """A credential violates the Open Badges schema or rules."""

    code: ErrorCode = "SCHEMA_VIOLATION"

    def __init__(
        self, message: str, *, code: ErrorCode | None = None, problems: list[str] | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.problems: list[str] = problems or []


class FileExists(CredstackError):
    """Refused to overwrite an existing file."""

    code: ErrorCode = "FILE_EXISTS"


class NotFound(CredstackError):
    """A named thing does not exist (or is not visible to the caller)."""

    code: ErrorCode = "NOT_FOUND"


class Conflict(CredstackError):
    """A unique key is taken, a version changed underneath, or an idempotency key was reused
    with different content."""

    code: ErrorCode = "CONFLICT"


class PermissionDenied(CredstackError):
    """The caller is known but not allowed to do this."""

    code: ErrorCode = "PERMISSION_DENIED"


class Unauthenticated(CredstackError):
    """No valid credentials (missing, expired or revoked token, wrong password)."""

    code: ErrorCode = "UNAUTHENTICATED"


class Unavailable(CredstackError):
    """A dependency (the database, a remote host) is down for now; retry later."""

    code: ErrorCode = "UNAVAILABLE"


class InvalidState(CredstackError):
    """The operation does not apply in the current state (e.g. editing a retired achievement)."""

    code: ErrorCode = "INVALID_STATE"
