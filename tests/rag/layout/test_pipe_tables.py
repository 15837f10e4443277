"""Pipe tables as PDF-to-Markdown converters write them, read for what they mean: the rows that
name the columns are the header, a merged label repeated across a row names the rows under it,
`<br>` and emphasis are only layout. A table written by hand is kept as written."""

from __future__ import annotations

from rag.layout.pipe_tables import pipe_table_lines, read_pipe_table
from rag.readers.markdown import read_markdown

# What pymupdf4llm makes of a technical-data table whose column names take two rows.
STACKED = [
    "|Weights|Col2|Col3|Col4|",
    "|---|---|---|---|",
    "||**Model A**|**Model A**|**Model B**|",
    "||Manual|Automatic|Automatic|",
    "|**Roof load**|**Roof load**|**Roof load**|**Roof load**|",
    "|Maximum roof load|100 kg|100 kg|90 kg|",
    "|**Towing**|**Towing**|**Towing**|**Towing**|",
    "|Braked trailer|2000 kg|2500 kg|2200 kg|",
    "|Nose<br>weight|80 kg|||",
]


def test_the_rows_under_a_placeholder_header_name_the_columns() -> None:
    table = read_pipe_table(STACKED)
    assert table.header == ("Weights", "Model A Manual", "Model A Automatic", "Model B Automatic")


def test_a_label_repeated_across_a_row_is_the_group_of_the_rows_under_it() -> None:
    rows = {row[0]: row[1:] for row in read_pipe_table(STACKED).rows}
    assert rows["Towing – Braked trailer"] == ("2000 kg", "2500 kg", "2200 kg")
    assert "Maximum roof load" in rows  # its group says nothing its label does not
    assert not any(label in ("Roof load", "Towing") for label in rows)


def test_line_breaks_and_emphasis_in_cells_are_layout() -> None:
    rows = {row[0]: row for row in read_pipe_table(STACKED).rows}
    assert "Towing – Nose weight" in rows


def test_a_title_cut_into_the_header_cells_is_not_taken_for_column_names() -> None:
    lines = [
        "|Fuse|box on left side|Col3|",
        "|---|---|---|",
        "|**No.**|**Designation**|**A**|",
        "|1|Seat memory|25|",
    ]
    table = read_pipe_table(lines)
    assert table.header == ("No.", "Designation", "A")
    assert table.rows == (("1", "Seat memory", "25"),)


def test_a_placeholder_over_the_label_column_only_is_blank() -> None:
    lines = ["|Col1|Model A|Model B|", "|---|---|---|", "|Top speed|180 km/h|200 km/h|"]
    assert pipe_table_lines(lines)[0] == "|  | Model A | Model B |"


def test_a_table_written_by_hand_is_kept_as_written() -> None:
    lines = [
        "| | Touring | Long Range |",
        "|---|---|---|",
        "| **Range** | 430 km | 560 km |",
        "| Fuel | Petrol | Diesel |",
    ]
    assert pipe_table_lines(lines) == lines


def test_a_converted_manual_s_table_is_chunked_by_its_meaning() -> None:
    text = "# Technical data\n\n" + "\n".join(STACKED) + "\n"
    (table,) = [b for b in read_markdown(text.encode()).blocks if b.kind == "table"]
    assert table.lines[0] == "| Weights | Model A Manual | Model A Automatic | Model B Automatic |"
    assert "| Towing – Braked trailer | 2000 kg | 2500 kg | 2200 kg |" in table.lines


def test_a_row_a_converter_also_wrote_as_a_loose_line_is_read_once() -> None:
    text = (
        "Intro.\n\n-----\n\nPerformance\n\n**Top speed** 180 km/h 200 km/h\n\n"
        "|Col1|Model A|Model B|\n|---|---|---|\n|**Top speed**|180 km/h|200 km/h|\n\n"
        "-----\n\nTop speed 180 km/h is reached in sixth gear.\n\n-----\n\nEnd.\n"
    )
    texts = [b.text for b in read_markdown(text.encode()).blocks if b.kind == "text"]
    assert "**Top speed** 180 km/h 200 km/h" not in texts
    assert "Performance" in texts
    assert "Top speed 180 km/h is reached in sixth gear." in texts  # another page's sentence


def test_bold_marks_line_up_with_the_cells_an_empty_first_cell_included() -> None:
    from rag.layout.pipe_tables import _bold, cells

    row = "||**Model A**|Part load|"
    assert cells(row) == ["", "Model A", "Part load"]
    assert _bold(row) == [False, True, False]
