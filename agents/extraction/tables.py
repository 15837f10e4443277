"""A Markdown table read as units: each row with its column names, only the columns the
question is about (the focus vehicle's, the ones it names), a row named by its label."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.extraction.blocks import announced_record, announces
from agents.extraction.unit import Unit, leaf
from agents.extraction.vehicles import about_focus, vehicles_removed
from agents.extraction.vocabulary import DIGIT, terms
from rag.catalogue import Catalogue
from rag.chunking import NUMBERED, TABLE_SEPARATOR

LEGEND_CELL = re.compile(r"^\d{1,2}[.)]\s")
MARK = re.compile(r"^[^\w\s]{1,2}$")  # ●, ✓, x-like marks a schedule puts in its cells


def table_units(
    lines: list[str],
    source: int,
    rank: int,
    start: int,
    focus: str | None,
    catalogue: Catalogue,
    heading: str,
    asked: frozenset[str] = frozenset(),
) -> list[Unit]:
    """Each row read with its column names; only the columns the question names, when it
    names some (the diesel one, the rear, the unit system); a column of short words
    (Petrol, Diesel) read as part of the row's label."""
    header = row_cells(lines[0])
    rows = [r for r in lines[1:] if not TABLE_SEPARATOR.match(r)]
    about = [about_focus(name, focus, catalogue) if i else None for i, name in enumerate(header)]
    vehicle_columns = [i for i, a in enumerate(about) if a is not None]
    columns: Sequence[int] = range(1, len(header))
    model_wide = False
    if focus and vehicle_columns:
        # Asked about a variant: the column that names it, not one that names only its model;
        # else the columns of its own kinds ("Turbo Tiptronic" for a Turbo).
        named = {i: catalogue.variant_in(header[i]) for i in vehicle_columns}
        if catalogue.model_of(focus) == focus:  # the model: its column names no variant
            exact = [i for i in vehicle_columns if about[i] and named[i] is None]
            kinds: list[int] = []
        else:
            exact = [i for i in vehicle_columns if named[i] == focus]
            kinds = [i for i in vehicle_columns if (named[i] or "").startswith(focus + " ")]
        columns = exact or kinds or [i for i in vehicle_columns if about[i]]
        if not columns:
            return []  # every column is another vehicle's figures
        model_wide = not (exact or kinds) and catalogue.model_of(focus) != focus
    elif focus:
        # A table with one row per vehicle: keep the asked-about vehicle's rows.
        row_about = [about_focus(row_cells(r)[0], focus, catalogue) for r in rows]
        if any(a is not None for a in row_about):
            rows = [r for r, a in zip(rows, row_about, strict=True) if a is not False]
    read = [row_cells(r) for r in rows]
    qualifiers = _qualifier_columns(read, len(header))
    grouped = _grouped(read)
    # The second column names the rows when the first groups them, or only numbers them
    # ("| 5 | Stop and tail lights | 1157 |"): a label, never a value the question names.
    named_by_second = grouped or all(
        _row_label(cells, header)[1] == 2 for cells in read if len(cells) >= 2
    )
    columns = [i for i in columns if i not in qualifiers and not (named_by_second and i == 1)]
    columns = _named_columns(header, columns, asked) or columns
    units = []
    above = ""  # the label of the last row that has one, for the rows under it
    announced = ""  # a line alone in the first column that announces the next one's figure
    for offset, cells in enumerate(read):
        if len(cells) < 2 or _legend(cells):
            continue
        if cells[0] and not any(cells[1:]):
            # A line of text a converter set alone in the first column ("Recommended fuel
            # octane number:" over "Pump Octane Number (PON) 86 or higher."): a figure it
            # states is read as a line, after the line that announces it; so is a record
            # ("Tank capacity: 5.3 L"). A figure alone ("12,000 miles") names nothing.
            if announces(cells[0]):
                announced = cells[0]
            elif DIGIT.search(cells[0]) and (announced or announced_record(cells[0])):
                text = f"{announced} {cells[0]}" if announced else cells[0]
                units.append(
                    Unit(
                        text,
                        source,
                        rank,
                        start + offset,
                        label=announced.rstrip(":"),
                        heading=heading,
                        match=vehicles_removed(f"{leaf(heading)}: {text}", catalogue),
                        kind="row",
                    )
                )
                announced = ""
        # A first cell left empty under a row that names its thing (a cell merged down the
        # rows, read once) names the same thing: "engine oil" over "| | After draining 0.7 L |".
        if cells[0]:
            above = cells[0]
        elif above:
            cells = [above, *cells[1:]]
        label, first_value = (
            (f"{cells[0]}, {cells[1]}", 2) if grouped else _row_label(cells, header)
        )
        chosen = [
            i
            for i in (columns or range(1, len(cells)))
            if first_value <= i < len(cells) and cells[i] and not MARK.match(cells[i])
        ]
        if not chosen:
            continue
        qualified = [cells[i] for i in qualifiers if i < len(cells) and cells[i]]
        names = [header[i] if i < len(header) else "" for i in chosen]
        plain_names = [n for i, n in zip(chosen, names, strict=True) if about[i] is None]
        # Read by its label, qualifiers and column names: the figures say little to the
        # embedding model, the label says what the row is about.
        match = " ".join([f"{leaf(heading)}:", label, *qualified, *plain_names])
        units.append(
            Unit(
                _row_text(label, qualified, names, [cells[i] for i in chosen]),
                source,
                rank,
                start + offset,
                # A row that only names a vehicle (a table of one row per version) is about
                # what its columns say: "<model> 2.2D" read for "Braked trailer".
                label=(
                    label.replace("**", "")
                    if vehicles_removed(label.replace("**", ""), catalogue) or not plain_names
                    else ", ".join(plain_names)
                ),
                heading=heading,
                match=vehicles_removed(match.replace("**", ""), catalogue),
                kind="row",
                model_wide=model_wide,
            )
        )
    return units


