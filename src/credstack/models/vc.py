"""W3C Verifiable Credentials 2.0 building blocks shared by the Open Badges models.

Spec: https://www.w3.org/TR/vc-data-model-2.0/

Everything here is plain data: frozen pydantic models whose attributes are snake_case, whose JSON
keys are the spec's camelCase, and which keep unknown (extension) members.  Sets may arrive as a
single value (JSON-LD compacted form) and are always emitted as arrays.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PrivateAttr,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from credstack.errors import InvalidInput

__all__ = [
    "VC_V2_CONTEXT",
    "CredentialSchema",
    "CredentialStatus",
    "JsonObject",
    "Model",
    "OneOrMany",
    "Proof",
    "RefreshService",
    "TermsOfUse",
    "TopLevel",
    "VerifiablePresentation",
    "format_xsd_datetime",
    "parse_xsd_date",
    "parse_xsd_datetime",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"

JsonObject = dict[str, Any]
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

# --------------------------------------------------------------------------------------------
# Value helpers


def _as_list(value: Any) -> Any:
    """Wrap a single (compacted) value into a one-item list; lists pass through."""
    if isinstance(value, list):
        return value
    return [value]


OneOrMany = Annotated[list[T], BeforeValidator(_as_list)]
"""A set: parsed from one value or an array, always serialised as an array."""

# XSD 1.1 dateTime lexical form: https://www.w3.org/TR/xmlschema11-2/#dateTime
_DATETIME_RE = re.compile(
    r"(?P<year>-?\d{4,})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?P<fraction>\.\d+)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?"
)
_DATE_RE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?P<tz>Z|[+-]\d{2}:\d{2})?")


def _parse_offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        raise InvalidInput(f"timezone offset out of range: {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_xsd_datetime(text: str, *, require_timezone: bool = True) -> datetime:
    """Parse an XSD ``dateTime`` (``DateTimeZ`` when ``require_timezone``).

    Spec: https://www.w3.org/TR/xmlschema11-2/#dateTime.  ``24:00:00`` means the next midnight;
    fractions beyond microseconds are truncated.  Raises ``InvalidInput``.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"expected a dateTime string, got {type(text).__name__}")
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        raise InvalidInput(f"not an XSD dateTime: {text!r}")
    if match["tz"] is None and require_timezone:
        raise InvalidInput(f"dateTime must carry a timezone (Z or ±hh:mm): {text!r}")
    tz = _parse_offset(match["tz"]) if match["tz"] else None
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    fraction = match["fraction"] or ""
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    end_of_day = hour == 24
    if end_of_day:
        if minute or second or micro:
            raise InvalidInput(f"24:xx is only allowed as 24:00:00: {text!r}")
        hour = 0
    try:
        value = datetime(
            int(match["year"]), int(match["month"]), int(match["day"]),
            hour, minute, second, micro, tzinfo=tz,
        )  # fmt: skip
        return value + timedelta(days=1) if end_of_day else value
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(f"not a valid dateTime: {text!r} ({exc})") from exc


def parse_xsd_date(text: str) -> date:
    """Parse an XSD ``date`` (``YYYY-MM-DD``, optional timezone which is ignored)."""
    if not isinstance(text, str):
        raise InvalidInput(f"expected a date string, got {type(text).__name__}")
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise InvalidInput(f"not an XSD date: {text!r}")
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError as exc:
        raise InvalidInput(f"not a valid date: {text!r} ({exc})") from exc


def format_xsd_datetime(value: datetime) -> str:
    """Render a datetime as XSD ``dateTime``; UTC becomes ``Z``, microseconds only if set."""
    text = value.replace(microsecond=0).isoformat()
    if value.microsecond:
        fraction = f".{value.microsecond:06d}".rstrip("0")
        text = text[:19] + fraction + text[19:]
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _datetime_validator(require_timezone: bool) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        if isinstance(value, datetime):
            if require_timezone and value.tzinfo is None:
                raise ValueError("dateTime must carry a timezone")
            return value
        try:
            return parse_xsd_datetime(value, require_timezone=require_timezone)
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc

    return validate


