"""Quality of credentials: the EU standard-element check (docs/quality.md)."""

from credstack.quality.elements import (
    ELEMENTS,
    MANDATORY_COUNT,
    OPTIONAL_COUNT,
    Element,
    ElementReport,
    Finding,
    Status,
    Tally,
    check_achievement,
    check_credential,
)

__all__ = [
    "ELEMENTS",
    "MANDATORY_COUNT",
    "OPTIONAL_COUNT",
    "Element",
    "ElementReport",
    "Finding",
    "Status",
    "Tally",
    "check_achievement",
    "check_credential",
]
