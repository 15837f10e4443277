"""A book's index and its table of contents are found among the blocks and left out; a table
or a list of values, or steps that point to other pages, never are."""

from __future__ import annotations

from rag.blocks import Block, from_markdown
from rag.chunking import chunk_blocks
from rag.layout.finding_aids import finding_aids, without_finding_aids

PROSE = "Check the oil level with the engine warm and the vehicle on level ground."


def _left(markdown: str) -> str:
    """The passages a Markdown text makes once its finding aids are gone."""
    blocks = without_finding_aids(from_markdown(markdown))
    return "\n\n".join(chunk.text for chunk in chunk_blocks(blocks))


def _dropped(blocks: list[Block]) -> list[str]:
    return [blocks[i].text for i in sorted(finding_aids(blocks))]


# --- pages of them ------------------------------------------------------------------------

INDEX = """# Owner's manual

Part 9 INDEX

# A

- Adding washer fluid ............................ 177
- Adjustment
  - Front seat position .......................... 14
  - Seat belt .................................... 17,18
- Air cleaner .................................... 154

# B

- Battery
  - Checking battery condition and fluid
    level ........................................ 172
  - Recharging precautions ....................... 173
- Brake system warning light ...................... 34
"""


def test_an_index_with_letters_sub_entries_and_wrapped_entries_goes() -> None:
    blocks = from_markdown(f"# Engine oil\n\n{PROSE}\n\n{INDEX}")
    assert _left(f"# Engine oil\n\n{PROSE}\n\n{INDEX}") == PROSE
    # the letters heading the index are part of it
    assert {"A", "B", "Part 9 INDEX"} <= set(_dropped(blocks))


def test_an_index_s_headings_stay_so_the_sections_after_it_keep_their_paths() -> None:
    blocks = from_markdown(f"# Checks\n\n## Oil\n\n{PROSE}\n\n{INDEX}\n# Fuel\n\n{PROSE}\n")
    chunks = chunk_blocks(without_finding_aids(blocks))
    assert [c.heading_path for c in chunks] == [("Checks", "Oil"), ("Fuel",)]


def test_what_stands_before_a_contents_list_and_after_it_are_two_passages() -> None:
    after = "Start the engine with the gear in neutral."
    text = f"{PROSE}\n\nSafety.......P. 3 Controls.......P. 12 Maintenance.......P. 40\n\n{after}\n"
    chunks = chunk_blocks(without_finding_aids(from_markdown(text)))
    assert [c.text for c in chunks] == [PROSE, after]


def test_a_contents_page_read_in_three_columns_goes() -> None:
    contents = (
        "## Table of Contents\n\n"
        "Overview Illustrations........... 9 Mirrors...............56 Lights and Wipers\n\n"
        "Opening and Closing the Engine\n\n"
        "Driving and Driving Safety........ 147 Storage ........203 Roof Transport ...205\n\n"
        "Checking Coolant Level and Adding Coolant . 244\n\n"
        "## Overview Illustrations\n\n"
        f"{PROSE}\n"
    )
    assert _left(contents) == PROSE


def test_an_index_whose_leader_lines_a_reader_dropped_goes_by_its_title_and_letters() -> None:
    blocks = [
        Block("text", (PROSE,), page=316),
        Block("heading", ("Index",), page=318, level=2),
        Block("text", ("A",), page=318),
        Block("text", ("ABS (anti-lock brake system)",), page=318),
        Block("text", ("Air suspension",), page=318),
        Block("text", ("Warning message on the multi-purpose display...196",), page=318),
        Block("text", ("Driving off-road on downhill gradients,",), page=318),
        Block("text", ("Alarm system 2, 7",), page=318),
        Block("text", ("B",), page=319),
        Block("text", ("Brake fluid",), page=319),
        Block("text", ("Test stand..................194, 241",), page=319),
    ]
    assert _dropped(blocks) == [b.text for b in blocks[1:]]


def test_a_contents_table_with_a_page_column_goes() -> None:
    table = Block(
        "table",
        (
            "| Contents | Vehicle Safety | P. 2 |",
            "|---|---|---|",
            "| Contents | Operation Guide | P. 16 |",
            "| Contents | Maintenance | P. 36 |",
        ),
    )
    assert _dropped([Block("text", (PROSE,)), table]) == [table.text]


def test_a_contents_list_without_leaders_goes_when_its_pages_only_go_up() -> None:
    contents = "\n".join(
        f"- {title} {page}"
        for title, page in [
            ("Safety", 3),
            ("Instruments and controls", 12),
            ("Starting and driving", 45),
            ("Maintenance", 80),
            ("Specifications", 120),
        ]
    )
    assert _left(f"# Manual\n\n{PROSE}\n\n{contents}\n") == PROSE


def test_a_prose_introduction_beside_a_contents_list_stays() -> None:
    text = (
        "Vehicle Safety\n\nThis section contains important information for safe riding.\n\n"
        "Safety Guidelines........P. 3 Safety Labels........P. 6 Loading........P. 14\n"
    )
    assert "This section contains important information" in _left(text)