def _date_validator(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return parse_xsd_date(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc


DateTimeZ = Annotated[
    datetime,
    BeforeValidator(_datetime_validator(True)),
    PlainSerializer(format_xsd_datetime, return_type=str),
]
"""XSD dateTime with a mandatory timezone (OB 3.0 ``DateTimeZ``)."""

DateTime = Annotated[
    datetime,
    BeforeValidator(_datetime_validator(False)),
    PlainSerializer(format_xsd_datetime, return_type=str),
]
"""XSD dateTime, timezone optional (OB 3.0 ``DateTime``)."""

Date = Annotated[date, BeforeValidator(_date_validator), PlainSerializer(date.isoformat)]
"""XSD date (OB 3.0 ``Date``)."""

EXT_PATTERN = re.compile(r"ext:[A-Za-z0-9.\-_]+")
"""Extension values of the OB 3.0 extensible enumerations (matched in full)."""


def enum_value(enum: type[E], *, extensible: bool) -> BeforeValidator:
    """Validator turning a string into ``enum`` (or, if ``extensible``, an ``ext:`` string)."""
    allowed = {member.value: member for member in enum}

    def validate(value: Any) -> Any:
        if isinstance(value, enum):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{enum.__name__} must be a string")
        if value in allowed:
            return allowed[value]
        if extensible and EXT_PATTERN.fullmatch(value):
            return value
        tail = " and not an 'ext:' extension" if extensible else ""
        raise ValueError(f"{value!r} is not one of the {enum.__name__} values{tail}")

    return BeforeValidator(validate)


def uri_or_object(value: Any) -> str:
    """Discriminator for ``URI | object`` unions, so only the matching branch reports errors."""
    return "uri" if isinstance(value, str) else "object"


# --------------------------------------------------------------------------------------------
# Base classes


_FIRST_KEYS = ("@context", "id", "type")
_LAST_KEYS = ("proof",)


def _clean(value: Any) -> Any:
    """Spec JSON: drop nulls and empty arrays; ``@context``, ``id``, ``type`` first, proof last."""
    if isinstance(value, dict):
        items = {k: _clean(v) for k, v in value.items()}
        items = {k: v for k, v in items.items() if v is not None and v != []}
        ordered = {k: items[k] for k in _FIRST_KEYS if k in items}
        ordered.update((k, v) for k, v in items.items() if k not in ordered and k not in _LAST_KEYS)
        ordered.update((k, items[k]) for k in _LAST_KEYS if k in items)
        return ordered
    if isinstance(value, list):
        return [_clean(v) for v in value if v is not None]
    return value


class Model(BaseModel):
    """Base of all credstack data models: frozen, camelCase JSON, extension members kept."""

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        strict=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    # Each inner tuple names alternatives; ``type`` must contain at least one of each group.
    _required_types: ClassVar[tuple[tuple[str, ...], ...]] = ()

    @model_validator(mode="after")
    def _check_required_types(self) -> Self:
        if self._required_types:
            present = getattr(self, "type", None) or []
            for group in self._required_types:
                if not any(name in present for name in group):
                    raise ValueError(f"type must contain {' or '.join(map(repr, group))}")
        return self

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Self:
        """Parse received JSON; raises ``InvalidInput`` with readable ``/path: message`` text."""
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"{cls.__name__} must be a JSON object, got {type(raw).__name__}")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            lines = flatten_errors(exc, raw)
            raise InvalidInput(f"invalid {cls.__name__}: " + "; ".join(lines)) from None
        except RecursionError as exc:
            raise InvalidInput(f"{cls.__name__} is nested too deeply") from exc

    def to_json(self) -> JsonObject:
        """Spec JSON: camelCase keys, sets as arrays, no nulls or empty arrays, stable key order."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        cleaned: JsonObject = _clean(dumped)
        return cleaned


def _pointer(loc: Iterable[int | str], raw: Any, *, missing: bool) -> str:
    """JSON pointer of a pydantic error location, skipping pydantic's own union/validator tags."""
    parts: list[str] = []
    node = raw
    loc = list(loc)
    for index, step in enumerate(loc):
        if isinstance(node, Mapping) and isinstance(step, str) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        elif missing and index == len(loc) - 1 and isinstance(step, str):
            pass
        else:
            continue
        parts.append(str(step).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(parts)


def flatten_errors(exc: ValidationError, raw: Any) -> list[str]:
    """Readable ``/json/pointer: message`` lines for a pydantic ``ValidationError``."""
    lines: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        path = _pointer(error["loc"], raw, missing=error["type"] == "missing")
        message = str(error["msg"]).removeprefix("Value error, ")
        line = f"{path}: {message}"
        if line not in lines:
            lines.append(line)
    return lines


class TopLevel(Model):
    """A document received as JSON: ``from_json`` keeps the received object untouched."""

    _original: JsonObject | None = PrivateAttr(default=None)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Self:
        """Parse received JSON and keep a private deep copy of it as ``original``."""
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"{cls.__name__} must be a JSON object, got {type(raw).__name__}")
        try:
            kept = copy.deepcopy(dict(raw))
        except RecursionError as exc:
            raise InvalidInput(f"{cls.__name__} is nested too deeply") from exc
        parsed = super().from_json(copy.deepcopy(kept))  # shares nothing with ``original``
        parsed._original = kept
        return parsed

    @property
    def original(self) -> JsonObject:
        """A deep copy of the JSON this object was parsed from (``to_json()`` if built in code)."""
        if self._original is None:
            return self.to_json()
        return copy.deepcopy(self._original)


# --------------------------------------------------------------------------------------------
# VC 2.0 envelope parts


class Proof(Model):
    """An embedded proof (https://www.w3.org/TR/vc-data-integrity/#proofs); checked elsewhere."""

    id: str | None = None
    type: str
    cryptosuite: str | None = None
    created: str | None = None
    expires: str | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    proof_value: str | None = None
    challenge: str | None = None
    domain: str | None = None
    nonce: str | None = None
    previous_proof: OneOrMany[str] | None = None


class CredentialStatus(Model):
    """https://www.w3.org/TR/vc-data-model-2.0/#status (e.g. BitstringStatusListEntry)."""

    id: str | None = None
    type: str
    status_purpose: str | None = None
    status_list_index: str | None = None
    status_list_credential: str | None = None


class CredentialSchema(Model):
    """https://www.w3.org/TR/vc-data-model-2.0/#data-schemas (OB: 1EdTechJsonSchemaValidator2019)"""

    id: str
    type: str


class RefreshService(Model):
    """https://www.w3.org/TR/vc-data-model-2.0/#refreshing (OB: 1EdTechCredentialRefresh)."""

    id: str
    type: str


class TermsOfUse(Model):
    """https://www.w3.org/TR/vc-data-model-2.0/#terms-of-use."""

    id: str | None = None
    type: str


class Holder(Model):
    """A presentation holder given as an object."""

    id: str
    type: OneOrMany[str] | None = None


def _vp_context() -> list[str | JsonObject]:
    return [VC_V2_CONTEXT]


class VerifiablePresentation(TopLevel):
    """https://www.w3.org/TR/vc-data-model-2.0/#verifiable-presentations.

    The credentials inside are kept as received JSON objects, so each can be parsed and verified
    from its exact bytes.
    """

    _required_types = (("VerifiablePresentation",),)

    context: OneOrMany[str | JsonObject] = Field(default_factory=_vp_context, alias="@context")
    id: str | None = None
    type: OneOrMany[str] = Field(default_factory=lambda: ["VerifiablePresentation"])
    holder: (
        Annotated[
            Annotated[str, Tag("uri")] | Annotated[Holder, Tag("object")],
            Discriminator(uri_or_object),
        ]
        | None
    ) = None
    verifiable_credential: OneOrMany[JsonObject] | None = None
    proof: OneOrMany[Proof] | None = None

    @model_validator(mode="after")
    def _check_context(self) -> Self:
        if not self.context or self.context[0] != VC_V2_CONTEXT:
            raise ValueError(f"@context must start with {VC_V2_CONTEXT!r}")
        return self
