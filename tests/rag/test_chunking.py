"""The chunker keeps headings, tables and front matter together as a reader would."""

from __future__ import annotations

from rag.chunking import chunk_markdown, facet_label, facets, split_front_matter

COMPARISON = """# Model comparison

Intro paragraph about the range.

## Performance

| Figure | Aster Performance | Ridge Hybrid | Sable 2.0T GT |
|---|---|---|---|
{rows}
"""


def test_a_table_row_never_loses_its_header() -> None:
    rows = "\n".join(f"| Figure {i} | {i} kW | {i + 1} kW | {i + 2} kW |" for i in range(60))
    rows += "\n| Combined power | 310 kW | 210 kW | 150 kW |"
    chunks = chunk_markdown(COMPARISON.format(rows=rows), max_chars=400)
    table_chunks = [c for c in chunks if "| Figure |" in c.text or "kW" in c.text]
    assert len(table_chunks) > 3
    for chunk in table_chunks:
        lines = chunk.text.splitlines()
        assert lines[0] == "| Figure | Aster Performance | Ridge Hybrid | Sable 2.0T GT |"
        assert lines[1] == "|---|---|---|---|"
        assert len(chunk.text) <= 400
    (power,) = [c for c in chunks if "Combined power" in c.text]
    assert "Aster Performance" in power.text
    assert power.heading_path == ("Model comparison", "Performance")


def test_nested_headings_give_each_chunk_its_path() -> None:
    body = (
        "# Ridge\n\nIntro.\n\n## Towing\n\nTows 2,500 kg.\n\n"
        "### Tow Pack\n\nTows 3,500 kg.\n\n## Payload\n\n960 kg.\n"
    )
    chunks = chunk_markdown(body)
    paths = {c.text: c.heading_path for c in chunks}
    assert paths["Intro."] == ("Ridge",)
    assert paths["Tows 2,500 kg."] == ("Ridge", "Towing")
    assert paths["Tows 3,500 kg."] == ("Ridge", "Towing", "Tow Pack")
    assert paths["960 kg."] == ("Ridge", "Payload")
    assert chunks[2].heading == "Ridge > Towing > Tow Pack"


def test_a_long_section_is_split_at_sentences_within_the_limit() -> None:
    sentence = "The Aster charges from 10 to 80 percent in about thirty minutes at a fast charger. "
    body = "## Charging\n\n" + sentence * 40
    chunks = chunk_markdown(body, max_chars=300)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
    assert all(c.heading_path == ("Charging",) for c in chunks)


def test_a_long_list_is_split_between_items() -> None:
    items = "\n".join(f"- Item {i}: check the part and replace it when worn out" for i in range(40))
    chunks = chunk_markdown(f"## Checklist\n\n{items}\n", max_chars=300)
    assert len(chunks) > 3
    for chunk in chunks:
        assert all(line.startswith("- Item") for line in chunk.text.splitlines())


def test_short_blocks_of_one_section_are_packed_together() -> None:
    chunks = chunk_markdown(
        "## Hours\n\nMonday to Friday.\n\nSaturday morning.\n\n- Closed Sunday\n"
    )
    assert len(chunks) == 1
    assert "Saturday morning." in chunks[0].text and "- Closed Sunday" in chunks[0].text


def test_a_heading_inside_a_code_fence_is_not_a_heading() -> None:
    chunks = chunk_markdown("## Reset\n\n```\n# not a heading\nreset --all\n```\n")
    assert [c.heading_path for c in chunks] == [("Reset",)]
    assert "# not a heading" in chunks[0].text


def test_front_matter_is_parsed_and_removed() -> None:
    front = split_front_matter("---\ntitle: Kestrel Aster\ndomain: specs\n---\n# Body\n")
    assert front.fields == {"title": "Kestrel Aster", "domain": "specs"}
    assert front.body == "# Body\n"


def test_malformed_front_matter_stays_in_the_body() -> None:
    text = "---\ntitle: [unclosed\n---\nBody\n"
    front = split_front_matter(text)
    assert front.fields == {}
    assert front.body == text


PAGED = (
    "<!-- page 137 -->\n\n# Manual\n\n## Extended Warranty\n\nWe recommend our extended warranty "
    "programme.\n\n## Benefits\n\n- Insures you against unforeseen repair bills.\n\n## Term\n\n"
    + "24 + 12 months or 75,000 km, whichever occurs first; 24 + 24 months or 100,000 km. " * 3
    + "\n\n<!-- page 140 -->\n\n## Fuses\n\nFuse 12 protects the horn.\n"
)


def test_a_document_s_small_sections_on_its_pages_are_read_together() -> None:
    """Sections of a line or two found in a paged document (a PDF's bold labels) are one
    chunk, filed under the longest; the others' headings stay in its text."""
    chunks = chunk_markdown(PAGED)
    warranty = next(c for c in chunks if "extended warranty programme" in c.text)
    assert warranty.heading_path == ("Manual", "Term")
    assert "**Extended Warranty**" in warranty.text and "**Benefits**" in warranty.text
    assert "75,000 km" in warranty.text
    assert (warranty.page, warranty.page_end) == (137, None)
    fuses = next(c for c in chunks if "Fuse 12" in c.text)  # three pages on: apart
    assert fuses.heading_path == ("Manual", "Fuses") and "Term" not in fuses.text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_an_author_s_own_small_sections_are_kept_as_written() -> None:
    unpaged = PAGED.replace("<!-- page 137 -->\n\n", "").replace("<!-- page 140 -->\n\n", "")
    paths = [c.heading_path[-1] for c in chunk_markdown(unpaged)]
    assert paths == ["Extended Warranty", "Benefits", "Term", "Fuses"]


def test_a_row_is_found_by_the_name_in_its_second_cell_too() -> None:
    """A message listed under the warning light it belongs to is found by the message."""
    table = (
        "| Light | Message | What to do |\n|---|---|---|\n"
        "| Fuel gauge light | Mind remaining distance | Refuel at the next opportunity. |\n"
        "| Fuel gauge light | Check fuel tank cap | Screw the cap on until it locks. |\n"
        "|  | Sport unavailable | Have the fault corrected. |\n"
        "| Engine oil | 6.9 litres | Top up with approved oil. |\n"
    )
    assert facets(table, "Messages") == [
        "Messages: Fuel gauge light – Mind remaining distance",
        "Messages: Fuel gauge light – Check fuel tank cap",
        "Messages: Sport unavailable",
        "Messages: Engine oil",  # a figure is no name
    ]


def test_a_facet_gives_back_its_row_label() -> None:
    table = (
        "| Item | Quantity |\n|---|---|\n| Engine oil: with filter | 6.9 l |\n| Coolant | 13 l |"
    )
    heading = "Manual > Filling capacities"
    found = facets(table, heading)
    assert found == ["Filling capacities: Engine oil: with filter", "Filling capacities: Coolant"]
    assert [facet_label(f, heading) for f in found] == ["Engine oil: with filter", "Coolant"]
    assert facet_label("Coolant", "") == "Coolant"
