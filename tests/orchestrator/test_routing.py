"""The semantic router on a held-out labelled set, multi-intent splitting, and `eval routing`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agents.registry import default_registry
from agents.wiring import build_router
from orchestrator.cli import evaluation
from orchestrator.routing import (
    REST,
    RouteDecision,
    SemanticRouter,
    asked_at,
    asks_once,
    consistent_routes,
    intents,
    joined,
    names_a_display_message,
    split_clauses,
    stands_alone,
    to_fault_route,
)
from rag.catalogue import Catalogue
from tests.conftest import REPO

LABELLED = REPO / "tests" / "data" / "routing_labelled.jsonl"


@pytest.fixture(scope="module")
def router(embedder) -> SemanticRouter:  # type: ignore[no-untyped-def]
    return build_router(embedder)


def test_the_labelled_set_is_large_and_apart_from_the_examples() -> None:
    ROUTE_EXAMPLES = default_registry().route_examples()
    labelled = evaluation.load_labelled(LABELLED)
    counts = {route: sum(1 for _, r in labelled if r == route) for route in ROUTE_EXAMPLES}
    assert len(labelled) >= 150
    assert all(counts[r] >= 40 for r in ("specs", "maintenance", "troubleshooting"))
    assert counts["general"] > 0
    examples = {e.lower().strip() for texts in ROUTE_EXAMPLES.values() for e in texts}
    assert not [m for m, _ in labelled if m.lower().strip() in examples]


def test_routing_accuracy_is_at_least_0_95(
    router: SemanticRouter, embedder, sample_catalogue: Catalogue
) -> None:  # type: ignore[no-untyped-def]
    """Routed as a turn routes: the knowledge base's vehicle names made neutral."""
    labelled = evaluation.load_labelled(LABELLED)
    vectors = embedder.encode([sample_catalogue.neutralise(m) for m, _ in labelled])
    report = evaluation.evaluate(labelled, [router.classify(v).route for v in vectors])
    assert report.accuracy >= 0.95, evaluation.render(report)


def test_confidence_is_high_when_right_and_lower_when_unsure(
    router: SemanticRouter, embedder
) -> None:  # type: ignore[no-untyped-def]
    sure, unsure = embedder.encode(["What does warning code P0300 mean?", "Ridge"])
    assert router.classify(sure).route == "troubleshooting"
    assert router.classify(sure).confidence > 0.9
    assert router.classify(unsure).confidence < router.classify(sure).confidence


def test_a_message_like_no_example_is_out_of_scope_and_said_to_be(
    router: SemanticRouter, embedder
) -> None:  # type: ignore[no-untyped-def]
    unlike, like = embedder.encode(["and the Zorbex one then?", "What's the weather like?"])
    assert router.classify(unlike).route == "general"
    assert router.classify(unlike).out_of_scope
    # The general route's own examples (small talk, the weather) are not out of scope.
    assert router.classify(like).route == "general"
    assert not router.classify(like).out_of_scope


def test_a_message_known_to_be_on_subject_goes_to_the_specialist_it_resembles_most(
    router: SemanticRouter, embedder
) -> None:  # type: ignore[no-untyped-def]
    (unlike,) = embedder.encode(["and what about Zorbex then?"])
    decision = router.classify(unlike)
    assert decision.out_of_scope
    within = router.within_scope(decision)
    specialists = {r: s for r, s in decision.scores.items() if r != "general"}
    assert within.route == max(specialists, key=specialists.__getitem__) == "specs"
    assert not within.out_of_scope and 0 < within.confidence < 1
    assert within.scores == decision.scores


def test_a_message_with_two_intents_fans_out_to_both(router: SemanticRouter, embedder) -> None:  # type: ignore[no-untyped-def]
    message = "my Ridge shows P0A80 and I'd like to book a service"
    clauses = split_clauses(message)
    assert clauses == ["my Ridge shows P0A80", "I'd like to book a service"]
    vectors = embedder.encode([message, *clauses])
    found = intents(
        router.classify(vectors[0]),
        clauses,
        [router.classify(v) for v in vectors[1:]],
        fault_routes=default_registry().fault_routes,
    )
    assert {i.route for i in found} == {"troubleshooting", "maintenance"}
    assert {i.text for i in found} == set(clauses)


