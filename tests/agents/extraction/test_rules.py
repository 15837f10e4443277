"""The scoring rules of the offline answerer, one specification each: asked this, a unit like
this makes the rule fire (1, or a share), a unit like that does not (0)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agents import extraction
from agents.extraction import rules
from agents.extraction.question import read_question
from agents.extraction.rules import RULES, Candidate
from agents.extraction.unit import Unit
from rag.catalogue import Catalogue, ModelEntry, VariantEntry


def unit(text: str, **fields: Any) -> Candidate:
    """A candidate unit of text, first in the best passage, unless `fields` say otherwise."""
    return Candidate(Unit(text, fields.pop("source", 1), fields.pop("rank", 0), 0, **fields))


def catalogue(models: dict[str, list[str]]) -> Catalogue:
    """A catalogue of these models, each with its variants."""
    return Catalogue(
        models=[
            ModelEntry(name=name, variants=[VariantEntry(name=v) for v in variants])
            for name, variants in models.items()
        ]
    )


TALUS = catalogue({"Talus": ["Talus 2.2D", "Talus 2.2D Trail"], "Vireo": []})


def test_the_closer_in_meaning_the_more_it_scores() -> None:
    asked = read_question("How often is the cabin filter replaced?")
    close = Candidate(Unit("Replace the cabin filter yearly.", 1, 0, 0), similarity=0.7)
    assert rules.similar_meaning(asked, close) == 0.7


def test_shared_terms_count_the_share_of_the_question_s_terms_the_unit_has() -> None:
    asked = read_question("How often is the cabin filter replaced?")
    assert rules.shared_terms(asked, unit("Replace the cabin filter every 2 years.")) == 0.75
    assert rules.shared_terms(asked, unit("The cabin filter keeps pollen out.")) == 0.5
    assert rules.shared_terms(asked, unit("Check the tyres monthly.")) == 0.0


def test_a_label_the_question_names_fires() -> None:
    asked = read_question("How often is the cabin filter replaced?")
    assert rules.label_named(asked, unit("Every 2 years.", label="Cabin filter"))
    assert not rules.label_named(asked, unit("Every 2 years.", label="Wiper blades"))


def test_a_heading_counts_the_share_of_the_question_s_terms_it_has() -> None:
    asked = read_question("How often is the cabin filter replaced?")
    assert rules.heading_shared(asked, unit("Every 2 years.", heading="Care > Cabin filter")) == 0.5
    assert rules.heading_shared(asked, unit("Every 2 years.", heading="Care > Wipers")) == 0.0


def test_a_code_the_question_names_fires_in_the_text_label_or_section() -> None:
    asked = read_question("What does P0420 mean?")
    assert rules.code_named(asked, unit("P0420: catalyst efficiency below threshold."))
    assert rules.code_named(asked, unit("Have the catalyst checked.", heading="Codes > P0420"))
    assert not rules.code_named(asked, unit("P0300: misfire detected."))


def test_a_code_named_by_its_number_alone_is_named_by_that_number_standing_alone() -> None:
    asked = read_question("the light is blinking out code 42, what part is faulty?")
    assert asked.codes == ("42",)
    assert rules.code_named(asked, unit("42 (Faulty portion): Vehicle speed sensor signal"))
    assert not rules.code_named(asked, unit("Idle speed: 1420 rpm"))
    assert not rules.code_named(asked, unit("Gap: 0.42 mm"))
    assert not rules.code_named(asked, unit("Bolt length: 42 mm"))  # a figure, not a code
    assert rules.code_named(asked, unit("Error no. 42: replace the sensor."))
    assert read_question("error no. 5 on the display").codes == ("5",)
    assert read_question("What does code 3.5 mean?").codes == ()
    assert read_question("How much is 42 litres of fuel?").codes == ()


def test_a_unit_stating_the_kind_of_fact_asked_for_fires() -> None:
    asked = read_question("How often does it need a standard service?")
    assert rules.kind_stated(asked, unit("It is due every 15,000 km or 12 months."))
    assert not rules.kind_stated(asked, unit("A standard service takes about 2 hours."))


def test_asked_outright_a_unit_stating_only_other_kinds_of_fact_fires_the_penalty() -> None:
    asked = read_question("How often does it need a standard service?")
    assert rules.kind_missing(asked, unit("A standard service takes about 2 hours."))
    assert not rules.kind_missing(asked, unit("It is due every 15,000 km or 12 months."))
    thin = read_question("How thin can the brake pads get?")
    assert thin.directly
    mentioned = read_question("the service light came on last week")
    assert not rules.kind_missing(mentioned, unit("A standard service takes about 2 hours."))


def test_asked_which_fluid_to_use_a_unit_naming_no_grade_fires_the_penalty() -> None:
    asked = read_question("Which brake fluid should I use in it?")
    assert asked.directly
    assert rules.kind_missing(asked, unit("Avoid mixing the specified brake fluid with others."))
    assert not rules.kind_missing(asked, unit("Brake fluid: DOT 4."))
    # what to do is not a grade asked outright
    assert not read_question("Which brake fluid should I use, and how do I top it up?").directly


def test_a_unit_naming_the_measure_asked_for_in_its_units_fires() -> None:
    asked = read_question("What's the top speed?")
    assert rules.measure_named(asked, unit("Top speed: 250 km/h."))
    assert not rules.measure_named(asked, unit("At 120 km/h the gap is 60 m."))


def test_a_figure_labelled_only_as_a_given_value_names_the_measure_of_its_step() -> None:
    asked = read_question("What's the minimum thickness of the brake pads?")
    limit = unit("Limit: 2.0 mm", match="Check the brake pad thickness. Limit: 2.0 mm")
    assert rules.measure_named(asked, limit)
    # A figure's own label says what it measures: its step is not read for it.
    bore = unit("Bore: 93 mm", match="Check the brake pad thickness. Bore: 93 mm")
    assert not rules.measure_named(asked, bore)


def test_a_key_the_question_names_in_full_fires_when_words_follow_it() -> None:
    asked = read_question("The ring around the socket was flashing yellow")
    assert rules.key_named(asked, unit("Flashing yellow: the car is waiting for its timer."))
    assert not rules.key_named(asked, unit("Flashing yellow: 3 times a second."))


def test_asked_what_to_do_an_order_fires() -> None:
    order = unit("Press and hold the reset button.")
    assert rules.order_asked(read_question("How do I reset the tyre warning?"), order)
    assert not rules.order_asked(read_question("What is the tyre warning?"), order)


def test_a_lower_ranked_passage_counts_its_rank() -> None:
    asked = read_question("How often is the cabin filter replaced?")
    assert rules.passage_rank(asked, unit("Every 2 years.", rank=2)) == 2.0
    assert rules.passage_rank(asked, unit("Every 2 years.", rank=0)) == 0.0


def test_a_condition_the_question_does_not_mention_fires() -> None:
    exception = Candidate(
        Unit("If you tow, change it every 7,500 km.", 1, 0, 0), condition=" you tow"
    )
    assert rules.unasked_condition(read_question("How often is the oil changed?"), exception)
    assert not rules.unasked_condition(
        read_question("I tow: how often is the oil changed?"), exception
    )
    assert not rules.unasked_condition(
        read_question("How often is the oil changed?"), unit("Yearly.")
    )


def test_asked_about_one_vehicle_a_comparison_with_another_fires() -> None:
    asked = read_question("How fast is the Talus?", "Talus", TALUS)
    assert rules.comparison(asked, unit("The Talus is quicker than the Vireo."))
    assert not rules.comparison(asked, unit("The Talus reaches 100 km/h in 9 s."))
    assert rules.comparison(asked, unit("Braked towing: 3,500 kg", kind="row", model_wide=True))


def test_asked_about_a_variant_a_section_about_another_variant_fires() -> None:
    asked = read_question("Braked towing of the Talus 2.2D Trail?", "Talus 2.2D Trail", TALUS)
    assert rules.other_variant_heading(asked, unit("Up to 3,500 kg.", heading="Talus 2.2D"))
    assert not rules.other_variant_heading(
        asked, unit("Up to 3,200 kg.", heading="Talus 2.2D Trail")
    )


def test_asked_about_a_variant_another_variant_s_figure_fires() -> None:
    asked = read_question("Braked towing of the Talus 2.2D Trail?", "Talus 2.2D Trail", TALUS)
    assert rules.other_variant_named(asked, unit("Maximum braked towing: 3,500 kg (2.2D)."))
    assert not rules.other_variant_named(asked, unit("The 2.2D Trail tows up to 3,200 kg."))


def test_a_figure_without_what_the_question_asks_with_fires() -> None:
    asked = read_question("How much oil does it take with a new filter?")
    assert rules.opposite_condition(asked, unit("Drain and refill: without filter: 7.4"))
    assert not rules.opposite_condition(asked, unit("Drain and refill: with filter: 8.2"))
    assert rules.opposite_condition(
        read_question("How much oil without the filter?"), unit("With filter: 8.2")
    )
    assert not rules.opposite_condition(
        read_question("How much oil does it take?"), unit("Without filter: 7.4")
    )


def test_asked_for_one_dimension_a_unit_naming_another_fires() -> None:
    asked = read_question("How long is the car, bumper to bumper?")
    height = unit("Overall height: 1,550 mm", label="Overall height")
    assert rules.other_dimension(asked, height)
    assert not rules.other_dimension(asked, unit("Overall length: 4,365 mm"))
    assert rules.other_dimension(asked, unit("Wheelbase: 2,600 mm"))  # not the car's length
    assert not rules.other_dimension(read_question("How long is the wheelbase?"), height)
    assert not rules.other_dimension(asked, unit("Turning circle: 10.4 m"))  # names none
    assert not rules.other_dimension(read_question("What are its dimensions?"), height)


def test_asked_outright_for_a_figure_a_unit_pointing_at_one_given_elsewhere_fires() -> None:
    asked = read_question("What torque should the drain plug be tightened to?")
    assert rules.value_referred(asked, unit("Tighten the drain plug to the specified torque."))
    assert rules.value_referred(asked, unit("Use the torque recommended below."))
    stated = unit("Tighten the drain plug to the specified torque: 39 N·m.")
    assert not rules.value_referred(asked, stated)
    assert not rules.value_referred(asked, unit("Fit a new washer to the drain plug."))
    assert not rules.value_referred(asked, unit("Standard value: 0.15 mm"))  # gives one
    how = read_question("How do I change the engine oil?")
    assert not rules.value_referred(how, unit("Refill with the specified quantity of oil."))


def test_every_rule_has_one_row_named_for_its_function() -> None:
    assert [rule.name for rule in RULES] == [rule.reads.__name__ for rule in RULES]
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_penalties_weigh_against_a_unit() -> None:
    weights = {rule.name: rule.weight for rule in RULES}
    penalties = {"kind_missing", "passage_rank", "unasked_condition", "comparison",
                 "other_variant_heading", "other_variant_named", "opposite_condition",
                 "other_dimension", "value_referred", "opposite_named",
                 "excepted_named", "other_market"}  # fmt: skip
    assert {name for name, weight in weights.items() if weight < 0} == penalties


def test_a_unit_s_score_is_what_the_rules_that_fired_added() -> None:
    units = [Unit("Replace the cabin filter every 2 years.", 1, 0, 0),
             Unit("A standard service takes about 2 hours.", 2, 1, 0)]  # fmt: skip
    scored = extraction.score(
        "How often is the cabin filter replaced?",
        units,
        lambda texts: np.eye(len(texts), dtype=np.float32),  # no two alike in meaning
        None,
        Catalogue(),
    )
    assert scored.fired(0) == {"shared_terms": pytest.approx(0.225), "kind_stated": 0.08}
    assert scored.fired(1) == {"kind_missing": -0.06, "passage_rank": -0.02}
    for i in range(len(units)):
        assert sum(scored.fired(i).values()) == pytest.approx(scored.scores[i])


SERVICE = """A standard service takes about 2 hours at the workshop.

