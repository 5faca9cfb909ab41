"""Issuer trust: registries of recognised issuers and accreditation bodies, signed trust
lists, accreditations, and :func:`recognise` (pure: no storage, no network).

The storage-backed side (a deployment's registries, imported lists, accreditations and
employers' choices) is :mod:`credstack.platform.trust`; ``docs/trust.md`` explains both.
"""

from __future__ import annotations

from credstack.trust.accreditation import (
    ACCREDITATION_TYPE,
    Accreditation,
    Check,
    CheckState,
    credential_check,
    read_accreditation,
)
from credstack.trust.lists import (
    TRUST_LIST_CONTEXT,
    TRUST_LIST_TYPE,
    DccRegistry,
    TrustList,
    build_trust_list,
    read_dcc_registry,
    read_trust_list,
)
from credstack.trust.model import (
    EntryRole,
    Registry,
    RegistryEntry,
    RegistrySource,
    check_registry_id,
    new_entry,
    new_registry,
)
from credstack.trust.recognition import (
    Basis,
    Note,
    Reason,
    Recognition,
    achievement_type_of,
    recognise,
)

__all__ = [
    "ACCREDITATION_TYPE",
    "TRUST_LIST_CONTEXT",
    "TRUST_LIST_TYPE",
    "Accreditation",
    "Basis",
    "Check",
    "CheckState",
    "DccRegistry",
    "EntryRole",
    "Note",
    "Reason",
    "Recognition",
    "Registry",
    "RegistryEntry",
    "RegistrySource",
    "TrustList",
    "achievement_type_of",
    "build_trust_list",
    "check_registry_id",
    "credential_check",
    "new_entry",
    "new_registry",
    "read_accreditation",
    "read_dcc_registry",
    "read_trust_list",
    "recognise",
]
