"""The trade's other words: a customer's term the documents never use gets theirs beside it."""

from __future__ import annotations

from rag.glossary import (
    TRADE,
    Glossary,
    Renaming,
    Wording,
    parse_terms,
    read_groups,
    terms_line,
    with_groups,
    with_terms,
)

SERVICE_PLAN = [
    "Timing belt: inspect at 60,000 km, replace at 150,000 km.",
    "A replacement car is free of charge when the work takes 3 hours or longer.",
    "Check the tyres and the gearbox oil. Automatic transmission fluid: every 120,000 km.",
]


def test_a_term_the_documents_never_use_gets_theirs_beside_it() -> None:
    wording = Wording.of(SERVICE_PLAN)
    assert wording.expand("When is the cambelt due on my car?") == (
        "When is the cambelt (timing belt) due on my car?"
    )
    assert wording.renamings("Do I get a loan car?") == [Renaming("loan car", ("replacement car",))]


def test_a_term_the_documents_use_is_left_as_it_is() -> None:
    wording = Wording.of(SERVICE_PLAN)
    assert wording.expand("How much gearbox oil does it take?") == (
        "How much gearbox oil does it take?"
    )


def test_a_term_nobody_in_the_documents_names_otherwise_is_left_too() -> None:
    assert Wording.of(SERVICE_PLAN).expand("Where is the bonnet release?") == (
        "Where is the bonnet release?"
    )


def test_the_longest_term_wins_where_terms_overlap() -> None:
    assert Wording.of(SERVICE_PLAN).expand("When is the auto gearbox fluid changed?") == (
        "When is the auto gearbox (automatic transmission) fluid changed?"
    )


def test_endings_and_spellings_count_as_the_same_term() -> None:
    wording = Wording.of(["Check the tyres monthly.", "The wallbox and the jump-start cables."])
    assert wording.used["tyre"] == 1
    assert wording.used["jump start"] == 1
    assert wording.expand("What pressure for the tires?") == "What pressure for the tires (tyre)?"
    assert wording.expand("my car was remapped") == "my car was remapped"


def test_a_workshop_word_a_customer_does_not_use_is_found_by_the_customer_s() -> None:
    wording = Wording.of(["Back-up lights: 921.", "Generator brush length: 5.0 mm."])
    assert wording.expand("bulb number for the reverse lights?") == (
        "bulb number for the reverse lights (back-up light)?"
    )
    assert wording.expand("brush length on the alternator?") == (
        "brush length on the alternator (generator)?"
    )


def test_a_service_manual_s_words_for_a_fault_a_part_or_an_adjustment_are_found() -> None:
    wording = Wording.of(
        [
            "If the engine knocks under load, use fuel of a higher octane.",
            "Differential gear oil: SAE 90. Wheel alignment: toe-in 0 - 5 mm.",
        ]
    )
    assert wording.expand("Engine pings going up a hill") == (
        "Engine pings (knock) going up a hill"
    )
    assert wording.expand("oil for the rear diff?") == "oil for the rear diff (differential)?"
    assert wording.expand("after adjusting the tracking") == (
        "after adjusting the tracking (wheel alignment)"
    )


def test_a_word_inside_another_is_not_a_term() -> None:
    assert TRADE.find("the entire trunkline") == []


def test_an_abbreviation_matches_only_as_written() -> None:
    wording = Wording.of(["Top up the AdBlue tank when the display asks."])
    assert wording.expand("Where does the DEF go?") == "Where does the DEF (AdBlue) go?"
    assert wording.expand("the def leppard song") == "the def leppard song"


def test_a_glossary_refuses_an_abbreviation_of_several_words() -> None:
    try:
        Glossary((("ABS", "ANTI LOCK"),))
    except ValueError:
        return
    raise AssertionError("accepted")


def test_the_prompt_states_the_terms_and_reads_them_back() -> None:
    renamings = [Renaming("cambelt", ("timing belt",)), Renaming("loan car", ("a", "b"))]
    line = terms_line(renamings)
    assert line == "cambelt: in these documents, timing belt\nloan car: in these documents, a, b"
    assert parse_terms(line) == renamings
    assert with_terms("the cambelt and a loan car", renamings) == (
        "the cambelt (timing belt) and a loan car (a, b)"
    )


def test_a_company_adds_its_own_terms_one_group_a_line() -> None:
    groups = read_groups("# our words\nOne-Pedal, e-Pedal\n\nservice plan, Care Plus, care plan\n")
    assert groups == (("One-Pedal", "e-Pedal"), ("service plan", "Care Plus", "care plan"))
    wording = Wording.of(["Switch on e-Pedal in the settings."], with_groups(groups))
    assert wording.expand("How do I turn on one pedal driving?") == (
        "How do I turn on one pedal (e-Pedal) driving?"
    )


def test_a_company_term_leaves_the_trade_group_it_was_in() -> None:
    glossary = with_groups((("regen", "B mode"),))
    assert glossary.groups[glossary.group_of["regen"]] == ("regen", "B mode")
    assert glossary.groups[glossary.group_of["recuperation"]] == (
        "regenerative braking",
        "recuperation",
        "energy recovery",
    )
    wording = Wording.of(["Select B mode for stronger deceleration."], glossary)
    assert wording.expand("how strong is the regen?") == "how strong is the regen (B mode)?"


def test_a_line_of_one_term_is_refused_with_its_number() -> None:
    try:
        read_groups("a, b\njust one\n")
    except ValueError as exc:
        assert "line 2" in str(exc)
        return
    raise AssertionError("accepted")
