"""credstack: Open Badges 3.0 credentials, signed and verified offline.

The safe doors are here: :func:`add_proof` to sign, :class:`Verifier` /
:func:`verify_credential` to verify with a step-by-step :class:`VerificationReport`.
``credstack.crypto`` and ``credstack.jsonld`` are the low-level layers underneath.
"""

from credstack.crypto.keys import KeyPair, PublicKey
from credstack.errors import CredstackError
from credstack.models import (
    Achievement,
    AchievementSubject,
    EndorsementCredential,
    OpenBadgeCredential,
    Profile,
    VerifiablePresentation,
)
from credstack.models.validate import Problem, check_credential, validate_credential
from credstack.proofs.dataintegrity import Cryptosuite, add_proof, verify_proof, verify_proofs
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.report import Outcome, Step, StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions, verify_credential

__version__ = "0.1.0"

__all__ = [
    "Achievement",
    "AchievementSubject",
    "CompositeResolver",
    "CredstackError",
    "Cryptosuite",
    "EndorsementCredential",
    "KeyPair",
    "OpenBadgeCredential",
    "Outcome",
    "Problem",
    "Profile",
    "PublicKey",
    "Step",
    "StepName",
    "VerifiablePresentation",
    "VerificationReport",
    "Verifier",
    "VerifyOptions",
    "__version__",
    "add_proof",
    "check_credential",
    "validate_credential",
    "verify_credential",
    "verify_proof",
    "verify_proofs",
]
