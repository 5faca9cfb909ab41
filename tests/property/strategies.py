"""Shared hypothesis strategies: realistic credentials with varied values and shapes.

Documents start from the test assets (Open Badges 3.0 and the W3C examples-context
credentials) and are then mutated: string values of every class (plain text, relative strings,
absolute IRIs of many schemes, blank node ids, compact IRIs whose prefix is a defined term,
``@``-strings), ``type`` / ``achievementType`` / ``proofPurpose`` values, numbers, booleans,
nulls, added keys, single values vs arrays, embedded contexts and proofs.

``same_shape_variants`` redraws the abstracted values of a document (everything the shape memo
of :mod:`credstack.jsonld.shapes` puts back) while keeping every IRI's scheme class, so that a
batch of documents shares one shape but no values.
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from credstack.errors import CredstackError
from credstack.jsonld.shapes import vocab_sensitive_terms

JsonDict = dict[str, Any]

ASSETS = Path(__file__).resolve().parent.parent / "assets"

CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3P0_LEGACY = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"


def _load(relative: str) -> JsonDict:
    data: JsonDict = json.loads((ASSETS / relative).read_text("utf-8"))
    return data


def _legacy_ob() -> JsonDict:
    """OB 3.0 as first published: VC 1.1 context + the original OB context (defines ``xsd``)."""
    doc = _load("ob_credential_unsigned.json")
    doc["@context"] = [CREDENTIALS_V1, OB_V3P0_LEGACY]
    doc["issuanceDate"] = doc.pop("validFrom")
    doc["issuer"]["id"] = "did:example:issuer"
    return doc


def _legacy_alumni() -> JsonDict:
    """The examples credential on VC 1.1 (``cred``/``sec``/``xsd`` prefixes, type-scoped)."""
    doc = _load("vc-di-eddsa/unsigned.json")
    doc["@context"] = [CREDENTIALS_V1, EXAMPLES_V2]
    doc["issuanceDate"] = doc.pop("validFrom")
    return doc


OB_BASES: dict[str, JsonDict] = {
    "ob-unsigned": _load("ob_credential_unsigned.json"),
    **{
        f"ob-{path.stem}": _load(f"ob/{path.name}")
        for path in sorted((ASSETS / "ob").glob("*.json"))
    },
    "ob-legacy-v1": _legacy_ob(),
}
W3C_BASES: dict[str, JsonDict] = {
    "alumni": _load("vc-di-eddsa/unsigned.json"),
    "employment": _load("vc-di-eddsa/employmentAuth.json"),
    "alumni-legacy-v1": _legacy_alumni(),
}
BASES: dict[str, JsonDict] = {**OB_BASES, **W3C_BASES}
#: bases whose nodes all have ids: no blank nodes before mutation
NO_BLANK_BASES = ("alumni",)

# --- strings ----------------------------------------------------------------------------------

# The absolute-IRI test of JSON-LD processors (scheme ":" no whitespace); "_:" counts.
ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+\-.]*|_):(//)?[^\s]*\Z")

#: characters on which pyld's N-Quads output differs from RDFC-1.0 (written raw by pyld)
PYLD_RAW_CHARS = "".join(
    [chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\x7f", "\ufffe", "\uffff"]
)
CONTROL_CHARS = [chr(c) for c in range(0x20)] + ["\x7f"]
_SPECIALS = [
    '"',
    "\\",
    "'",
    " ",
    "\t",
    "\n",
    "\r",
    "é",
    "∞",
    "🌃",
    "\U0010fffd",
    "\ufffd",
    "\ue000",
    "\ue001",
    "\uf8ff",
    "\u2028",
    "\x85",
    "\xa0",
    ":",
    "/",
    "#",
    "@",
    "_",
    "<",
    "{",
]

RELATIVE_SAMPLES = [
    "",
    " ",
    "foo",
    "../up",
    "./here",
    "#frag",
    "?q=1",
    "//host/path",
    "a b",
    "1abc:foo",
    "a,b:c",
    ":foo",
    "urn:with space",
    " urn:leading",
    "urn:trailing\n",
    "http://x.example/ y",
    "tab\there",
    "type",
    "id",
    "name",
    "VerifiableCredential",
    "Achievement",
    "MicroCredential",
    "assertionMethod",
    "\ue0000\ue001",
    "\ue001",
    "\ue0007",
]
IRI_HEADS = [
    "did:example:",
    "did:key:",
    "did:web:",
    "urn:uuid:",
    "urn:ex:",
    "urn:",
    "http://",
    "https://",
    "HTTP://",
    "http:",
    "mailto:",
    "data:",
    "tag:",
    "ftp://",
    "a+b-c.d:",
    "x:",
    "_:",
    # compact IRIs: prefixes defined by the bundled contexts (xsd in OB context.json, cred /
    # sec / xsd type-scoped in VC 1.1) and terms that are not prefixes
    "xsd:",
    "cred:",
    "sec:",
    "schema:",
    "ceasn:",
    "ext:",
    "name:",
    "id:",
    "type:",
    "VerifiableCredential:",
    "xsd://",
]
IRI_SAMPLES = [
    "did:example:learner-4711",
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "urn:uuid:0b5e2c1a-7f3d-4c8e-9a41-5d2f6b8c9e10",
    "https://university.example/achievements/data-stewardship",
    "http://example.org/path?q=1#frag",
    "https://ex.example/🌃/∞",
    "urn:ex:a:b:c",
    "xsd:string",
    "xsd:",
    "cred:issuer",
    "sec:proof",
    "http://",
    "mailto:learner@example.org",
    "data:text/plain,hi",
]
BLANK_IDS = ["_:b0", "_:b1", "_:b2", "_:x"]
AT_STRINGS = ["@id", "@type", "@foo", "@", "@vocab", "@json", "@none", "@context", "@graph"]


def _no_space(text: str) -> str:
    return "".join(c for c in text if not c.isspace())


def plain_text(*, exclude: str = "", controls: bool = False) -> st.SearchStrategy[str]:
    """Unicode text with quotes, backslashes, astral and private-use characters."""
    extra = [c for c in _SPECIALS if c not in exclude]
    if controls:
        extra += CONTROL_CHARS
    chars = st.characters(codec="utf-8", exclude_characters=exclude)
    return st.text(st.one_of(chars, st.sampled_from(extra)), max_size=12)


def absolute_iris(*, exclude: str = "") -> st.SearchStrategy[str]:
    suffix = plain_text(exclude=exclude).map(_no_space)
    return st.one_of(
        st.sampled_from(IRI_SAMPLES),
        st.builds(lambda head, tail: head + tail, st.sampled_from(IRI_HEADS), suffix),
    )


def string_values(*, exclude: str = "", controls: bool = False) -> st.SearchStrategy[str]:
    """String values of every class the shape memo distinguishes (and some it must not)."""
    return st.one_of(
        plain_text(exclude=exclude, controls=controls),
        st.sampled_from(RELATIVE_SAMPLES),
        absolute_iris(exclude=exclude),
        st.sampled_from(BLANK_IDS),
        st.sampled_from(AT_STRINGS),
    )


TYPE_VALUES = [
    "VerifiableCredential",
    "OpenBadgeCredential",
    "AchievementCredential",
    "EndorsementCredential",
    "Achievement",
    "AchievementSubject",
    "Profile",
    "Alignment",
    "Result",
    "Image",
    "AlumniCredential",
    "Person",
    "JsonSchema",
    "DataIntegrityProof",
    "Foo",
    "UndefinedThing",
    "1EdTechJsonSchemaValidator2019",
    "urn:ex:Type",
    "https://schema.org/Thing",
    "did:example:type",
    "_:t",
    "xsd:string",
    "ext:Thing",
    "cred:VerifiableCredential",
    "@id",
    "@json",
    "",
    "two words",
]
ACHIEVEMENT_TYPES = [
    "Badge",
    "MicroCredential",
    "Certificate",
    "Degree",
    "ext:LocalKind",
    "urn:ex:kind",
    "Foo bar",
    "",
    "@id",
]
PROOF_PURPOSES = [
    "assertionMethod",
    "authentication",
    "capabilityDelegation",
    "keyAgreement",
    "unknownPurpose",
    "urn:ex:purpose",
    "_:p",
    "xsd:foo",
    "@id",
]
LANGUAGES = ["en", "de-CH", "EN-us", "fr"]
DATATYPES = [
    "http://www.w3.org/2001/XMLSchema#string",
    "http://www.w3.org/2001/XMLSchema#integer",
    "http://www.w3.org/2001/XMLSchema#double",
    "urn:ex:datatype",
    "xsd:date",
]


def _is_negative_zero(x: float) -> bool:
    return x == 0 and math.copysign(1.0, x) < 0


def numbers(*, huge: bool = False, negative_zero: bool = False) -> st.SearchStrategy[Any]:
    """JSON numbers: small and near ±2**53 integers, finite floats.

    ``huge`` adds integers of magnitude 1e21 and more; ``negative_zero`` allows -0.0.
    """
    limit = 10**25 if huge else 10**20
    floats = st.floats(allow_nan=False, allow_infinity=False)
    if not negative_zero:
        floats = floats.filter(lambda x: not _is_negative_zero(x))
    return st.one_of(
        st.integers(-1000, 1000),
        st.integers(-(2**53) - 2, -(2**53) + 2),
        st.integers(2**53 - 2, 2**53 + 2),
        st.integers(-limit + 1, limit - 1),
        floats,
        st.sampled_from([0.0, 0.5, 1.0, 1.5, 1e21, 1e-7, 123456789.0]),
    )


def scalars(*, huge: bool = False) -> st.SearchStrategy[Any]:
    return st.one_of(numbers(huge=huge), st.booleans(), st.none())


# --- documents --------------------------------------------------------------------------------

ADDED_KEYS = [
    "favouriteColour",
    "urn:ex:p",
    "https://schema.org/name",
    "xsd:foo",
    "_:p",
    "name",
    "description",
    "achievementType",
    "type",
    "id",
    "proofPurpose",
    "\ue0000\ue001",
    "ünïcødé🌃",
]
EMBEDDED_CONTEXTS: list[Any] = [
    {"@vocab": "urn:ex:vocab#"},
    {"ex": "urn:ex:", "xsd": "http://www.w3.org/2001/XMLSchema#"},
    {"favouriteColour": "urn:ex:colour", "ref": {"@id": "urn:ex:ref", "@type": "@id"}},
    {"name": "urn:ex:redefined-name"},
    EXAMPLES_V2,
    UNDEFINED_TERMS_V2,
    [EXAMPLES_V2],
    [UNDEFINED_TERMS_V2, {"@vocab": "urn:ex:v#"}],
]
PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "created": "2025-01-15T09:00:01Z",
    "verificationMethod": "did:example:issuer#key-1",
    "proofPurpose": "assertionMethod",
    "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk",
}


class Options:
    """How a document strategy draws: text alphabet and which number/JSON cases it may use."""

    def __init__(
        self,
        *,
        exclude: str = "",
        controls: bool = False,
        huge: bool = False,
        scalar_json: bool = False,
        contexts: bool = True,
        bases: tuple[str, ...] = tuple(BASES),
    ) -> None:
        self.exclude = exclude
        self.controls = controls
        self.huge = huge
        self.scalar_json = scalar_json
        self.contexts = contexts
        self.bases = bases


def _slots(doc: Any) -> list[tuple[Any, Any, str]]:
    """Every (container, key-or-index, owning key) below the root, outside ``@context``."""
    out: list[tuple[Any, Any, str]] = []

    def walk(node: Any, owner: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    continue
                out.append((node, key, key))
                walk(value, key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                out.append((node, index, owner))
                walk(value, owner)

    walk(doc, "")
    return out


def _dicts(doc: Any) -> list[JsonDict]:
    found: list[JsonDict] = [doc]
    for container, key, _ in _slots(doc):
        value = container[key]
        if isinstance(value, dict):
            found.append(value)
    return found


def leaf_values(owner: str, opts: Options) -> st.SearchStrategy[Any]:
    """A replacement value for an entry of ``owner``."""
    if owner in ("type", "@type"):
        types = st.sampled_from(TYPE_VALUES)
        return st.one_of(types, st.lists(types, min_size=1, max_size=3))
    if owner == "achievementType":
        return st.sampled_from(ACHIEVEMENT_TYPES)
    if owner == "proofPurpose":
        return st.sampled_from(PROOF_PURPOSES)
    text = string_values(exclude=opts.exclude, controls=opts.controls)
    return st.one_of(text, text, text, scalars(huge=opts.huge))


def added_values(opts: Options) -> st.SearchStrategy[Any]:
    text = string_values(exclude=opts.exclude, controls=opts.controls)
    leaf = st.one_of(text, scalars(huge=opts.huge))
    json_leaf = st.one_of(plain_text(exclude=opts.exclude), numbers(), st.booleans(), st.none())
    json_values = st.recursive(
        json_leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(plain_text(exclude=opts.exclude), inner, max_size=3),
        ),
        max_leaves=6,
    )
    if not opts.scalar_json:
        json_values = st.one_of(
            st.lists(json_values, max_size=3),
            st.dictionaries(plain_text(exclude=opts.exclude), json_values, max_size=3),
        )
    node = st.fixed_dictionaries(
        {"type": st.sampled_from(TYPE_VALUES)},
        optional={"id": st.one_of(absolute_iris(exclude=opts.exclude), st.sampled_from(BLANK_IDS))},
    ).map(lambda d: {**d, "name": "nested"})
    value_object = st.one_of(
        st.builds(
            lambda v, lang: {"@value": v, "@language": lang}, text, st.sampled_from(LANGUAGES)
        ),
        st.builds(
            lambda v, dt: {"@value": v, "@type": dt},
            st.one_of(text, numbers(huge=opts.huge)),
            st.sampled_from(DATATYPES),
        ),
        st.builds(lambda v: {"@id": v}, text),
    )
    schema = st.builds(
        lambda iri, value: {"id": iri, "type": "JsonSchema", "jsonSchema": value},
        absolute_iris(exclude=opts.exclude),
        json_values,
    )
    return st.one_of(
        leaf,
        st.lists(leaf, min_size=0, max_size=3),
        node,
        value_object,
        schema,
    )


@st.composite
def credentials(draw: st.DrawFn, opts: Options | None = None) -> JsonDict:
    """A realistic credential with up to six random edits."""
    opts = opts or Options()
    name = draw(st.sampled_from(opts.bases))
    doc = copy.deepcopy(BASES[name])
    operations = ["value", "value", "value", "wrap", "add", "add", "delete", "share", "proof"]
    if opts.contexts:
        operations.append("context")
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(operations))
        slots = _slots(doc)
        if op == "value" and slots:
            container, key, owner = draw(st.sampled_from(slots))
            container[key] = draw(leaf_values(owner, opts))
        elif op == "wrap" and slots:
            container, key, _ = draw(st.sampled_from(slots))
            value = container[key]
            if isinstance(value, list) and len(value) == 1:
                container[key] = value[0]
            elif isinstance(value, list) and value:
                value.append(copy.deepcopy(value[0]))
            else:
                container[key] = [value]
        elif op == "add":
            target = draw(st.sampled_from(_dicts(doc)))
            key = draw(st.sampled_from(ADDED_KEYS))
            target[key] = draw(
                leaf_values(key, opts)
                if key in ("type", "achievementType", "proofPurpose")
                else added_values(opts)
            )
        elif op == "delete":
            target = draw(st.sampled_from(_dicts(doc)))
            keys = [k for k in target if k != "@context"]
            if keys:
                del target[draw(st.sampled_from(keys))]
        elif op == "share":
            # the same blank node id (or value) in two places
            strings = [(c, k) for c, k, _ in slots if isinstance(c[k], str)]
            if strings:
                value = draw(st.sampled_from(BLANK_IDS))
                for container, key in draw(st.lists(st.sampled_from(strings), max_size=3)):
                    container[key] = value
        elif op == "proof":
            proof = dict(PROOF)
            proof["proofPurpose"] = draw(st.sampled_from(PROOF_PURPOSES))
            doc["proof"] = proof
        elif op == "context":
            target = draw(st.sampled_from(_dicts(doc)))
            if target is not doc:
                target["@context"] = copy.deepcopy(draw(st.sampled_from(EMBEDDED_CONTEXTS)))
    return doc


# --- same-shape batches -----------------------------------------------------------------------

_SENSITIVE = vocab_sensitive_terms()


def _same_class(value: str, draw: st.DrawFn, opts: Options) -> str:
    """A different string of the same class: same IRI head, or again not absolute."""
    match = ABSOLUTE.match(value)
    if match is None:
        candidate = draw(
            st.one_of(plain_text(exclude=opts.exclude), st.sampled_from(RELATIVE_SAMPLES))
        )
        if ABSOLUTE.match(candidate) is not None or candidate[:1] == "@":
            candidate = " " + candidate
        return candidate
    head = value[: match.end(1) + 1 + (2 if match.group(2) else 0)]
    if head == "_:":
        tail = draw(st.sampled_from(["b0", "b1", "b2", "x", "other"]))
    else:
        tail = _no_space(draw(plain_text(exclude=opts.exclude)))
        if not match.group(2) and tail.startswith("//"):
            tail = tail[2:]
    candidate = head + tail
    found = ABSOLUTE.match(candidate)
    if found is None or candidate[: found.end(1) + 1 + (2 if found.group(2) else 0)] != head:
        return value
    return candidate


@st.composite
def same_shape_variants(
    draw: st.DrawFn, doc: JsonDict, opts: Options | None = None, *, flip_zero: bool = False
) -> JsonDict:
    """``doc`` with some abstracted string values redrawn (and, if asked, 0.0 ↔ -0.0)."""
    opts = opts or Options()

    def walk(node: Any, verbatim: bool) -> Any:
        if isinstance(node, str):
            if verbatim or node[:1] == "@" or not draw(st.booleans()):
                return node
            return _same_class(node, draw, opts)
        if isinstance(node, float) and node == 0 and flip_zero and draw(st.booleans()):
            return -node
        if isinstance(node, dict):
            return {
                k: v if k == "@context" else walk(v, k in _SENSITIVE or k[:1] == "@")
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, verbatim) for v in node]
        return node

    result: JsonDict = walk(doc, False)
    return result


# --- JSON values for RFC 8785 -----------------------------------------------------------------

JCS_KEY_CHARS = st.one_of(
    st.characters(codec="utf-8"),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFF),
    st.characters(min_codepoint=0x10000),
    st.sampled_from([*CONTROL_CHARS, '"', "\\", "/", "\u2028", "\x7f"]),
)
JCS_TEXT = st.text(JCS_KEY_CHARS, max_size=8)


def jcs_numbers() -> st.SearchStrategy[Any]:
    """Integers in RFC 8785's safe range (incl. near ±2**53) and finite floats."""
    safe = 2**53 - 1
    return st.one_of(
        st.integers(-1000, 1000),
        st.integers(-safe, safe),
        st.integers(safe - 3, safe),
        st.integers(-safe, -safe + 3),
        st.integers(10**14, 10**16).filter(lambda n: n <= safe),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, -0.0, 1.0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 0.1]),
    )


