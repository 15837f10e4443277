"""The tools that judge an answer-quality change on real manuals: two runs side by side, and
the picking weights fitted on one half and counted on the other."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from agents.extraction.rules import RULES
from bench import fit_picking, manuals_compare, pick_data, real_manuals
from orchestrator.cli.answer_eval import Conversation


def _run(path: Path, fact: float, follow_ups: list[int]) -> Path:
    manual = {"name": "a.pdf", "half": "tuning", "fact": fact, "follow_ups_right": follow_ups}
    details = {"manuals": [manual], "halves": {"tuning": {"fact": fact}}}
    path.write_text(json.dumps({"scenarios": [{"name": "manuals", "details": details}]}))
    return path


def test_two_runs_side_by_side_mark_what_moved(tmp_path: Path) -> None:
    before = manuals_compare.manuals_details(_run(tmp_path / "a.json", 0.5, [1, 2]))
    after = manuals_compare.manuals_details(_run(tmp_path / "b.json", 0.75, [1, 2]))
    table = manuals_compare.rows(before, after)
    assert [(half, name, moved) for half, name, _, moved in table] == [
        ("tuning", "`a.pdf`", True),
        ("tuning", "**all**", True),
    ]
    cells = dict(zip((label for _, label in manuals_compare.FIGURES), table[0][2], strict=True))
    assert cells["fact"] == "0.500 → 0.750"
    assert cells["follow-ups"] == "1/2 → 1/2"
    assert cells["LLM context"] == "— → —"


def test_a_manual_the_corpus_gained_since_shows_with_no_before(tmp_path: Path) -> None:
    before = manuals_compare.manuals_details(_run(tmp_path / "a.json", 0.5, [1, 2]))
    after = manuals_compare.manuals_details(_run(tmp_path / "b.json", 0.5, [1, 2]))
    after["manuals"].append({"name": "b.html", "half": "tuning", "fact": 0.8})
    table = manuals_compare.rows(before, after)
    assert [(name, moved) for _, name, _, moved in table] == [
        ("`a.pdf`", False),
        ("`b.html`", False),
        ("**all**", False),
    ]
    assert table[1][2][1] == "— → 0.800"


def _unit(holds: bool, **values: float) -> dict:  # type: ignore[type-arg]
    return {"holds": holds, "values": [values.get(rule.name, 0.0) for rule in RULES]}


def test_a_weight_that_puts_the_unit_holding_the_fact_first_is_found() -> None:
    # The unit stating the figure asked for is less like the question in meaning: with
    # today's weights the unit that states none leads (0.60 - 0.06 against 0.40 + 0.08).
    rows = [
        {
            "has_fact": True,
            "units": [
                _unit(False, similar_meaning=0.60, kind_missing=1.0),
                _unit(True, similar_meaning=0.40, kind_stated=1.0),
            ],
        }
        for _ in range(3)
    ]
    turns = fit_picking.Turns(rows)
    today = np.asarray([rule.weight for rule in RULES])
    assert turns.right(today)[0] == 0
    fitted = fit_picking.fit(turns, today)
    assert turns.right(fitted)[0] == 3
    names = [rule.name for rule in RULES]
    assert fitted[names.index("similar_meaning")] == 1.0  # the scale stays
    assert all(np.sign(fitted) * np.sign(today) >= 0)  # no weight changes sign


def test_requests_without_the_fact_among_their_units_are_left_out_of_the_count() -> None:
    rows = [
        {"has_fact": True, "units": [_unit(False, similar_meaning=0.9)]},
        {"has_fact": False, "units": [_unit(False, similar_meaning=0.9)]},
        {"has_fact": True, "units": [_unit(True, similar_meaning=0.9)]},
    ]
    turns = fit_picking.Turns(rows)
    assert (turns.total, turns.answerable) == (2, 1)


def test_the_in_repo_corpora_are_fitted_on_with_their_documents_ingested_on_first_use(
    tmp_path: Path,
) -> None:
    found = pick_data.sources("in-repo", tmp_path)
    assert [name for name, *_ in found] == ["sample", "halden"]
    for _, questions, data_dir, documents in found:
        assert questions.is_file() and documents is not None and documents.is_dir()
        assert data_dir.parent == tmp_path


def test_a_half_of_the_real_manuals_is_read_from_the_folders_the_bench_ingested(
    tmp_path: Path,
) -> None:
    found = pick_data.sources("tuning", tmp_path)
    assert found and all(documents is None for *_, documents in found)
    assert all(questions.is_file() for _, questions, *_ in found)


def test_a_fact_a_passage_states_and_no_unit_holds_is_named_as_lost_in_reading() -> None:
    rows = [
        {"has_fact": True, "passages_holding": [1], "units": [_unit(False)]},  # lost
        {"has_fact": True, "passages_holding": [], "units": [_unit(False)]},  # not retrieved
        {"has_fact": True, "passages_holding": [2], "units": [_unit(True)]},  # read
        {"has_fact": False, "passages_holding": [], "units": [_unit(False)]},
    ]
    assert pick_data.lost_in_reading(rows) == [rows[0]]


def test_llm_mode_misses_name_the_turn_and_what_it_missed() -> None:
    conversation = Conversation.model_validate(
        {
            "id": "oil",
            "kind": "follow-up",
            "turns": [
                {"message": "How much oil?", "routes": ["specs"], "fact": ["4.4 L"], "page": 9},
                {"message": "and the diesel?", "routes": ["specs"], "fact": ["5.1 L"]},
            ],
        }
    )
    turns = [
        {"conversation": "oil", "index": 0, "has_fact": True, "in_context": True,
         "page_retrieved": False},
        {"conversation": "oil", "index": 1, "has_fact": True, "in_context": False,
         "page_retrieved": None},
    ]  # fmt: skip
    assert real_manuals.llm_misses([conversation], turns).splitlines() == [
        "LLM mode misses:",
        "oil#0 [page] How much oil?",
        "oil#1 [context] and the diesel?",
    ]
