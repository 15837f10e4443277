"""The general specialist's fixed replies read as sentences, for any company."""

from __future__ import annotations

from agents.general.prompts import greeting, human, out_of_scope


def test_the_replies_keep_i_capitalised_mid_sentence() -> None:
    for reply in (greeting("Halden", ["Fjord", "Tarn"]), human(None, [])):
        assert " i " not in reply and "Hello, i" not in reply and "Meanwhile, i" not in reply
    assert greeting("Halden", ["Fjord", "Tarn"]).startswith(
        "Hello, I can help with Halden vehicle specifications (Fjord and Tarn)"
    )
    assert "Meanwhile, I can help with vehicle specifications," in human(None, [])
    assert out_of_scope(None, ["Fjord"]).startswith("Sorry, that's outside what I can help with.")