The standard service is due every 15,000 km or 12 months."""


def test_the_explanation_of_an_answer_names_the_rules_that_fired(embedder: Any) -> None:
    explained = extraction.explain(
        "How often does it need a standard service?",
        [(1, "Manual", "Service", SERVICE)],
        embedder.encode,
    )
    lead, fired = explained[0]
    assert lead.text == "The standard service is due every 15,000 km or 12 months."
    assert {"similar_meaning", "shared_terms", "kind_stated"} <= fired.keys()
    assert "kind_missing" not in fired


def test_the_rules_that_fired_say_why_another_variant_s_figure_lost(embedder: Any) -> None:
    question, focus = "what's the braked towing of the Talus 2.2D Trail?", "Talus 2.2D Trail"
    other = "Maximum braked towing: 3,500 kg (2.2D)."
    own = "The 2.2D Trail tows up to 3,200 kg braked, its raised suspension allowing less."
    units = extraction.candidates([(1, "Talus", "Towing", f"{other}\n\n{own}")], focus, TALUS,
                                  question)  # fmt: skip
    scored = extraction.score(question, units, embedder.encode, focus, TALUS)
    fired = {u.text: scored.fired(i) for i, u in enumerate(units)}
    assert fired[other]["other_variant_named"] == -0.12
    assert "other_variant_named" not in fired[own]
    assert extraction.pick(scored)[0].text == own


def test_a_unit_naming_the_other_side_of_what_is_asked_fires() -> None:
    asked = read_question("and a short wheelbase one with the rear heater?")
    assert rules.opposite_named(asked, unit("<Long wheelbase (vehicles with rear heater)> 10.5 L"))
    assert not rules.opposite_named(asked, unit("<Short wheelbase> 9.0 L"))
    assert not rules.opposite_named(asked, unit("Coolant: 9.0 L"))  # names no side
    exhaust = read_question("What's the exhaust valve clearance, cold?")
    assert rules.opposite_named(exhaust, unit("Intake valve: 0.10 mm", label="Standard value"))
    assert not rules.opposite_named(exhaust, unit("Intake: 0.10 mm, exhaust: 0.15 mm"))
    # A question naming both sides, or asking "how long", names no one side.
    assert not rules.opposite_named(read_question("front and rear pressures?"), unit("Rear: 2.4"))
    assert not rules.opposite_named(read_question("How long does it last?"), unit("Short trips"))


def test_a_figure_said_not_to_hold_for_what_the_question_names_fires() -> None:
    us = read_question("Coolant capacity for a US-market 2.5 automatic?")
    other_markets = "Engine coolant capacity [Except U.S.A. and CANADA]: ATX: 8.1 L"
    assert rules.excepted_named(us, unit(other_markets))
    assert not rules.excepted_named(us, unit("Engine coolant capacity [U.S.A. and CANADA]: 7.6 L"))
    # "US qt" is a measure's units, not the market's own figure.
    assert rules.excepted_named(us, unit(f"{other_markets} {{8.6 US qt, 7.1 Imp qt}}"))
    assert not rules.excepted_named(
        read_question("coolant capacity in Europe?"), unit(other_markets)
    )
    grade = read_question("How long is the XRS overall?")
    assert rules.excepted_named(grade, unit("Length: 171.9 in. (Except S or XRS grade models)"))
    both = "Length: 171.9 in. (Except S or XRS grade models) 173.0 in. (S or XRS grade models)"
    assert not rules.excepted_named(grade, unit(both))  # it gives the XRS's own figure too
    # Initials in capitals only: "us" is a word; words of any exception ("models") name none.
    assert not rules.excepted_named(
        read_question("can you tell us the length?"), unit(other_markets)
    )
    assert not rules.excepted_named(
        read_question("length of the base models?"),
        unit("Length: 171.9 in. (Except S grade models)"),
    )
    # "except" in a sentence names the one to use, not one the figure is not for.
    assert not rules.excepted_named(
        read_question("is DOT 4 fluid ok?"), unit("Use no brake fluid except DOT 4.")
    )


def test_asked_about_one_market_a_figure_given_for_others_fires() -> None:
    europe = read_question("I'm in Europe with an automatic, how much coolant does it hold?")
    assert rules.other_market(europe, unit("Coolant capacity [U.S.A. and CANADA]: ATX: 7.6 L"))
    assert not rules.other_market(europe, unit("Coolant capacity [Except U.S.A.]: ATX: 8.1 L"))
    assert not rules.other_market(europe, unit("Coolant capacity (Europe): 8.1 L"))
    assert not rules.other_market(europe, unit("Coolant capacity: 8.1 L {8.6 US qt}"))
    assert not rules.other_market(europe, unit("Oil grade (American Petroleum Institute): SN"))
    # A question naming no market: every market's figure may answer.
    asked = read_question("how much coolant does it hold?")
    assert not rules.other_market(asked, unit("Coolant capacity [U.S.A. and CANADA]: 7.6 L"))
    assert not rules.other_market(
        read_question("can you tell us the capacity?"), unit("Capacity [Canada]: 7.6 L")
    )