def jcs_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(JCS_TEXT, jcs_numbers(), st.booleans(), st.none())


def jcs_documents() -> st.SearchStrategy[Any]:
    """Deep JSON objects and arrays (never a bare scalar at the top)."""
    values = st.recursive(
        jcs_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(JCS_TEXT, inner, max_size=4)
        ),
        max_leaves=25,
    )
    return st.one_of(st.lists(values, max_size=4), st.dictionaries(JCS_TEXT, values, max_size=5))


def embed(value: Any, path: list[tuple[bool, str]]) -> Any:
    """``value`` nested inside dicts (True, key) and lists (False, _) from the inside out."""
    for is_dict, key in reversed(path):
        value = {key: value} if is_dict else [value]
    return value


def nesting_paths() -> st.SearchStrategy[list[tuple[bool, str]]]:
    return st.lists(st.tuples(st.booleans(), JCS_TEXT), max_size=4)


# --- outcomes ---------------------------------------------------------------------------------


def outcome(call: Any, *args: Any) -> tuple[str, Any]:
    """``("ok", exact JSON text of the result)`` or ``("error", code, error class, terms)``.

    The JSON text tells apart what ``==`` does not: key order, 1 / 1.0 / True, 0.0 / -0.0.
    """
    try:
        result = call(*args)
    except CredstackError as exc:
        return ("error", (exc.code, type(exc).__name__, sorted(getattr(exc, "terms", ()))))
    if isinstance(result, str):
        return ("ok", result)
    return ("ok", json.dumps(result, ensure_ascii=False))