def test_a_fault_described_and_one_question_asked_of_it_is_one_request() -> None:
    """The figure is asked to diagnose what was described: the fault route answers the whole
    message. A fault quoted by its code or as the display words it is reported in its own
    right, and the question beside it keeps its own specialist."""
    clauses = [
        "My battery goes flat if the car sits for a few days.",
        "How much key-off current draw is acceptable?",
    ]
    whole = RouteDecision("troubleshooting", 0.8, {})
    decisions = [RouteDecision("troubleshooting", 0.9, {}), RouteDecision("specs", 0.9, {})]
    found = intents(whole, clauses, decisions, fault_routes=("troubleshooting",))
    assert [(i.route, i.text, i.clause) for i in found] == [
        ("troubleshooting", " ".join(clauses), 0)
    ]
    quoted = intents(
        whole, clauses, decisions, fault_routes=("troubleshooting",), quotes_fault=True
    )
    assert [i.route for i in quoted] == ["troubleshooting", "specs"]


def test_a_message_asks_once_when_one_clause_asks_and_the_rest_tell() -> None:
    assert asks_once(["At what temperature should the thermostat open?", "I think it's stuck"])
    assert asks_once(["The brake light stayed on.", "do the brakes still work?"])
    assert asks_once(["The light flickers when the engine is hot.", "What's the limit?"])
    # A question after a colon counts as one; a request to book is one of its own.
    assert not asks_once(["With the big wheels: what size tyres", "what's the front pressure?"])
    assert not asks_once(["my car shows a warning", "I'd like to book a service"])
    assert not asks_once(["How often should the oil be changed?"])


def test_the_parts_of_a_two_part_question_are_in_the_order_asked() -> None:
    """The whole message's route is found first; its answer still follows the part asked
    before it."""
    clauses = ["How many litres does the tank hold,", "and how often should I rotate the tyres?"]
    found = intents(
        RouteDecision("maintenance", 0.9, {}),
        clauses,
        [RouteDecision("specs", 0.95, {}), RouteDecision("maintenance", 0.97, {})],
    )
    assert [i.route for i in found] == ["maintenance", "specs"]
    assert [i.route for i in sorted(found, key=lambda i: asked_at(i, clauses))] == [
        "specs",
        "maintenance",
    ]


def test_the_lead_specialist_answers_every_clause_no_other_one_takes() -> None:
    """A code reported in one clause, "what's wrong with it" in the next: the diagnosis gets
    both (and the code), the booking its own clause."""
    clauses = [
        "My Nova's engine light is flashing",
        "the app shows EN-326.",
        "What's wrong with it",
        "can I get it booked in for a check this week?",
    ]

    def decided(route: str, confidence: float) -> RouteDecision:
        return RouteDecision(route, confidence, {})

    found = intents(
        decided("troubleshooting", 0.98),
        clauses,
        [
            decided("troubleshooting", 0.99),
            decided("troubleshooting", 0.56),  # too unsure to be an intent of its own
            decided("general", 0.51),
            decided("maintenance", 0.97),
        ],
        fault_routes=("troubleshooting",),
    )
    assert [(i.route, i.text, i.clause) for i in found] == [
        (
            "troubleshooting",
            "My Nova's engine light is flashing, the app shows EN-326. What's wrong with it",
            REST,
        ),
        ("maintenance", clauses[3], 4),
    ]


def test_clauses_said_again_as_one_message_are_kept_apart() -> None:
    assert joined(["What oil goes in the transfer case", "how many litres?"]) == (
        "What oil goes in the transfer case, how many litres?"
    )
    assert joined(["Is it dead?", "and what's the max charging current"]) == (
        "Is it dead? and what's the max charging current"
    )


def test_a_single_question_stays_whole() -> None:
    assert split_clauses("How far can the Aster go and how fast does it charge") == [
        "How far can the Aster go",
        "how fast does it charge",
    ]
    assert split_clauses("hi") == ["hi"]