# --- what is never one ---------------------------------------------------------------------


SPEC_TABLE = """| Item | Value |
|---|---|
| Engine oil capacity | 4.5 L |
| Coolant | 6.8 L |
| Fuel tank | 45 |
| Seats | 5 |
"""
TORQUE_TABLE = """| Fastener | Torque (Nm) |
|---|---|
| Cylinder head bolt | 25 |
| Wheel nut | 110 |
| Oil drain plug | 30 |
| Spark plug | 18 |
"""
FUSE_TABLE = """| No. | Rating | Circuit |
|---|---|---|
| 10 | 15 A | Horn |
| 11 | 7.5 A | Turn signal lights |
| 12 | 20 A | Windshield wipers |
"""
SCHEDULE = """| Item | 10,000 km | 20,000 km | 40,000 km |
|---|---|---|---|
| Engine oil | R | R | R |
| Air cleaner | I | R | R |
| Spark plugs | | I | R |
"""


def test_tables_of_values_are_never_finding_aids() -> None:
    for table in (SPEC_TABLE, TORQUE_TABLE, FUSE_TABLE, SCHEDULE):
        assert _left(f"# Data\n\n{table}") == table.strip()


def test_a_list_of_specifications_with_bare_numbers_stays() -> None:
    specs = "- Cylinders 4\n- Valves 16\n- Seats 5\n- Doors 4\n- Gears 6\n"
    assert _left(f"# Engine\n\n{specs}") == specs.strip()


def test_a_torque_list_with_leaders_stays() -> None:
    torques = (
        "- Cylinder head bolts ........ 25 Nm\n"
        "- Wheel nuts ................. 110 Nm\n"
        "- Oil drain plug ............. 30 Nm\n"
    )
    assert _left(f"# Torques\n\n{torques}") == torques.strip()


def test_specifications_set_after_leaders_with_their_unit_in_the_label_stay() -> None:
    specs = (
        "- Seating capacity ................ 5\n"
        "- Number of cylinders ............. 4\n"
        "- Fuel tank capacity (L) .......... 50\n"
        "- Top speed (km/h) ................ 180\n"
        "- Kerb weight (kg) ................ 1150\n"
    )
    assert _left(f"# Specifications\n\n{specs}") == specs.strip()
    table = "| Item | Value |\n|---|---|\n" + "".join(
        f"| {label} ........ | {value} |\n"
        for label, value in [("Seats", 5), ("Cylinders", 4), ("Fuel tank (L)", 50)]
    )
    assert _left(f"# Specifications\n\n{table}") == table.strip()


def test_steps_that_point_to_other_pages_stay() -> None:
    steps = (
        "1. Remove the seat (page 33).\n"
        "2. Remove the battery cover (page 55).\n"
        "3. Disconnect the negative terminal first.\n"
        "4. Check for a blown fuse. 2 P. 77\n"
    )
    assert _left(f"# Battery\n\n{steps}") == steps.strip()


def test_a_checklist_with_a_few_page_references_stays() -> None:
    checks = "- Engine oil level (page 61)\n- Tires (page 70)\n- Brakes\n- Lights and horn\n"
    assert _left(f"# Pre-ride inspection\n\n{checks}") == checks.strip()


def test_a_figure_legend_with_page_references_stays() -> None:
    legend = (
        "A Inner door handle See page 30. B Vehicle setting memory buttons See page 38. "
        "C Reset button See page 106."
    )
    assert _left(f"## Driver's Cockpit\n\n{legend}\n") == legend


def test_a_section_called_index_that_is_prose_stays() -> None:
    text = (
        "## Detailed index\n\n"
        "An index is provided on the first page of each section to guide you quickly.\n"
    )
    assert _left(text) == text.split("\n\n")[1].strip()


def test_bare_terms_after_an_index_stay_when_prose_follows_them() -> None:
    blocks = [
        Block("text", ("Drive chain.......P. 67", "Side stand.......P. 66"), page=23),
        Block("text", ("Shift lever.......P. 30", "Tool kit.......P. 34"), page=23),
        Block("text", ("Instruments", "Speedometer"), page=24),
        Block("text", ("When the ignition switch is turned on, all the segments show.",), page=24),
    ]
    assert _dropped(blocks) == [blocks[0].text, blocks[1].text]


def test_a_picture_s_callouts_with_the_pages_that_explain_them_stay() -> None:
    """A parts-location figure says where each part is on the vehicle."""
    blocks = [
        Block("text", ("Parts Location", "Rear brake fluid reservoir (P.63)"), page=22),
        Block("text", ("Fuse box(P.77)", "Battery(P.55)", "Throttle grip(P.69)"), page=22),
        Block("text", ("Engine oil fill cap(P.62)", "Spark arrester (P.59)"), page=22),
    ]
    assert _dropped(blocks) == []
