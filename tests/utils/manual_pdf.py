"""A ten-page PDF owner's manual written with reportlab's canvas, line by line, with what real
manuals have and PDF readers get wrong:

- page 1: a cover, its title 28 pt bold, no running header or footer;
- pages 2+: a running header (8 pt: the manual's name at the left, the chapter's title at the
  right) and footer (the page number centred, the edition at the right), at fixed heights;
- chapter headings 18 pt bold, section headings 13 pt bold, sub-section headings 10 pt bold,
  body 10 pt regular (Helvetica, Helvetica-Bold);
- words hyphenated at a line end ("con-" / "tainer"), and a compound broken at its own
  hyphen ("four-" / "wheel") that the text also writes whole;
- two pages in two columns, a paragraph running from the bottom of the left column into the
  top of the right one mid-sentence;
- a bulleted list with "•" and a hanging indent, one item on two lines;
- a WARNING box (a stroked rectangle) followed by numbered steps;
- a ruled technical-data table: a two-row header whose "Engine version" spans two columns,
  bold group rows across the table, a value spanning both engine columns, and the table
  going on over the next page without its header;
- an unruled key–value list (values at one x), and an unruled maintenance table whose header
  (bold, no lines) gives the units;
- one scanned page: a picture of a fuse list over the whole page and no text layer;
- a wide table printed sideways (its letters turned by 90°, read bottom to top) over two
  pages, a footnote "*1" under its first part, an upright heading and running lines above;
- a block of label–value rows turned the other way (read top to bottom) beside a column of
  upright text;
- a ruled table set in vertical writing (a CJK font's vertical mode: each letter upright in
  the text layer, the rows running down the page, right to left), as some sideways tables
  are made;
- a maintenance schedule ruled as a grid: items down the side, intervals across the top as
  turned column names, "I" and "R" in the cells, a legend and a footnote under it;
- an outline (bookmarks) of the chapters and sections, and one title set in body type that
  only the outline names;
- the document title in the PDF's metadata.

`build` writes it and returns `PdfFacts`: each feature's page (1-based) and the exact strings
a reader should find.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

TITLE = "Corvid Vela Owner's Manual"
EDITION = "Edition 2 · 2026"
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
COVER_SIZE, CHAPTER_SIZE, SECTION_SIZE, SUBSECTION_SIZE, BODY_SIZE = 28, 18, 13, 10, 10
RUNNING_SIZE = 8

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT = 60.0, 535.0
WIDTH = RIGHT - LEFT
GUTTER = 21.0
COLUMN_WIDTH = (WIDTH - GUTTER) / 2
HEADER_Y, FOOTER_Y = 806.0, 32.0  # baselines of the running lines
TOP, BOTTOM = 768.0, 72.0  # the first and the lowest baseline of body text
LEADING = 13.0
PARAGRAPH_GAP = 5.0
BULLET = "•"
BULLET_INDENT = 14.0
TABLE_ROW = 18.0
KEY_VALUE_X = LEFT + 200.0  # where the unruled list's values start


@dataclass(frozen=True)
class Hyphenation:
    word: str  # as the text means it: "container", "four-wheel"
    line_end: str  # the last word of a line, with its hyphen: "con-"
    line_start: str  # the first word of the next line: "tainer"
    page: int


@dataclass(frozen=True)
class ColumnBreak:
    page: int
    left_last_line: str  # the bottom line of the left column
    right_first_line: str  # the top line of the right column, starting in lower case
    paragraph: str  # the whole paragraph, its lines joined by spaces


@dataclass(frozen=True)
class SpecRow:
    group: str  # the bold row spanning the table above it
    label: str
    values: tuple[str, ...]  # one per engine column, or one value spanning both


@dataclass(frozen=True)
class SidewaysTable:
    pages: tuple[int, int]  # the page it starts on, the page it goes on to without its header
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # as printed, the footnote's mark included
    continued_rows: tuple[tuple[str, ...], ...]  # those on its second page
    footnote: tuple[str, str]  # its mark and its text


@dataclass(frozen=True)
class TurnedBlock:
    page: int
    title: str
    rows: tuple[tuple[str, str], ...]  # label, value
    beside: tuple[str, ...]  # the upright paragraphs beside it


@dataclass(frozen=True)
class VerticalTable:
    page: int
    rows: tuple[tuple[str, ...], ...]  # its header first


@dataclass(frozen=True)
class Schedule:
    page: int
    intervals: tuple[str, ...]  # the columns' names, set turned
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # an item and its mark under each interval
    legend: str
    footnote: tuple[str, str]
    # What a reader should say of each item: phrases its line holds.
    readings: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class PdfFacts:
    path: Path
    title: str  # the metadata title, also the cover's title
    pages: int
    cover_page: int
    header_left: str
    header_right: dict[int, str]  # page → the chapter title the header shows
    footer_right: str
    page_labels: dict[int, str]  # page → the number its footer prints
    chapters: dict[str, int]  # title → page it starts on (18 pt bold)
    sections: dict[str, int]  # 13 pt bold
    subsections: dict[str, int]  # 10 pt bold, body size
    hyphenated: tuple[Hyphenation, ...]  # words to be joined again
    compound: Hyphenation  # broken at its own hyphen: stays "four-wheel"
    compound_whole_page: int  # where "four-wheel" stands unbroken
    column_pages: tuple[int, ...]
    column_breaks: tuple[ColumnBreak, ...]
    bullets: tuple[str, ...]  # each item's whole text, without its "•"
    bullets_page: int
    wrapped_bullet: tuple[str, str]  # the item set on two lines: its two lines
    warning_page: int
    warning_label: str
    warning: str  # the sentence in the box
    steps: tuple[str, ...]  # as printed: "1. Stop the vehicle safely."
    spec_page: int
    spec_continued_page: int  # the table goes on here, without its header
    spec_header: tuple[tuple[str, ...], tuple[str, ...]]  # the two header rows
    spec_groups: tuple[str, ...]
    spec_rows: tuple[SpecRow, ...]
    spec_spanning: SpecRow  # one value across both engine columns
    spec_continued_rows: tuple[SpecRow, ...]  # those on the continuation page
    key_values: tuple[tuple[str, str], ...]
    key_values_page: int
    maintenance_page: int
    maintenance_header: tuple[str, str, str]
    maintenance_rows: tuple[tuple[str, str, str], ...]
    scanned_page: int  # a picture of text (SCANNED_LINES), no text layer
    sideways: SidewaysTable
    turned_block: TurnedBlock
    vertical_table: VerticalTable
    schedule: Schedule
    outline: tuple[tuple[str, int, int], ...]  # each bookmark: title, page, depth
    body_type_title: tuple[str, int]  # a title in body type the outline names, and its page


# ---- the text ----------------------------------------------------------------------------

CHAPTERS = (
    "Before you drive",
    "Controls and displays",
    "Emergencies",
    "Technical data",
    "Maintenance",
    "Warranty",
)

# Paragraphs set by hand, one item per printed line (long lines written as two literals).
ABOUT = (
    "This manual describes every version of the Corvid Vela sold "
    "in Europe. Keep it together with the service",
    "book in the document wallet, and always keep the wallet in "
    "the small plastic document storage con-",
    "tainer under the front passenger seat, so that it stays with the car when you sell the car.",
)
SYMBOLS = (
    "Equipment marked with an asterisk (*) is fitted to some "
    "versions only, and the versions and their re-",
    "spective equipment are listed in the current price list. "
    "The technical data at the end of this manual",
    "give the figures for each engine.",
)
TRACTION = (
    "The 1.2 Petrol drives the front wheels. The 1.5 Diesel is "
    "also offered with four-wheel drive, in which",
    "an electronically controlled coupling sends torque to the "
    "rear axle as soon as the front wheels lose",
    "grip. On loose or slippery surfaces, select GRIP mode to "
    "keep the coupling closed and to keep the four-",
    "wheel drive engaged at all speeds up to 40 km/h.",
)
BULLETS = (
    "Check the tyre pressures, including the spare wheel.",
    "Check that all the lights work, including the hazard warning lights, the brake lights, the "
    "reversing lights and the rear fog light.",
    "Clean the windows, the mirrors and the lens of the reversing camera.",
    "Adjust the seat, the head restraint and the mirrors before you drive off.",
)

CLUSTER_COLUMNS: tuple[tuple[str, str | Sequence[str]], ...] = (
    ("section", "Instrument cluster"),
    (
        "text",
        "The instrument cluster in front of the driver shows the speed, the engine speed and "
        "the fuel level. The display between the two dials shows the trip computer, messages "
        "and the state of the driver assistance systems.",
    ),
    (
        "text",
        "Turn the thumbwheel on the right of the steering wheel to move between the pages of "
        "the trip computer. Press and hold the thumbwheel to reset the trip distance, the "
        "average speed and the average consumption.",
    ),
    ("subsection", "Outside temperature"),
    (
        "lines",
        (
            "Under the speed, the display shows the air tem-",
            "perature outside. When it falls below 3 °C, a",
            "snowflake symbol lights up as a reminder that",
            "the road may be icy in places.",
        ),
    ),
    ("section", "Warning lights"),
    (
        "text",
        "Warning lights come on briefly when you switch on the ignition, as a check that they "
        "work. If a light stays on after the engine has started, look up its meaning below "
        "and do what it says.",
    ),
    ("subsection", "Red lights"),
    (
        "text",
        "A red light means that you must stop the car as soon as it is safe to do so. The red "
        "lights are the brake system light, the oil pressure light, the coolant temperature "
        "light and the charging light.",
    ),
    ("subsection", "Amber lights"),
    (
        "text",
        "An amber light means that a system needs attention soon. You can carry on with your "
        "journey, but have the car checked by a Corvid service partner within a few days.",
    ),
    ("section", "Steering wheel controls"),
    (
        "text",
        "The buttons on the left spoke control the audio system and the telephone. The buttons "
        "on the right spoke control the cruise control and the speed limiter.",
    ),
    (
        "text",
        "To set a cruising speed, drive at the speed you want and press SET. The car then keeps "
        "that speed until you brake, press the clutch pedal or press CANCEL. Press RES to go "
        "back to the speed you set last, and use the rocker switch to raise or lower the set "
        "speed in steps of one kilometre per hour, or of ten when you hold the switch.",
    ),
    ("section", "Lights"),
    (
        "text",
        "Turn the outer ring of the left stalk to switch on the side lights, the dipped beam or "
        "AUTO. In AUTO the headlights come on by themselves at dusk, in tunnels and when the "
        "wipers run for longer than a minute, and they go out again when daylight returns.",
    ),
    (
        "text",
        "Push the stalk away from you for main beam, and pull it towards you to flash the "
        "headlights. The blue light in the instrument cluster shows that main beam is on; dip "
        "the headlights as soon as you meet other traffic or follow another vehicle closely.",
    ),
    (
        "text",
        "The front fog lights and the rear fog light are switched on with the inner ring of "
        "the stalk. Use the rear fog light only when visibility is below 50 metres, because it "
        "dazzles the drivers behind you.",
    ),
)
COMFORT_COLUMNS: tuple[tuple[str, str | Sequence[str]], ...] = (
    ("section", "Climate control"),
    (
        "text",
        "The climate control keeps the temperature you set for each side of the cabin. Press "
        "AUTO and let the system choose the fan speed and the air distribution; it also "
        "switches on the air conditioning to dry the air when the windows start to mist up.",
    ),
    (
        "text",
        "Press the MAX button to clear misted or frosted windows quickly. The fan then runs at "
        "full speed, all the air goes to the windscreen and the rear window heating switches "
        "on for fifteen minutes before the system returns to its previous settings.",
    ),
    ("section", "Seats"),
    (
        "text",
        "Pull the lever under the front edge of the seat to slide it forwards or backwards, and "
        "turn the wheel on the inner side to set the angle of the backrest. Sit with your back "
        "against the backrest and your wrists resting on the top of the steering wheel.",
    ),
)

WARNING = (
    "If the coolant temperature warning light comes on while you drive, the engine is "
    "overheating and driving on can damage it beyond repair."
)
STEPS = (
    "1. Stop the vehicle safely.",
    "2. Switch off the engine.",
    "3. Let the engine cool for 30 minutes.",
)

SPEC_HEADER = (("Specification", "Engine version"), ("1.2 Petrol", "1.5 Diesel"))
SPEC_ROWS: tuple[SpecRow, ...] = (
    SpecRow("Engine", "Engine type", ("3-cylinder petrol", "4-cylinder diesel")),
    SpecRow("Engine", "Displacement", ("1,199 cm³", "1,499 cm³")),
    SpecRow("Engine", "Bore × stroke", ("75.0 × 90.5 mm", "75.0 × 84.8 mm")),
    SpecRow("Engine", "Compression ratio", ("10.5 : 1", "16.0 : 1")),
    SpecRow("Engine", "Maximum power", ("62 kW", "85 kW")),
    SpecRow("Engine", "at engine speed", ("5,500 rpm", "3,750 rpm")),
    SpecRow("Engine", "Maximum torque", ("118 Nm", "260 Nm")),
    SpecRow("Engine", "Gearbox", ("6-speed manual",)),
    SpecRow("Engine", "Emission standard", ("Euro 6e",)),
    SpecRow("Fuel tank", "Capacity", ("45 litres", "40 litres")),
    SpecRow("Fuel tank", "Fuel", ("Unleaded 95 RON", "Diesel EN 590")),
    SpecRow("Fuel tank", "AdBlue tank", ("–", "12 litres")),
    SpecRow("Electrical system", "Battery", ("12 V, 60 Ah", "12 V, 70 Ah")),
    SpecRow("Electrical system", "Alternator", ("90 A", "120 A")),
    SpecRow("Wheels and tyres", "Tyre size", ("185/65 R15", "195/55 R16")),
    SpecRow("Wheels and tyres", "Pressure, front", ("2.3 bar", "2.5 bar")),
    SpecRow("Wheels and tyres", "Pressure, rear", ("2.1 bar", "2.3 bar")),
    SpecRow("Capacities", "Engine oil", ("3.6 litres", "4.4 litres")),
    SpecRow("Capacities", "Cooling system", ("5.2 litres", "6.0 litres")),
    SpecRow("Capacities", "Transmission oil", ("1.7 litres", "1.9 litres")),
    SpecRow("Capacities", "Brake fluid", ("0.8 litres",)),
    SpecRow("Capacities", "Washer reservoir", ("4.0 litres",)),
    # The page ends here: the rest goes on over the next page without the header.
    SpecRow("Dimensions", "Overall length", ("4,120 mm", "4,120 mm")),
    SpecRow("Dimensions", "Overall width", ("1,765 mm", "1,765 mm")),
    SpecRow("Dimensions", "Overall height", ("1,480 mm", "1,495 mm")),
    SpecRow("Dimensions", "Wheelbase", ("2,580 mm", "2,580 mm")),
    SpecRow("Performance", "Top speed", ("172 km/h", "185 km/h")),
    SpecRow("Performance", "0–100 km/h", ("12.9 s", "10.8 s")),
    SpecRow("Performance", "Consumption, combined", ("5.4 l/100 km", "4.3 l/100 km")),
)
SPEC_CONTINUES_AT = "Dimensions"
KEY_VALUES = (
    ("Kerb weight", "1,190 kg"),
    ("Maximum permitted weight", "1,680 kg"),
    ("Maximum roof load", "75 kg"),
    ("Towing capacity, braked", "1,100 kg"),
    ("Towing capacity, unbraked", "570 kg"),
    ("Maximum nose weight", "60 kg"),
)
MAINTENANCE_HEADER = ("Item", "Every (km)", "Every (months)")
MAINTENANCE_X = (LEFT, LEFT + 230.0, LEFT + 330.0)
MAINTENANCE_ROWS = (
    ("Engine oil and filter", "15,000", "12"),
    ("Air filter", "30,000", "24"),
    ("Cabin filter", "15,000", "12"),
    ("Spark plugs (1.2 Petrol)", "60,000", "48"),
    ("Fuel filter (1.5 Diesel)", "60,000", "48"),
    ("Brake fluid", "–", "24"),
    ("Coolant", "–", "60"),
)
CAPACITIES_HEADER = ("Fluid", "1.2 Petrol", "1.5 Diesel", "Specification", "Change interval")
CAPACITIES_WIDTHS = (130.0, 75.0, 75.0, 170.0, 110.0)  # wider than the page: set sideways
CAPACITIES_ROWS = (
    ("Engine oil with filter*1", "3.6 litres", "4.4 litres", "SAE 0W-30, ACEA C2", "15,000 km"),
    ("Engine coolant", "5.2 litres", "6.0 litres", "Corvid Longlife G13", "60 months"),
    ("Manual gearbox oil", "1.7 litres", "1.9 litres", "SAE 75W-80", "Lifetime fill"),
    ("Automatic gearbox fluid", "5.5 litres", "6.1 litres", "ATF type D-VI", "90,000 km"),
)
CAPACITIES_CONTINUED = (
    ("Power steering fluid", "1.1 litres", "1.1 litres", "Pentosin CHF 11S", "Lifetime fill"),
    ("Refrigerant R1234yf", "450 g", "480 g", "With 90 ml PAG oil", "–"),
    ("Windscreen washer fluid", "4.0 litres", "5.5 litres", "Screen wash concentrate", "–"),
)
CAPACITIES_FOOTNOTE = ("*1", "Without changing the filter, 0.3 litres less.")
CAPACITIES_ROW = 22.0
BULB_TITLE = "Bulb types"
BULBS = (
    ("Dipped beam", "H7, 55 W"),
    ("Main beam", "H1, 55 W"),
    ("Front fog light", "H11, 55 W"),
    ("Direction indicators", "PY21W, 21 W"),
    ("Number plate light", "W5W, 5 W"),
    ("Rear fog light", "P21W, 21 W"),
)
BULBS_BESIDE = (
    "Have a Corvid service partner change the bulbs of the headlights: the headlight "
    "units must be taken out of the body to reach them.",
    "Switch off the lights and let a bulb cool down before you change it, and hold the new "
    "bulb by its base only: a fingerprint on the glass shortens its life.",
)
BULBS_COLUMN = 250.0  # the upright text's measure; the turned block stands right of it
VERTICAL_FONT = "HeiseiMin-W3"  # reportlab's own CID font, no file to embed
VERTICAL_ROWS = (
    ("Tyre", "Front", "Rear"),
    ("175/70 R14 84T", "2.4 bar", "2.8 bar"),
    ("195/50 R16 84V", "2.5 bar", "2.9 bar"),
    ("Space-saver spare", "4.2 bar", "4.2 bar"),
)
VERTICAL_CELLS = (190.0, 90.0, 90.0)  # each cell's length down the page
VERTICAL_ROW = 22.0
SCHEDULE_INTERVALS = tuple(f"{n},000 km" for n in range(10, 90, 10))
SCHEDULE_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Engine oil and oil filter", ("R",) * 8),
    ("Air cleaner element", ("I", "R") * 4),
    ("Brake fluid*1", ("", "I", "", "R", "", "I", "", "R")),
    ("Spark plugs", ("", "", "", "", "", "R", "", "")),
    ("Drive belt", ("", "I") * 4),
)
SCHEDULE_LEGEND = "I = Inspect, R = Replace"
SCHEDULE_FOOTNOTE = ("*1", "Replace the brake fluid every 2 years at the latest.")
SCHEDULE_READINGS = (
    ("Engine oil and oil filter", ("replace every 10,000 km",)),
    (
        "Air cleaner element",
        ("inspect at 10,000 km, 30,000 km, 50,000 km, 70,000 km", "replace every 20,000 km"),
    ),
    ("Brake fluid", ("every 2 years at the latest", "replace every 40,000 km")),
    ("Spark plugs", ("replace at 60,000 km",)),
    ("Drive belt", ("inspect every 20,000 km",)),
)
SCHEDULE_X = (LEFT, LEFT + 170.0)  # the items' column; then one column per interval
SCHEDULE_COLUMN = 30.0
SCHEDULE_HEADER = 56.0  # tall enough for the turned names
WARRANTY_TITLE = "Paint and corrosion"  # in body type: only the outline makes it a heading


# ---- the writer --------------------------------------------------------------------------


@dataclass
class _Writer:
    """Draws the manual page by page; `y` is the baseline of the next body line."""

    canvas: Canvas
    page: int = 1
    y: float = TOP
    chapter: str = ""
    header_right: dict[int, str] = field(default_factory=dict)
    page_labels: dict[int, str] = field(default_factory=dict)
    chapters: dict[str, int] = field(default_factory=dict)
    sections: dict[str, int] = field(default_factory=dict)
    subsections: dict[str, int] = field(default_factory=dict)
    drawn: list[tuple[int, str]] = field(default_factory=list)  # every body string, in order
    outline: list[tuple[str, int, int]] = field(default_factory=list)  # title, page, depth

    def new_page(self, running: bool = True) -> None:
        self.canvas.showPage()
        self.page += 1
        self.y = TOP
        if running:
            self._running_lines()

    def _running_lines(self) -> None:
        c = self.canvas
        c.setFont(REGULAR, RUNNING_SIZE)
        c.drawString(LEFT, HEADER_Y, TITLE)
        c.drawRightString(RIGHT, HEADER_Y, self.chapter)
        c.drawCentredString(PAGE_WIDTH / 2, FOOTER_Y, str(self.page))
        c.drawRightString(RIGHT, FOOTER_Y, EDITION)
        self.header_right[self.page] = self.chapter
        self.page_labels[self.page] = str(self.page)

    def start_chapter(self, title: str) -> None:
        self.chapter = title
        self.new_page()
        self.chapters[title] = self.page
        self.bookmark(title, 0)
        self.draw(title, BOLD, CHAPTER_SIZE, LEFT)
        self.y -= 32

    def section(self, title: str, x: float = LEFT) -> None:
        self.y -= 8
        self.sections[title] = self.page
        self.bookmark(title, 1)
        self.draw(title, BOLD, SECTION_SIZE, x)
        self.y -= 19

    def bookmark(self, title: str, depth: int) -> None:
        key = f"b{len(self.outline)}"
        self.canvas.bookmarkPage(key)
        self.canvas.addOutlineEntry(title, key, level=depth)
        self.outline.append((title, self.page, depth))

    def subsection(self, title: str, x: float = LEFT) -> None:
        self.y -= 3
        self.subsections[title] = self.page
        self.draw(title, BOLD, SUBSECTION_SIZE, x)
        self.y -= LEADING + 1

    def lines(self, lines: Sequence[str], x: float = LEFT, width: float = WIDTH) -> None:
        for line in lines:
            self.draw(line, REGULAR, BODY_SIZE, x, width)
            self.y -= LEADING
        self.y -= PARAGRAPH_GAP

    def draw(self, text: str, font: str, size: float, x: float, width: float = WIDTH) -> None:
        if stringWidth(text, font, size) > width + 0.01:
            raise ValueError(f"too wide for its measure: {text!r}")
        if self.y < BOTTOM - 0.01:
            raise ValueError(f"page {self.page} is full at {text!r}")
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y, text)
        self.drawn.append((self.page, text))

    def hyphenation(self, word: str, line_end: str, line_start: str) -> Hyphenation:
        """Where a line ends with `line_end` and the next one starts with `line_start`."""
        for (page, line), (_, following) in zip(self.drawn, self.drawn[1:], strict=False):
            if line.endswith(f" {line_end}") and re.match(rf"{line_start}\b", following):
                return Hyphenation(word, line_end, line_start, page)
        raise ValueError(f"no line ends with {line_end!r} before one starting {line_start!r}")

    def page_of(self, text: str) -> int:
        return next(page for page, line in self.drawn if text in line)


def _wrap(text: str, width: float) -> list[str]:
    return list(simpleSplit(text, REGULAR, BODY_SIZE, width))


def _items_lines(
    items: Sequence[tuple[str, str | Sequence[str]]],
) -> list[tuple[str, str, int]]:
    """Column content as (kind, text, paragraph number) per line."""
    out: list[tuple[str, str, int]] = []
    for number, (kind, content) in enumerate(items):
        if kind in ("section", "subsection"):
            out.append((kind, str(content), number))
        elif kind == "text":
            out.extend(("line", line, number) for line in _wrap(str(content), COLUMN_WIDTH))
        else:
            out.extend(("line", line, number) for line in content)
    return out


def _columns(
    writer: _Writer, items: Sequence[tuple[str, str | Sequence[str]]], bottom: float
) -> ColumnBreak:
    """Set the items in two columns, the left one down to `bottom`, and return where the
    paragraph crossing from the left column to the right one breaks."""
    top = writer.y
    lines = _items_lines(items)
    xs = (LEFT, LEFT + COLUMN_WIDTH + GUTTER)
    column = 0
    crossing: tuple[int, int] | None = None  # the line indices either side of the break
    previous_kind = ""
    for index, (kind, text, number) in enumerate(lines):
        height = {"section": 27.0, "subsection": 17.0}.get(kind, LEADING)
        if kind == "line" and previous_kind == "line" and lines[index - 1][2] != number:
            writer.y -= PARAGRAPH_GAP
        # A heading keeps its first line with it.
        needed = height + (LEADING if kind != "line" else 0)
        if column == 0 and writer.y - needed < bottom - LEADING:
            column, writer.y = 1, top
            crossing = (index - 1, index)
        x = xs[column]
        if kind == "section":
            writer.section(text, x)
        elif kind == "subsection":
            writer.subsection(text, x)
        else:
            writer.draw(text, REGULAR, BODY_SIZE, x, COLUMN_WIDTH)
            writer.y -= LEADING
        previous_kind = kind
    if crossing is None:
        raise ValueError(f"page {writer.page}: the left column never fills")
    (left_kind, left, left_paragraph), (right_kind, right, right_paragraph) = (
        lines[crossing[0]],
        lines[crossing[1]],
    )
    if not (
        left_kind == right_kind == "line"
        and left_paragraph == right_paragraph
        and right[:1].islower()
        and not left.endswith((".", "-"))
    ):
        raise ValueError(f"page {writer.page}: the columns break at {left!r} / {right!r}")
    paragraph = " ".join(text for _, text, n in lines if n == left_paragraph)
    return ColumnBreak(writer.page, left, right, paragraph)


def _bullets(writer: _Writer, items: Sequence[str]) -> tuple[str, str]:
    wrapped: tuple[str, str] | None = None
    for item in items:
        lines = _wrap(item, WIDTH - BULLET_INDENT)
        writer.canvas.setFont(REGULAR, BODY_SIZE)
        writer.canvas.drawString(LEFT + 4, writer.y, BULLET)
        for line in lines:
            writer.draw(line, REGULAR, BODY_SIZE, LEFT + BULLET_INDENT, WIDTH - BULLET_INDENT)
            writer.y -= LEADING
        if len(lines) == 2:
            wrapped = (lines[0], lines[1])
        writer.y -= 2
    if wrapped is None:
        raise ValueError("no bullet item wraps onto a second line")
    writer.y -= PARAGRAPH_GAP
    return wrapped


def _warning_box(writer: _Writer) -> None:
    padding = 8.0
    lines = _wrap(WARNING, WIDTH - 2 * padding)
    writer.y -= padding
    top = writer.y + BODY_SIZE + padding - 2
    writer.y -= 2
    writer.draw("WARNING", BOLD, BODY_SIZE, LEFT + padding)
    writer.y -= LEADING + 2
    for line in lines:
        writer.draw(line, REGULAR, BODY_SIZE, LEFT + padding, WIDTH - 2 * padding)
        writer.y -= LEADING
    bottom = writer.y + LEADING - padding + 2
    writer.canvas.setLineWidth(1.2)
    writer.canvas.rect(LEFT, bottom, WIDTH, top - bottom, stroke=1, fill=0)
    writer.y = bottom - padding - BODY_SIZE


def _steps(writer: _Writer) -> None:
    for step in STEPS:
        number, _, text = step.partition(" ")
        writer.draw(number, REGULAR, BODY_SIZE, LEFT)
        writer.draw(text, REGULAR, BODY_SIZE, LEFT + 16)
        writer.y -= LEADING + 2
    writer.y -= PARAGRAPH_GAP


# The ruled table's column edges: label | 1.2 Petrol | 1.5 Diesel.
SPEC_X = (LEFT, LEFT + 190.0, LEFT + 335.0, RIGHT)


def _spec_table(writer: _Writer) -> tuple[int, int, tuple[SpecRow, ...]]:
    """Draw the technical data; return the page it starts on, the page it goes on to, and
    the rows there."""
    c = writer.canvas
    c.setLineWidth(0.6)
    x0, x1, x2, x3 = SPEC_X
    start = writer.page
    writer.y -= 6
    top = writer.y + BODY_SIZE + 4  # the table's top edge, above the first baseline
    c.line(x0, top, x3, top)
    # Header row 1: "Specification" (down over both header rows) and "Engine version".
    first, second = SPEC_HEADER
    middle = top - TABLE_ROW
    bottom = top - 2 * TABLE_ROW
    c.setFont(BOLD, BODY_SIZE)
    c.drawString(x0 + 5, top - 13, first[0])
    c.drawString(x1 + 5, top - 13, first[1])
    c.line(x1, middle, x3, middle)
    c.drawString(x1 + 5, middle - 13, second[0])
    c.drawString(x2 + 5, middle - 13, second[1])
    for x in (x0, x1, x3):
        c.line(x, top, x, bottom)
    c.line(x2, middle, x2, bottom)
    c.setLineWidth(1.2)
    c.line(x0, bottom, x3, bottom)
    c.setLineWidth(0.6)
    row_top = bottom
    group = ""
    continued: list[SpecRow] = []
    continued_page = 0
    for row in SPEC_ROWS:
        if row.group != group:
            if row.group == SPEC_CONTINUES_AT:
                if row_top - 2 * TABLE_ROW >= BOTTOM - 6:
                    raise ValueError("the table breaks before its page is full")
                writer.new_page()
                continued_page = writer.page
                row_top = TOP + BODY_SIZE + 4
                c.setLineWidth(0.6)
                c.line(x0, row_top, x3, row_top)
            group = row.group
            row_top = _spec_row(c, row_top, (row.group,), bold=True)
        if writer.page == continued_page:
            continued.append(row)
        row_top = _spec_row(c, row_top, (row.label, *row.values))
        if row_top < BOTTOM - 6:
            raise ValueError(f"the table runs off page {writer.page} at {row.label!r}")
    writer.y = row_top - PARAGRAPH_GAP - LEADING - 4
    return start, continued_page, tuple(continued)


def _spec_row(c: Canvas, top: float, cells: Sequence[str], bold: bool = False) -> float:
    """One row below `top`, its cells spread over the columns (one cell: across all, or
    across the engine columns after the label); return its bottom edge."""
    x0, x1, _, x3 = SPEC_X
    bottom = top - TABLE_ROW
    c.setFont(BOLD if bold else REGULAR, BODY_SIZE)
    if len(cells) == 1:
        edges: tuple[float, ...] = (x0, x3)
    elif len(cells) == 2:
        edges = (x0, x1, x3)
    else:
        edges = SPEC_X
    for text, x in zip(cells, edges, strict=False):
        if stringWidth(text, BOLD if bold else REGULAR, BODY_SIZE) > 135:
            raise ValueError(f"too wide for its cell: {text!r}")
        c.drawString(x + 5, top - 13, text)
    for x in edges:
        c.line(x, top, x, bottom)
    c.line(x0, bottom, x3, bottom)
    return bottom


def _key_values(writer: _Writer) -> None:
    for label, value in KEY_VALUES:
        writer.draw(label, REGULAR, BODY_SIZE, LEFT)
        writer.draw(value, REGULAR, BODY_SIZE, KEY_VALUE_X)
        writer.y -= LEADING + 2
    writer.y -= PARAGRAPH_GAP


def _maintenance(writer: _Writer) -> None:
    writer.y -= 4
    for cells, font in [(MAINTENANCE_HEADER, BOLD), *((r, REGULAR) for r in MAINTENANCE_ROWS)]:
        for text, x in zip(cells, MAINTENANCE_X, strict=True):
            writer.draw(text, font, BODY_SIZE, x)
        writer.y -= LEADING + 2
    writer.y -= PARAGRAPH_GAP


def _sideways_part(
    writer: _Writer, rows: Sequence[Sequence[str]], header: bool, note: tuple[str, str] | None
) -> None:
    """Part of the capacities table, turned a quarter to the left (read bottom to top): its
    first row at the left of the page, its columns going up the page."""
    c = writer.canvas
    c.saveState()
    c.translate(LEFT + 20, BOTTOM + 40)
    c.rotate(90)
    printed = [(CAPACITIES_HEADER, BOLD)] if header else []
    printed += [(tuple(row), REGULAR) for row in rows]
    edges = [0.0]
    for width in CAPACITIES_WIDTHS:
        edges.append(edges[-1] + width)
    c.setLineWidth(0.6)
    for r, (cells, font) in enumerate(printed):
        top = -r * CAPACITIES_ROW
        c.setFont(font, BODY_SIZE)
        for text, x, width in zip(cells, edges, CAPACITIES_WIDTHS, strict=False):
            if stringWidth(text, font, BODY_SIZE) > width - 8:
                raise ValueError(f"too wide for its cell: {text!r}")
            c.drawString(x + 5, top - 15, text)
        c.line(0, top, edges[-1], top)
    bottom = -len(printed) * CAPACITIES_ROW
    c.line(0, bottom, edges[-1], bottom)
    for x in edges:
        c.line(x, 0, x, bottom)
    if note is not None:
        c.setFont(REGULAR, BODY_SIZE)
        c.drawString(0, bottom - 18, f"{note[0]}: {note[1]}")
    c.restoreState()


def _turned_block(writer: _Writer) -> None:
    """The bulbs' rows turned a quarter to the right (read top to bottom), at the right of
    the page beside the upright text."""
    c = writer.canvas
    c.saveState()
    c.translate(RIGHT - 10, TOP + 10)
    c.rotate(-90)
    c.setFont(BOLD, BODY_SIZE)
    c.drawString(0, 0, BULB_TITLE)
    c.setFont(REGULAR, BODY_SIZE)
    for k, (label, value) in enumerate(BULBS, start=1):
        c.drawString(0, -k * (LEADING + 2), label)
        c.drawString(150, -k * (LEADING + 2), value)
    c.restoreState()


def _vertical_table(writer: _Writer) -> None:
    """The full-load pressures as a table in vertical writing: each row a column of the page,
    the first at the right, its cells one under another."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if VERTICAL_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(VERTICAL_FONT, isVertical=True))
    c = writer.canvas
    right, top = RIGHT - 40, writer.y
    ys = [top]
    for length in VERTICAL_CELLS:
        ys.append(ys[-1] - length)
    c.setFont(VERTICAL_FONT, BODY_SIZE)
    for r, row in enumerate(VERTICAL_ROWS):
        x = right - (r + 0.5) * VERTICAL_ROW
        for text, y in zip(row, ys, strict=False):
            c.drawString(x, y - 6, text)
    left = right - len(VERTICAL_ROWS) * VERTICAL_ROW
    c.setLineWidth(0.6)
    for r in range(len(VERTICAL_ROWS) + 1):
        c.line(right - r * VERTICAL_ROW, ys[0], right - r * VERTICAL_ROW, ys[-1])
    for y in ys:
        c.line(left, y, right, y)