def test_a_part_of_a_word_or_two_stays_with_the_clause_before_it() -> None:
    message = "cruise control won't engage and the screen says Cruise Control Fault. what now?"
    assert split_clauses(message) == [
        "cruise control won't engage",
        "the screen says Cruise Control Fault. what now?",
    ]
    assert split_clauses("Hi there. My car shows P0300. Can I book a service?") == [
        "Hi there. My car shows P0300.",
        "Can I book a service?",
    ]


# The semantic router's route scores for three messages (measured with the bundled model).
HELLO = {"specs": 0.1453, "maintenance": 0.1887, "troubleshooting": 0.1522, "general": 0.5436}
TOW_AND_SERVICE = {"specs": 0.5385, "maintenance": 0.5059, "troubleshooting": 0.19, "general": 0.3}
CODE_AND_BOOK = {"specs": 0.2889, "maintenance": 0.5654, "troubleshooting": 0.3963, "general": 0.36}
EVERY_ROUTE = ["specs", "maintenance", "troubleshooting", "general"]  # the prompt's order


def test_a_greeting_goes_to_no_specialist_whatever_the_model_says() -> None:
    assert consistent_routes(EVERY_ROUTE, HELLO) == ["general"]
    assert consistent_routes(["specs", "maintenance"], HELLO) == []


def test_the_model_keeps_at_most_two_routes_the_scores_bear_out_best_first() -> None:
    assert consistent_routes(EVERY_ROUTE, TOW_AND_SERVICE) == ["specs", "maintenance"]
    assert consistent_routes(EVERY_ROUTE, CODE_AND_BOOK) == ["maintenance", "troubleshooting"]
    assert consistent_routes(["troubleshooting"], CODE_AND_BOOK) == ["troubleshooting"]


def test_the_general_route_never_joins_a_specialist() -> None:
    close = {"specs": 0.50, "general": 0.48, "maintenance": 0.20}
    assert consistent_routes(["general", "specs"], close) == ["specs"]
    assert consistent_routes(["specs", "general"], {**close, "general": 0.52}) == ["general"]


def test_routes_the_router_does_not_know_are_dropped() -> None:
    assert consistent_routes(["pizza", "specs"], TOW_AND_SERVICE) == ["specs"]
    assert consistent_routes(["specs"], {}) == []


def test_eval_routing_prints_accuracy_and_a_confusion_matrix() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "eval", "routing", str(LABELLED)],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("accuracy 0.9")
    assert "precision  recall" in result.stdout
    assert "confusion (rows: truth, columns: predicted)" in result.stdout


def test_a_warning_quoted_as_the_display_shows_it_is_named_and_a_name_holding_its_word_is_not() -> (
    None
):
    for message in (
        "What does EPS Performance Reduced mean exactly?",
        "what if it's the Traction Control Fault instead?",
        "Which level do I check when Low Oil Pressure comes up?",
    ):
        assert names_a_display_message(message), message
    for message in (
        "What does the New Vehicle Limited Warranty cover?",
        "How do I turn on Adaptive Cruise Control?",
        "How does the Lane Departure Warning work?",
        "autohold fault - do I need a dealer?",  # not quoted as the display shows it
        "Low beam bulb type?",
    ):
        assert not names_a_display_message(message), message


def test_a_quoted_warning_goes_to_the_fault_route_unless_an_appointment_is_asked_for() -> None:
    asked = "Which level do I check when Low Oil Pressure comes up?"
    assert to_fault_route(asked, "maintenance", defers_codes=False)
    assert to_fault_route("What does EPS Performance Reduced mean?", "specs", defers_codes=True)
    assert not to_fault_route("Book me in, it says Brake Fault", "maintenance", defers_codes=False)
    assert not to_fault_route(asked, "general", defers_codes=False)
    # A fault code goes only from a route that defers codes.
    assert to_fault_route("What does P0A80 mean?", "specs", defers_codes=True)
    assert not to_fault_route("What does P0A80 mean?", "maintenance", defers_codes=False)


def test_whether_to_drive_on_is_no_request_of_its_own() -> None:
    for clause in (
        "can i keep driving to get home?",
        "Is it safe to drive?",
        "can I still ride it?",
    ):
        assert not stands_alone(clause, "maintenance"), clause
    assert stands_alone("what is the towing capacity?", "specs")
