"""Exports of an issued Open Badges 3.0 credential to other formats.

Pure functions (no storage, no web): each takes the credential JSON and returns a document,
and each format has a ``validate`` that returns a :class:`Check` (errors, and gaps the source
data cannot fill).  See ``docs/exports.md``.

* :mod:`.ob2` — Open Badges 2.0 hosted Assertion, BadgeClass and issuer Profile;
* :mod:`.elm` — European Learning Model / European Digital Credential JSON-LD (unsealed);
* :mod:`.ctdl` — Credential Engine CTDL description of the achievement;
* :mod:`.schemaorg` — schema.org ``EducationalOccupationalCredential`` page markup.
"""

from __future__ import annotations

from credstack.exports import ctdl, elm, ob2, schemaorg
from credstack.exports._common import Check, ctid

__all__ = ["Check", "ctdl", "ctid", "elm", "ob2", "schemaorg"]