def _schedule(writer: _Writer) -> None:
    """The inspection schedule as a ruled grid, the intervals' names turned over their
    narrow columns; its legend and footnote under it."""
    c = writer.canvas
    x0, x1 = SCHEDULE_X
    xs = [x0, x1, *(x1 + SCHEDULE_COLUMN * (i + 1) for i in range(len(SCHEDULE_INTERVALS)))]
    top = writer.y + BODY_SIZE
    header_bottom = top - SCHEDULE_HEADER
    c.setFont(BOLD, BODY_SIZE)
    c.drawString(x0 + 5, header_bottom + 8, "Item")
    for name, x in zip(SCHEDULE_INTERVALS, xs[1:], strict=False):
        if stringWidth(name, BOLD, 9) > SCHEDULE_HEADER - 8:
            raise ValueError(f"too long for its column: {name!r}")
        c.saveState()
        c.translate(x + SCHEDULE_COLUMN / 2 + 3, header_bottom + 5)
        c.rotate(90)
        c.setFont(BOLD, 9)
        c.drawString(0, 0, name)
        c.restoreState()
    row_top = header_bottom
    for item, marks in SCHEDULE_ROWS:
        c.setFont(REGULAR, BODY_SIZE)
        c.drawString(x0 + 5, row_top - 13, item)
        for mark, x in zip(marks, xs[1:], strict=False):
            c.drawCentredString(x + SCHEDULE_COLUMN / 2, row_top - 13, mark)
        row_top -= TABLE_ROW
    c.setLineWidth(0.6)
    for y in (
        top,
        header_bottom,
        *(header_bottom - TABLE_ROW * (i + 1) for i in range(len(SCHEDULE_ROWS))),
    ):
        c.line(xs[0], y, xs[-1], y)
    for x in xs:
        c.line(x, top, x, row_top)
    writer.y = row_top - LEADING - 6
    writer.lines((SCHEDULE_LEGEND,))
    writer.lines((f"{SCHEDULE_FOOTNOTE[0]}: {SCHEDULE_FOOTNOTE[1]}",))


