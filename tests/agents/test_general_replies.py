"""The general specialist's fixed replies read as sentences, for any company and any set of
specialists."""

from __future__ import annotations

from agents.general.prompts import capabilities, greeting, human, out_of_scope, system

OFFERS = ("vehicle specifications", "maintenance, service appointments and warranty questions")


def test_the_replies_keep_i_capitalised_mid_sentence() -> None:
    for reply in (greeting("Halden", ["Fjord", "Tarn"], OFFERS), human(None, [], OFFERS)):
        assert " i " not in reply and "Hello, i" not in reply and "Meanwhile, i" not in reply
    assert greeting("Halden", ["Fjord", "Tarn"], OFFERS).startswith(
        "Hello, I can help with Halden vehicles (Fjord and Tarn): vehicle specifications and "
        "maintenance, service appointments and warranty questions."
    )
    assert "Meanwhile, I can help with vehicle specifications and" in human(None, [], OFFERS)
    assert out_of_scope(None, ["Fjord"], OFFERS).startswith(
        "Sorry, that's outside what I can help with. I can help with our vehicles (Fjord): "
    )


def test_every_specialist_is_named_and_the_list_reads_as_one() -> None:
    offers = (*OFFERS, "safety recalls")
    assert capabilities(None, [], offers) == (
        "I can help with vehicle specifications, maintenance, service appointments and warranty "
        "questions, and safety recalls."
    )
    assert "You help with vehicle specifications, maintenance, " in system(offers)
    assert "and safety recalls. For anything else" in system(offers).replace("\n", " ")
