"""The vendored files are the published ones (checksums from vendor/ORIGIN.md) and the
schema.org subset is consistent."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from credstack.exports._jsonld import OB2_CONTEXT, expand, vendored

VENDOR = resources.files("credstack.exports").joinpath("vendor")
LITERALS = {"Text", "URL", "Number", "Date", "DateTime", "Duration"}


@pytest.mark.parametrize(
    ("name", "sha256"),
    [
        (
            "openbadges-v2-context.json",
            "3c0c25a0e581c64cbe632197377c4f334c6c0b95f0d90e3b74449781612b153d",
        ),
        (
            "edc-ap-context.jsonld",
            "528f8a0e86dbbec7db2216c61806e6311feedac77a51d1a38b0a1d49e4c337fb",
        ),
    ],
)
def test_vendored_contexts_are_unmodified(name: str, sha256: str) -> None:
    data = VENDOR.joinpath(name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256
    origin = VENDOR.joinpath("ORIGIN.md").read_text("utf-8")
    assert sha256 in origin
    assert (
        VENDOR.joinpath("LICENSE-EUPL-1.2.txt")
        .read_text("utf-8")
        .startswith("European Union Public Licence")
    )


def test_schemaorg_subset_is_consistent() -> None:
    types = vendored("schemaorg-subset.json")["types"]
    used = {"ImageObject", "PropertyValue", "Language", "Person", "AdministrativeArea", "Country"}
    for name, spec in types.items():
        assert spec["parent"] is None or spec["parent"] in types, name
        for prop, expected in spec["properties"].items():
            for kind in expected:
                assert kind in types or kind in LITERALS or kind in used, (name, prop, kind)


def test_safe_mode_expansion_reports_undefined_terms_and_never_fetches() -> None:
    nodes, problems = expand({"@context": OB2_CONTEXT, "type": "Assertion", "madeUp": 1})
    assert nodes
    assert problems == [
        "term 'madeUp' is not defined by the document's @context (it would be dropped)"
    ]
    _, remote = expand({"@context": "https://example.org/ctx", "name": "x"})
    assert remote
    assert "never fetched" in remote[0]
