"""Stackable pathways: rule format, unsatisfiable rules, progress over verified credentials."""

from __future__ import annotations

import copy
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, InvalidState
from credstack.proofs.dataintegrity import add_proof, format_datetime
from credstack.resolve.did_web import make_did_document
from credstack.skills.pathways import (
    Credits,
    Earned,
    Pathway,
    complete_pathway,
    evaluate,
    evaluate_many,
    parse_pathway,
    progress,
    summarize,
    verify_credentials,
)

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=365)
LEARNER = "did:example:learner-7"
BASE = "https://uni.example/achievements/"
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def ach(name: str) -> str:
    return BASE + name


def make_credential(
    key: KeyPair,
    name: str,
    *,
    days: int = 0,
    ects: float | None = None,
    hours: float | None = None,
    learner: str = LEARNER,
    issuer: str | None = None,
    verification_method: str | None = None,
) -> dict[str, Any]:
    """A signed OpenBadgeCredential for achievement ``BASE + name``, awarded T0 + days."""
    achievement: dict[str, Any] = {
        "id": ach(name),
        "type": ["Achievement"],
        "name": f"Course {name}",
        "description": f"Course {name}.",
        "criteria": {"narrative": "Pass the assessment."},
    }
    identifiers = []
    if ects is not None:
        achievement["creditsAvailable"] = ects
        identifiers.append(
            {
                "type": "IdentifierEntry",
                "identifier": "ECTS",
                "identifierType": "ext:EUCreditSystem",
            }
        )
    if hours is not None:
        identifiers.append(
            {
                "type": "IdentifierEntry",
                "identifier": str(hours),
                "identifierType": "ext:EUWorkloadHours",
            }
        )
    if identifiers:
        achievement["otherIdentifier"] = identifiers
    at = T0 + timedelta(days=days)
    document = {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer or key.did_key, "type": ["Profile"], "name": "Uni"},
        "validFrom": format_datetime(at),
        "credentialSubject": {
            "id": learner,
            "type": ["AchievementSubject"],
            "achievement": achievement,
        },
    }
    return add_proof(document, key, created=at, verification_method=verification_method)


def earned(
    name: str, days: int = 0, ects: float | None = None, hours: float | None = None
) -> Earned:
    return Earned(
        achievement_id=ach(name),
        credential_id=f"urn:cred:{name}:{days}",
        awarded_ts=(T0 + timedelta(days=days)).timestamp(),
        ects=ects,
        hours=hours,
        name=f"Course {name}",
    )


def rule(node: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "id": "urn:pathway:data",
        "name": "Data Certificate",
        "rule": node,
        **extra,
    }


def leaf(name: str) -> dict[str, Any]:
    return {"achievement": ach(name)}


# ------------------------------------------------------------------------------ rule format


def test_parse_nested_rule_returns_tree_and_achievements() -> None:
    pathway = parse_pathway(
        rule(
            {
                "allOf": [
                    {"allOf": [leaf("a"), leaf("b")], "ordered": True},
                    {"atLeast": 2, "of": [leaf("c"), leaf("d"), leaf("e")]},
                    {"minTotal": {"ects": 10}, "of": [leaf("c"), leaf("f")]},
                ]
            },
            issues={"achievement": ach("q")},
        )
    )
    assert pathway.achievements() == [ach(n) for n in "abcdef"]
    assert pathway.qualification == ach("q")