# What the scanned page shows, as pixels: a fuse list a scanner gave.
SCANNED_LINES = (
    "FUSE BOX - ENGINE COMPARTMENT",
    "F12 15 A Horn",
    "F13 20 A Heated rear window",
    "F14 10 A Reversing lamps",
)


def _scan() -> ImageReader:
    """A fuse list as a scanner gives it: a page-sized greyscale picture, slightly tilted, its
    lettering pixels rather than text."""
    width, height = 1240, 1754  # A4 at 150 dpi
    image = Image.new("L", (width, height), 246)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    for row, line in enumerate(SCANNED_LINES):
        draw.text((150, 140 + row * 70), line, fill=20, font=font)
    for row in range(2):
        for col in range(8):
            x, y = 150 + col * 115, 600 + row * 150
            draw.rectangle((x, y, x + 90, y + 110), outline=30, width=4)
    image = image.rotate(0.7, fillcolor=246)
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return ImageReader(out)


def build(path: Path) -> PdfFacts:
    """Write the manual to `path`."""
    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    canvas.setTitle(TITLE)
    canvas.setAuthor("Corvid")
    writer = _Writer(canvas)

    # Page 1: the cover.
    canvas.setFont(BOLD, COVER_SIZE)
    canvas.drawString(LEFT, PAGE_HEIGHT * 0.62, TITLE)

    # Page 2.
    writer.start_chapter(CHAPTERS[0])
    writer.section("About this manual")
    writer.lines(ABOUT)
    writer.subsection("Symbols used in this manual")
    writer.lines(SYMBOLS)
    writer.section("Drive and traction")
    writer.lines(TRACTION)
    writer.section("Checks before driving")
    writer.lines(("Before every journey, and at least once a week:",))
    bullets_page = writer.page
    wrapped = _bullets(writer, BULLETS)

    # Pages 3–4: two columns; the chapter's title spans both.
    writer.start_chapter(CHAPTERS[1])
    writer.y += 6
    breaks = [_columns(writer, CLUSTER_COLUMNS, BOTTOM)]
    writer.new_page()
    # The chapter ends here: its columns are balanced half-way down the page.
    breaks.append(_columns(writer, COMFORT_COLUMNS, TOP - 10 * LEADING))

    # Page 5.
    writer.start_chapter(CHAPTERS[2])
    writer.section("Engine overheating")
    writer.lines(
        _wrap(
            "The coolant temperature light in the instrument cluster turns red when the "
            "coolant is too hot, for example after a long climb with a trailer on a hot day.",
            WIDTH,
        )
    )
    warning_page = writer.page
    _warning_box(writer)
    _steps(writer)
    writer.lines(
        _wrap(
            "If the light comes on again after the engine has cooled down, do not drive on: "
            "call Corvid Assistance on the number in the service book.",
            WIDTH,
        )
    )
    writer.section("Flat tyre")
    writer.lines(
        _wrap(
            "Switch on the hazard warning lights, stop well away from the traffic and ask your "
            "passengers to wait in a safe place. The tyre repair kit is under the boot floor.",
            WIDTH,
        )
    )

    # Pages 6–7: the table, going on over the next page; then the unruled list.
    writer.start_chapter(CHAPTERS[3])
    writer.section("Vehicle identification")
    writer.lines(
        _wrap(
            "The vehicle identification number (VIN) is stamped on the floor beside the "
            "driver's seat, under a flap in the carpet, and is also shown at the bottom left of "
            "the windscreen. Quote it whenever you order parts or contact Corvid about your car.",
            WIDTH,
        )
    )
    writer.lines(
        _wrap(
            "The type plate on the B-pillar on the passenger side gives the maximum permitted "
            "weights, the paint code and the engine code.",
            WIDTH,
        )
    )
    writer.section("Engines and capacities")
    writer.lines(("Figures for each engine version; a single value applies to both.",))
    spec_page, continued_page, continued_rows = _spec_table(writer)
    writer.section("Weights")
    key_values_page = writer.page
    _key_values(writer)

    # Pages 8–9: the capacities, printed sideways over two pages.
    writer.new_page()
    writer.section("Fluid capacities")
    writer.lines(("The table is printed across the page: turn the book to read it.",))
    sideways_page = writer.page
    _sideways_part(writer, CAPACITIES_ROWS, header=True, note=CAPACITIES_FOOTNOTE)
    writer.new_page()
    _sideways_part(writer, CAPACITIES_CONTINUED, header=False, note=None)

    # Page 10: upright text beside a turned block.
    writer.new_page()
    writer.section("Bulbs")
    turned_page = writer.page
    for paragraph in BULBS_BESIDE:
        writer.lines(_wrap(paragraph, BULBS_COLUMN), width=BULBS_COLUMN)
    _turned_block(writer)

    # Page 11: a table in vertical writing.
    writer.new_page()
    writer.section("Tyre pressures at full load")
    vertical_page = writer.page
    _vertical_table(writer)

    # Page 8, then the scanned fuse-box diagram.
    writer.start_chapter(CHAPTERS[4])
    writer.section("Service schedule")
    writer.lines(
        _wrap(
            "Have the car serviced at whichever of the two intervals comes first. Cars used for "
            "towing or mostly for short journeys need the engine oil changed twice as often.",
            WIDTH,
        )
    )
    maintenance_page = writer.page
    _maintenance(writer)
    writer.new_page()
    writer.section("Inspection schedule")
    writer.lines(("Have the items inspected or replaced at the distances the grid marks.",))
    schedule_page = writer.page
    _schedule(writer)
    writer.new_page(running=False)
    scanned_page = writer.page
    canvas.drawImage(_scan(), 0, 0, width=PAGE_WIDTH, height=PAGE_HEIGHT)

    # Page 10.
    writer.start_chapter(CHAPTERS[5])
    writer.lines(
        _wrap(
            "Corvid warrants the Vela against defects in materials and workmanship for three "
            "years or 100,000 km, whichever comes first, and the paint for three years.",
            WIDTH,
        )
    )
    writer.bookmark(WARRANTY_TITLE, 1)
    writer.lines((WARRANTY_TITLE,))
    writer.lines(
        _wrap(
            "The body is warranted against rust perforation from the inside out for twelve "
            "years, provided the inspections in the service book are carried out.",
            WIDTH,
        )
    )
    canvas.showPage()
    canvas.save()

    return PdfFacts(
        path=path,
        title=TITLE,
        pages=writer.page,
        cover_page=1,
        header_left=TITLE,
        header_right=writer.header_right,
        footer_right=EDITION,
        page_labels=writer.page_labels,
        chapters=writer.chapters,
        sections=writer.sections,
        subsections=writer.subsections,
        hyphenated=(
            writer.hyphenation("container", "con-", "tainer"),
            writer.hyphenation("respective", "re-", "spective"),
            writer.hyphenation("temperature", "tem-", "perature"),
        ),
        compound=writer.hyphenation("four-wheel", "four-", "wheel"),
        compound_whole_page=writer.page_of("four-wheel"),
        column_pages=(3, 4),
        column_breaks=tuple(breaks),
        bullets=BULLETS,
        bullets_page=bullets_page,
        wrapped_bullet=wrapped,
        warning_page=warning_page,
        warning_label="WARNING",
        warning=WARNING,
        steps=STEPS,
        spec_page=spec_page,
        spec_continued_page=continued_page,
        spec_header=SPEC_HEADER,
        spec_groups=tuple(dict.fromkeys(row.group for row in SPEC_ROWS)),
        spec_rows=SPEC_ROWS,
        spec_spanning=next(r for r in SPEC_ROWS if r.label == "Gearbox"),
        spec_continued_rows=continued_rows,
        key_values=KEY_VALUES,
        key_values_page=key_values_page,
        maintenance_page=maintenance_page,
        maintenance_header=MAINTENANCE_HEADER,
        maintenance_rows=MAINTENANCE_ROWS,
        scanned_page=scanned_page,
        sideways=SidewaysTable(
            pages=(sideways_page, sideways_page + 1),
            header=CAPACITIES_HEADER,
            rows=CAPACITIES_ROWS,
            continued_rows=CAPACITIES_CONTINUED,
            footnote=CAPACITIES_FOOTNOTE,
        ),
        turned_block=TurnedBlock(turned_page, BULB_TITLE, BULBS, BULBS_BESIDE),
        vertical_table=VerticalTable(vertical_page, VERTICAL_ROWS),
        schedule=Schedule(
            page=schedule_page,
            intervals=SCHEDULE_INTERVALS,
            rows=SCHEDULE_ROWS,
            legend=SCHEDULE_LEGEND,
            footnote=SCHEDULE_FOOTNOTE,
            readings=SCHEDULE_READINGS,
        ),
        outline=tuple(writer.outline),
        body_type_title=(WARRANTY_TITLE, writer.page_of(WARRANTY_TITLE)),
    )