def row_cells(row: str) -> list[str]:
    """A Markdown table row's cells, stripped."""
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _row_label(cells: Sequence[str], header: Sequence[str]) -> tuple[str, int]:
    """The row's label and the first column of its values: a row whose first cell is only
    its number (and group: "Engine (Diesel) – 2") is named by its next cell."""
    numbered = NUMBERED.match(cells[0]) if cells[0] else None
    if numbered and len(cells) > 2 and cells[1] and not any(c.isdigit() for c in cells[1][:3]):
        group = numbered.group(1)
        return (f"{group} – {cells[1]}" if group else cells[1]), 2
    return cells[0] or (header[0] if header else ""), 1


def _grouped(rows: Sequence[Sequence[str]]) -> bool:
    """A first column that groups the rows ("Exterior" down eight rows, "Interior" down two:
    a cell merged down them, read in each) beside a second that names each row: the row is
    named by both ("Exterior, Back-up lights")."""
    if len(rows) < 3 or any(len(r) < 3 for r in rows):
        return False
    groups = [r[0] for r in rows]
    names = [r[1] for r in rows]
    return (
        all(groups)
        and len(set(groups)) <= len(rows) / 2
        and all(n and not n[0].isdigit() for n in names)
        and len(set(names)) == len(names)
    )


def _legend(cells: Sequence[str]) -> bool:
    """A figure's legend set as a table ("1. Dip stick | 4. Washer container"): no answer."""
    filled = [c for c in cells if c]
    return len(filled) > 1 and all(LEGEND_CELL.match(c) for c in filled)


def _qualifier_columns(rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Columns of a few words that tell rows apart (Petrol, Diesel), with no figures."""
    found = []
    for i in range(1, width):
        values = [r[i] for r in rows if i < len(r) and r[i]]
        if (
            len(set(values)) >= 2
            and len(values) == len(rows)
            and all(len(v.split()) <= 2 and not any(c.isdigit() for c in v) for v in values)
        ):
            found.append(i)
    return found


def _named_columns(
    header: Sequence[str], columns: Sequence[int], asked: frozenset[str]
) -> list[int]:
    """The columns whose own words (those their neighbours do not share) the question names
    most of: "braked towing" names "Braked trailer" before "Unbraked trailer"."""
    if len(columns) < 2 or not asked:
        return []
    words = {i: terms(header[i]) for i in columns if i < len(header)}
    if len(words) < 2:
        return []
    shared = set.intersection(*words.values())
    counts = {i: len((said - shared) & asked) for i, said in words.items()}
    most = max(counts.values())
    named = [i for i, count in counts.items() if count and count == most]
    if not 0 < len(named) < len(words):
        return []
    # A column with no name of its own after a named one is under the same name (a header
    # cell spanning both, read once): "Shift Points" over the speeds beside the gears.
    spanned = [
        j
        for i in named
        for j in range(i + 1, len(header))
        if j in words and all(not header[k].strip() for k in range(i + 1, j + 1))
    ]
    return sorted({*named, *spanned})


# A unit of measure closing a row's label ("Valve opening pressure of radiator cap kPa"): the
# unit of the row's bare figures.
# (Not a unit of one letter: "Fuse A", "Type L" name which one.)
LABEL_UNIT = re.compile(
    r"\s(mm|cm|in\.|kPa|MPa|psi|bar|N·m|Nm|kgf·m|kW|ml|cc|°C|°F|r/min|rpm|kg|%)$"
)
ENDS_IN_FIGURE = re.compile(r"\d$")


def _with_label_unit(label: str, values: Sequence[str]) -> list[str]:
    """Each value that ends in a bare figure with the unit its row's label closes on: "Minimum
    83" under "… radiator cap kPa" reads "Minimum 83 kPa"."""
    unit = LABEL_UNIT.search(label.replace("**", "").strip())
    if unit is None:
        return list(values)
    return [f"{v} {unit.group(1)}" if ENDS_IN_FIGURE.search(v) else v for v in values]


def _row_text(
    label: str, qualified: Sequence[str], names: Sequence[str], values: Sequence[str]
) -> str:
    """ "Maximum power (Petrol): 85 PS", or "Capacity: 45 litres (diesel), 40 litres (petrol)"."""
    values = _with_label_unit(label, values)
    shown = label.replace("**", "").strip()
    if qualified:
        shown = f"{shown}, {', '.join(qualified)}"
    if len(set(values)) == 1:
        name = names[0] if len(values) == 1 and names[0] else ""
        if not shown:  # nothing names the row: its figure, with its column's name
            return f"{name}: {values[0]}" if name else values[0]
        return f"{shown} ({name}): {values[0]}" if name else f"{shown}: {values[0]}"
    parts = [f"{v} ({n})" if n else v for n, v in zip(names, values, strict=True)]
    return f"{shown}: {', '.join(parts)}" if shown else ", ".join(parts)
