"""Follow-up questions become standalone from the conversation alone."""

from __future__ import annotations

from orchestrator.followups import models_in, standalone_query, variant_in


def test_a_pronoun_follow_up_names_the_model_asked_about_before() -> None:
    history = ["What's the towing capacity of the Ridge?"]
    assert standalone_query("And what about its payload?", history) == (
        "And what about its payload? (Kestrel Ridge)"
    )


def test_the_most_recent_model_wins() -> None:
    history = ["Tell me about the Aster", "How much does the Sable 2.0T GT tow?"]
    assert standalone_query("what about its top speed?", history).endswith(
        "(Kestrel Sable 2.0T GT)"
    )


def test_naming_another_model_borrows_the_previous_topic() -> None:
    history = ["What's the towing capacity of the Ridge?"]
    assert standalone_query("And the Sable?", history) == "What's the towing capacity of the Sable?"


def test_a_standalone_question_is_left_alone() -> None:
    history = ["What's the towing capacity of the Ridge?"]
    assert standalone_query("hello", history) == "hello"
    assert (
        standalone_query("How big is the Aster's boot?", history) == "How big is the Aster's boot?"
    )


def test_my_car_means_the_customers_only_vehicle() -> None:
    assert standalone_query("How often should my car be serviced?", [], ["Sable"]).endswith(
        "(Kestrel Sable)"
    )


def test_models_and_variants_are_recognised() -> None:
    assert models_in("ridge vs ASTER") == ["Ridge", "Aster"]
    assert variant_in("the Aster Long Range AWD") == "Aster Long Range"
    assert variant_in("Ridge tow pack payload") == "Ridge Hybrid Tow Pack"
    assert variant_in("Sable") is None
