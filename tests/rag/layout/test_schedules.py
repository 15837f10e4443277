"""A maintenance schedule set as a grid of marks read item by item: "item: every N km"."""

from __future__ import annotations

from rag.blocks import Block
from rag.layout.schedules import Grid, grid, mark_legend, read_schedules, schedule_lines

KM = ("10,000 km", "20,000 km", "30,000 km", "40,000 km")
DOTS = Grid(
    ("No.", "Operation", *KM),
    (
        ("1", "Change engine oil and filter", "●", "●", "●", "●"),
        ("2", "Replace air filter", "", "●", "", "●"),
        ("3", "Change coolant", "", "", "●", ""),
    ),
)


def test_dots_under_intervals_read_as_when_each_item_is_due() -> None:
    assert schedule_lines(DOTS, {}) == [
        "- Change engine oil and filter: every 10,000 km (at 10,000 km, 20,000 km, 30,000 km, "
        "40,000 km)",
        "- Replace air filter: every 20,000 km (at 20,000 km, 40,000 km)",
        "- Change coolant: at 30,000 km",
    ]


def test_letters_a_legend_explains_read_as_what_to_do_and_when() -> None:
    table = Grid(("Item", *KM), (("Brake fluid", "I", "R", "I", "R"),))
    legend = {"I": "Inspect", "R": "Replace"}
    assert schedule_lines(table, legend) == [
        "- Brake fluid: inspect at 10,000 km, 30,000 km; replace every 20,000 km "
        "(at 20,000 km, 40,000 km)"
    ]
    assert schedule_lines(table, {}) == [
        "- Brake fluid: I at 10,000 km, 30,000 km; R every 20,000 km (at 20,000 km, 40,000 km)"
    ]


def test_other_columns_go_with_the_item_and_a_group_leads_it() -> None:
    table = Grid(
        ("Sr. No.", "Operation", "Kms / Months", "15K", "30K", "45K"),
        (("Engine – 2", "Change engine oil", "15K / 12M", "●", "●", "●"),),
    )
    assert schedule_lines(table, {}) == [
        "- Engine – Change engine oil (Kms / Months: 15K / 12M): every 15K (at 15K, 30K, 45K)"
    ]


def test_a_table_of_figures_is_not_a_schedule() -> None:
    figures = Grid(("Engine", "1.2", "1.5", "2.0"), (("Power", "62 kW", "85 kW", "110 kW"),))
    assert schedule_lines(figures, {}) is None
    two = Grid(("Item", "10,000 km", "20,000 km"), (("Oil", "●", "●"), ("Filter", "●", "●")))
    assert schedule_lines(two, {}) is None  # too few intervals to be a schedule


def test_a_legend_is_a_block_that_only_explains_the_marks() -> None:
    marks = {"I", "R"}
    assert mark_legend(Block("text", ("I = Inspect, R = Replace",)), marks) == {
        "I": "Inspect",
        "R": "Replace",
    }
    legend = Block("text", ("I: Inspect and adjust if necessary R: Replace or change",))
    assert mark_legend(legend, marks) == {
        "I": "Inspect and adjust if necessary",
        "R": "Replace or change",
    }
    assert mark_legend(Block("text", ("Replace the filter every year.",)), marks) == {}


def test_a_schedule_table_becomes_a_list_with_its_legend_read() -> None:
    table = Block(
        "table",
        (
            "| Item | " + " | ".join(KM) + " |",
            "|---|---|---|---|---|",
            "| Engine oil | R | R | R | R |",
            "| Spark plugs | | | | R |",
        ),
        page=40,
    )
    legend = Block("text", ("R = Replace",), page=40)
    schedule, kept = read_schedules([table, legend])
    assert schedule.kind == "list" and schedule.page == 40
    assert schedule.lines[1] == "- Spark plugs: replace at 40,000 km"
    assert kept == legend
    assert grid(Block("text", ("| not | a table |",))) is None
