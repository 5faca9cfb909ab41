"""The "Is the issuer trusted?" answer in words, from a trust view (`platform.trust.TrustView`).

:class:`~credstack.web.verification.PlatformLookup` turns :func:`trust_answer` into the
report's trust step; the issuer page and employer pages use the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from credstack.platform.trust import Tally, TrustView
from credstack.trust.recognition import Recognition

__all__ = ["TrustAnswer", "recognition_line", "trust_answer"]


@dataclass(frozen=True, slots=True)
class TrustAnswer:
    state: str  # "passed", "warning" (values of web.verification.StepState)
    summary: str
    facts: tuple[tuple[str, str], ...] = ()


def _and(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _whose(chosen: bool) -> str:
    return "the registries you trust" if chosen else "the registries this server trusts by default"


def recognition_line(recognition: Recognition, *, chosen: bool = True) -> str:
    """One sentence: "Recognised by A and B." / "Not recognised by the registries you trust"."""
    if recognition.recognised:
        return f"Recognised by {_and(recognition.registry_names)}."
    if not recognition.consulted:
        return "No trust registry is in use."
    return f"Not recognised by {_whose(chosen)} ({_and(recognition.consulted_names)})."


def trust_answer(
    view: TrustView,
    issuer: str,
    *,
    here: str | None,
    achievement_type: str | None = None,
    endorsements: Tally | None = None,
    chosen: bool = False,
) -> TrustAnswer:
    """Whether ``issuer`` is trusted: recognised by the registries of ``view``, or an
    organisation of this platform (``here``: its name), and its endorsements."""
    recognition = view.recognise(issuer, achievement_type)
    facts: list[tuple[str, str]] = [
        ("Registries consulted", _and(recognition.consulted_names) or "None")
    ]
    facts += [("Recognised by", r.describe()) for r in recognition.reasons]
    facts += [("Not counted", f"{n.registry_name}: {n.text}") for n in recognition.notes[:10]]
    if endorsements is not None and (endorsements.organisations or endorsements.not_valid):
        facts.append(("Endorsements", endorsements.text()))
    if recognition.recognised:
        summary = recognition_line(recognition, chosen=chosen)
        if here:
            summary += f" This server also knows the issuer: {here} is an organisation here."
        return TrustAnswer("passed", summary, tuple(facts))
    if here:
        summary = f"This server knows the issuer: {here} is an organisation on this platform."
        if recognition.consulted:
            summary += " " + recognition_line(recognition, chosen=chosen)
        return TrustAnswer("passed", summary, tuple(facts))
    if recognition.consulted:
        summary = (
            f"Unknown issuer: not recognised by {_whose(chosen)} "
            f"({_and(recognition.consulted_names)}), and not an organisation on this platform."
        )
    else:
        summary = (
            "Unknown issuer: it is not an organisation on this platform, and no trust registry "
            "is in use."
        )
    return TrustAnswer("warning", summary, tuple(facts))