@pytest.mark.parametrize(
    ("node", "where"),
    [
        ({"allOf": [leaf("a"), {"achievment": "x"}]}, "rule.allOf[1]"),
        ({"allOf": [leaf("a")], "ordred": True}, "rule"),
        ({"atLeast": 0, "of": [leaf("a")]}, "rule.atLeast"),
        ({"atLeast": 1}, "rule"),
        ({"anyOf": "a"}, "rule.anyOf"),
        ({"minTotal": {"credits": 3}, "of": "any"}, "rule.minTotal"),
        ({"minTotal": {"ects": -1}, "of": "any"}, "rule.minTotal.ects"),
        ({"minTotal": {"hours": 10**400}, "of": "any"}, "rule.minTotal.hours"),
        ({"minTotal": {"ects": float("nan")}, "of": "any"}, "rule.minTotal.ects"),
        ({"minTotal": {"ects": 5}, "of": [{"anyOf": [leaf("a")]}]}, "rule.of[0]"),
        ({"allOf": [{"achievement": ""}]}, "rule.allOf[0].achievement"),
    ],
)
def test_parse_malformed_rule_names_the_path(node: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_pathway(rule(node))
    assert f"pathway rule {where}:" in info.value.message


def test_parse_deep_rule_refused_with_bound() -> None:
    node: dict[str, Any] = leaf("a")
    for _ in range(40):
        node = {"anyOf": [node]}
    with pytest.raises(InvalidInput, match="nests deeper than"):
        parse_pathway(rule(node))


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"version": 2, "id": "p", "name": "n", "rule": leaf("a")}, "version 2"),
        ({"version": 1, "name": "n", "rule": leaf("a")}, "id must be"),
        ({"version": 1, "id": "p", "name": "n"}, "no rule"),
        ({"version": 1, "id": "p", "name": "n", "rule": leaf("a"), "issues": "x"}, "issues"),
        ([], "JSON object"),
    ],
)
def test_parse_bad_document_refused(data: Any, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        parse_pathway(data)


CATALOG = {
    ach("a"): Credits(ects=5, hours=125),
    ach("b"): Credits(ects=5, hours=125),
    ach("c"): Credits(ects=2.5, hours=60),
}


@pytest.mark.parametrize(
    ("node", "needle"),
    [
        ({"atLeast": 3, "of": [leaf("a"), leaf("b")]}, "atLeast 3 of only 2"),
        ({"allOf": []}, "rule.allOf: an empty list"),
        ({"anyOf": []}, "rule.anyOf: an empty list"),
        ({"allOf": [leaf("a"), leaf("b"), leaf("a")], "ordered": True}, "listed twice"),
        (
            {"allOf": [{"anyOf": [leaf("a"), leaf("b")]}, leaf("b")], "ordered": True},
            "also appears in step 0",
        ),
        ({"atLeast": 2, "of": [leaf("a"), leaf("a")]}, "listed twice"),
        ({"minTotal": {"ects": 11}, "of": [leaf("a"), leaf("b")]}, "offer only 10"),
        ({"minTotal": {"hours": 400}, "of": "any"}, "catalog achievements offer only 310"),
        ({"allOf": [leaf("a"), leaf("zz")]}, "not in the catalog"),
    ],
)
def test_unsatisfiable_rule_refused_with_reason(node: dict[str, Any], needle: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_pathway(rule(node), catalog=CATALOG)
    assert info.value.message.startswith("cannot be satisfied: ")
    assert needle in info.value.message


def test_qualification_inside_its_own_rule_refused() -> None:
    with pytest.raises(InvalidInput, match=r"cannot be satisfied: .*its own parts"):
        parse_pathway(rule({"allOf": [leaf("a"), leaf("q")]}, issues={"achievement": ach("q")}))


def test_min_total_within_catalog_accepted() -> None:
    pathway = parse_pathway(rule({"minTotal": {"ects": 12.5}, "of": "any"}), catalog=CATALOG)
    assert pathway.rule.path == "rule"


# ------------------------------------------------------------------------------ progress


def _pathway(node: dict[str, Any]) -> Pathway:
    return parse_pathway(rule(node))


def test_progress_all_of_partial_reports_fraction_and_missing() -> None:
    pathway = _pathway({"allOf": [leaf("a"), leaf("b"), leaf("c"), leaf("d")]})
    state = progress(pathway, [earned("a"), earned("c")], names={ach("b"): "Statistics"})
    assert not state.satisfied
    assert state.fraction == 0.5
    assert state.missing == [f"Statistics ({ach('b')})", ach("d")]
    assert [e.achievement_id for e in state.used] == [ach("a"), ach("c")]


def test_progress_at_least_counts_more_needed() -> None:
    pathway = _pathway({"atLeast": 3, "of": [leaf(n) for n in "abcde"]})
    state = progress(pathway, [earned("b")])
    assert not state.satisfied
    assert state.fraction == pytest.approx(1 / 3)
    assert state.missing[0].startswith("2 more of: ")
    assert ach("b") not in state.missing[0]
    done = progress(pathway, [earned("b"), earned("d", 3), earned("e", 1)])
    assert done.satisfied
    assert done.completed_at == T0 + timedelta(days=3)


def test_progress_min_total_ects_reports_shortfall() -> None:
    pathway = _pathway({"minTotal": {"ects": 10}, "of": "any"})
    state = progress(pathway, [earned("a", 0, ects=5), earned("b", 2, ects=1.5)])
    assert state.missing == ["3.5 more ECTS"]
    assert state.fraction == pytest.approx(0.65)
    assert state.tree.detail["total"] == 6.5


def test_progress_min_total_counts_each_achievement_once() -> None:
    pathway = _pathway({"minTotal": {"ects": 10}, "of": "any"})
    state = progress(pathway, [earned("a", 0, ects=5), earned("a", 9, ects=5)])
    assert not state.satisfied
    assert state.missing == ["5 more ECTS"]


def test_progress_min_total_hours_from_listed_pool_only() -> None:
    pathway = _pathway({"minTotal": {"hours": 100}, "of": [leaf("a"), leaf("b")]})
    state = progress(pathway, [earned("a", 0, hours=60), earned("z", 1, hours=500)])
    assert not state.satisfied
    assert state.missing == [f"40 more hours from: {ach('b')}"]
    done = progress(pathway, [earned("a", 0, hours=60), earned("b", 4, hours=40)])
    assert done.satisfied
    assert done.completed_at == T0 + timedelta(days=4)


def test_progress_ordered_out_of_order_not_satisfied() -> None:
    pathway = _pathway({"allOf": [leaf("a"), leaf("b"), leaf("c")], "ordered": True})
    state = progress(pathway, [earned("a", 0), earned("b", 20), earned("c", 10)])
    assert not state.satisfied
    step = state.tree.children[2]
    assert not step.satisfied
    assert "before the previous step" in step.detail["note"]
    in_order = progress(pathway, [earned("a", 0), earned("b", 10), earned("c", 20)])
    assert in_order.satisfied


def test_progress_ordered_re_earned_later_credential_counts() -> None:
    pathway = _pathway({"allOf": [leaf("a"), leaf("b")], "ordered": True})
    state = progress(pathway, [earned("b", 0), earned("a", 5), earned("b", 9)])
    assert state.satisfied
    assert [e.credential_id for e in state.used] == ["urn:cred:a:5", "urn:cred:b:9"]


def test_progress_ordered_missing_step_blocks_later_steps() -> None:
    pathway = _pathway({"allOf": [leaf("a"), leaf("b"), leaf("c")], "ordered": True})
    state = progress(pathway, [earned("a", 0), earned("c", 10)])
    assert not state.satisfied
    assert state.fraction == pytest.approx(1 / 3)
    assert "previous step is not complete" in state.tree.children[2].detail["note"]


def test_progress_json_has_tree_missing_used_rejected() -> None:
    pathway = _pathway({"anyOf": [leaf("a"), leaf("b")]})
    data = progress(pathway, []).to_json()
    assert data["satisfied"] is False
    assert data["missing"] == [f"one of: {ach('a')}, {ach('b')}"]
    assert data["tree"]["kind"] == "anyOf"
    assert [c["path"] for c in data["tree"]["children"]] == ["rule.anyOf[0]", "rule.anyOf[1]"]
    assert data["used"] == []
    assert data["rejected"] == []


# ------------------------------------------------------------------ fast path == detailed

_NAMES = "abcdef"


def _nodes(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    leaves = st.sampled_from(_NAMES).map(leaf)
    totals = st.builds(
        lambda unit, amount, pool: {
            "minTotal": {unit: amount},
            "of": "any" if pool is None else [leaf(n) for n in pool],
        },
        st.sampled_from(["ects", "hours"]),
        st.integers(1, 20),
        st.none() | st.sets(st.sampled_from(_NAMES), min_size=1).map(sorted),
    )
    if depth == 0:
        return leaves | totals
    child = _nodes(depth - 1)
    groups = st.lists(child, min_size=1, max_size=4)
    return (
        leaves
        | totals
        | groups.map(lambda c: {"allOf": c})
        | groups.map(lambda c: {"anyOf": c})
        | groups.flatmap(lambda c: st.integers(1, len(c)).map(lambda n: {"atLeast": n, "of": c}))
    )


def _try_parse(node: dict[str, Any]) -> Pathway | None:
    try:
        return parse_pathway(rule(node))
    except InvalidInput:
        return None


_earned_lists = st.lists(
    st.builds(
        earned,
        st.sampled_from(_NAMES),
        st.integers(0, 50),
        st.sampled_from([None, 2.5, 5.0]),
        st.sampled_from([None, 30.0, 60.0]),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(_nodes(2), st.booleans(), _earned_lists)
def test_fast_evaluation_matches_detailed(
    node: dict[str, Any], ordered: bool, items: list[Earned]
) -> None:
    if ordered and "allOf" in node:
        node = {**node, "ordered": True}
    pathway = _try_parse(node)
    if pathway is None:
        return
    detailed = evaluate(pathway, items)
    [(satisfied, fraction)] = list(evaluate_many(pathway, [items]))
    assert satisfied == detailed.satisfied
    assert fraction == pytest.approx(detailed.fraction)
    assert 0.0 <= fraction <= 1.0
    assert (fraction == 1.0) or not satisfied


# ------------------------------------------------------------------ verification step


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair(bytes(range(32)))


def test_verify_credentials_counts_only_verified(key: KeyPair) -> None:
    good = make_credential(key, "a", ects=5, hours=125)
    tampered = copy.deepcopy(make_credential(key, "b", ects=5))
    tampered["credentialSubject"]["achievement"]["creditsAvailable"] = 50
    other_learner = make_credential(key, "c", learner="did:example:someone-else")
    earned_items, rejected = verify_credentials(
        [("good.json", good), ("tampered.json", tampered), ("other.json", other_learner)],
        at=NOW,
        recipient_did=LEARNER,
    )
    assert [e.achievement_id for e in earned_items] == [ach("a")]
    assert (earned_items[0].ects, earned_items[0].hours) == (5.0, 125.0)
    assert earned_items[0].document == good
    reasons = {r.source: (r.code, r.reason) for r in rejected}
    assert reasons["tampered.json"][0] == "PROOF_VERIFICATION_ERROR"
    assert reasons["other.json"] == (
        "PERMISSION_DENIED",
        "the credential was issued to someone else",
    )
    pathway = _pathway({"allOf": [leaf("a"), leaf("b")]})
    state = progress(pathway, earned_items, rejected=rejected)
    assert not state.satisfied
    assert [r.source for r in state.rejected] == ["tampered.json", "other.json"]


def test_verify_credentials_did_web_needs_supplied_document(key: KeyPair) -> None:
    did = "did:web:uni.example"
    method = f"{did}#key-1"
    credential = make_credential(key, "a", issuer=did, verification_method=method)
    document = make_did_document(did, [("key-1", key.public.multibase)], assertion=["key-1"])
    counted, rejected = verify_credentials([("a", credential)], at=NOW, did_documents=[document])
    assert [e.issuer for e in counted] == [did]
    assert rejected == []
    none, refused = verify_credentials([("a", credential)], at=NOW)
    assert none == []
    assert refused[0].code == "UNRESOLVABLE_VERIFICATION_METHOD"


def test_verify_credentials_rejects_non_badge_and_unparsable(key: KeyPair) -> None:
    plain = add_proof(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": key.did_key,
            "validFrom": format_datetime(T0),
            "credentialSubject": {"id": LEARNER},
        },
        key,
        created=T0,
    )
    counted, rejected = verify_credentials([("plain", plain), ("junk", "{not json")], at=NOW)
    assert counted == []
    assert [r.source for r in rejected] == ["plain", "junk"]
    assert "not an achievement credential" in rejected[0].reason
    assert rejected[1].code == "INVALID_JSON"


def test_verify_credentials_hashed_email_recipient(key: KeyPair) -> None:
    credential = make_credential(key, "a")
    subject = credential["credentialSubject"]
    del subject["id"]

    subject["identifier"] = [
        {
            "type": "IdentityObject",
            "hashed": True,
            "identityType": "emailAddress",
            "salt": "pepper",
            "identityHash": "sha256$"
            + hashlib.sha256(b"learner@example.org" + b"pepper").hexdigest(),
        }
    ]
    credential = add_proof({k: v for k, v in credential.items() if k != "proof"}, key, created=T0)
    counted, _ = verify_credentials(
        [("a", credential)], at=NOW, recipient_email="learner@example.org"
    )
    assert len(counted) == 1
    counted, rejected = verify_credentials(
        [("a", credential)], at=NOW, recipient_email="other@example.org"
    )
    assert counted == []
    assert rejected[0].code == "PERMISSION_DENIED"


def test_summarize_without_achievement_id_refused() -> None:
    with pytest.raises(InvalidInput, match=r"achievement\.id"):
        summarize(
            {
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "validFrom": "2025-01-01T00:00:00Z",
                "credentialSubject": {"achievement": {"name": "x"}},
            }
        )


# ------------------------------------------------------------------ completion


def test_complete_pathway_incomplete_issues_nothing() -> None:
    pathway = parse_pathway(
        rule({"allOf": [leaf("a"), leaf("b")]}, issues={"achievement": ach("q")})
    )
    calls: list[str] = []

    def issue(p: Pathway, state: Any) -> dict[str, Any]:
        calls.append(p.id)
        return {}

    with pytest.raises(InvalidState, match=f"missing {ach('b')}"):
        complete_pathway(pathway, [earned("a")], issue=issue, bundle=lambda p, s, q: {})
    assert calls == []


def test_complete_pathway_wrong_qualification_refused(key: KeyPair) -> None:
    pathway = parse_pathway(rule({"allOf": [leaf("a")]}, issues={"achievement": ach("q")}))
    with pytest.raises(InvalidState, match="awards"):
        complete_pathway(
            pathway,
            [earned("a")],
            issue=lambda p, s: make_credential(key, "not-q"),
            bundle=lambda p, s, q: {},
        )
