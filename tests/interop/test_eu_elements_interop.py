"""An Achievement carrying every EU micro-credential element verifies in @digitalbazaar/vc.

credstack signs (eddsa-rdfc-2022, safe mode); the JavaScript reference verifies offline with
only the standard contexts, which proves the ``ext:`` encodings of docs/eu-elements.md need no
extension context.  Forged EU values must fail there too (they are covered by the signature).
https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from credstack.platform.achievement_design import AchievementDesign, read_eu_elements
from tests.unit.test_achievement_design import (
    AT,
    build,
    full_design,
    full_design_data,
    signed_credential,
)

from .jsref import js_verify, js_verify_many, verify_request

pytestmark = pytest.mark.interop


def test_js_verifies_credential_with_every_eu_element() -> None:
    signed = signed_credential(build())
    result = js_verify(signed, now=AT)
    assert result == {"verified": True, "errors": []}
    assert read_eu_elements(signed["credentialSubject"]["achievement"]) == (
        full_design().eu_elements()
    )


def _forged(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    signed = signed_credential(build())
    forged = copy.deepcopy(signed)
    node: Any = forged["credentialSubject"]["achievement"]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return forged


def test_js_refuses_forged_eu_elements_and_accepts_integral_credits() -> None:
    integral = AchievementDesign.from_json(
        full_design_data() | {"ects": 6.0, "workload_hours": 150, "eqf_level": 1}
    )
    requests = [
        verify_request(signed_credential(build(integral)), now=AT),
        verify_request(_forged(("creditsAvailable",), 75), now=AT),
        verify_request(_forged(("otherIdentifier", 6, "identifier"), "unsupervised-no-id"), now=AT),
        verify_request(
            _forged(("alignment", 4, "targetUrl"), "http://data.europa.eu/snb/eqf/8"), now=AT
        ),
        verify_request(_forged(("resultDescription", 1, "alignment"), []), now=AT),
    ]
    results = js_verify_many(requests)
    assert results[0] == {"verified": True, "errors": []}
    assert [r["verified"] for r in results[1:]] == [False, False, False, False]
