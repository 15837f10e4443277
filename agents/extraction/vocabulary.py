"""The answerer's one vocabulary: the terms a text is about, stemmed as retrieval stems them
(Snowball's English stemmer, `rag.lexical`); the words a
question asks with; the kinds of fact a question asks for and a text states; the words of
English that never carry an order. The same for any maker's documents."""

from __future__ import annotations

import re

from rag.lexical import stem_word, tokenize

# Question words that say what kind of answer is wanted, not what it is about.
ASKING = frozenset(
    """
    what whats how much many does do tell me about know need please car vehicle cars my our
    there any get got could would should can which when where who why you is are was
    """.split()  # noqa: SIM905
)


def stem(term: str) -> str:
    """A term's stem, as retrieval has it: charge and charging meet, as do capacity and
    capacities, brake and braked; and an adverb of an adjective in -ll meets it (fully, full),
    which Snowball leaves apart."""
    if term.endswith("lly") and len(term) >= 5:
        term = term[:-1]
    return stem_word(term)


# A comma between a number's thousands ("2,000 rpm"): to the answerer the number is one term,
# as a customer who writes "2000 rpm" has it.
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def terms(text: str) -> set[str]:
    """The stems of what `text` is about (its words, less those that only ask)."""
    return {stem(t) for t in tokenize(THOUSANDS.sub("", text)) if t not in ASKING}


# Words customers use for what documents call otherwise: "how much can it tow?" is answered by
# the braked-trailer limit, a loan car by the courtesy-vehicle rules. Stemmed once, here.
_SAID_OTHERWISE: dict[str, tuple[str, ...]] = {
    "tow": ("towing", "brake", "trailer"),
    "towing": ("tow", "brake", "trailer"),
    "loan": ("courtesy",),
    "rust": ("corrosion",),
}
SAID_OTHERWISE: dict[str, tuple[str, ...]] = {
    stem(word): tuple(stem(other) for other in others) for word, others in _SAID_OTHERWISE.items()
}


def asked_terms(text: str) -> set[str]:
    """A question's terms and the documents' words for them."""
    found = terms(text)
    return found.union(*(SAID_OTHERWISE.get(t, ()) for t in found))


# Words naming one of two sides of the same thing ("the rear discs", "a short wheelbase",
# "the exhaust valves"): a figure said of the other side and not of the one asked is the other
# figure.
OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(map(stem, one.split())), frozenset(map(stem, other.split())))
    for one, other in (
        ("front", "rear"),
        ("inner", "outer"),
        ("intake inlet", "exhaust outlet"),
        ("upper", "lower"),
        ("long", "short"),
        ("petrol gasoline", "diesel"),
        ("manual", "automatic"),
        ("hot", "cold"),
        ("minimum", "maximum"),
        ("high", "low"),
    )
)


def sides_named(named: set[str] | frozenset[str]) -> set[tuple[int, int]]:
    """The sides of each pair of `OPPOSITES` the terms `named` name: (pair, 0 or 1)."""
    return {
        (i, side)
        for i, pair in enumerate(OPPOSITES)
        for side, words in enumerate(pair)
        if words & named
    }


def share(asked: set[str] | frozenset[str], text: str) -> float:
    """The share of the asked terms the text has; a short form the text writes for a long
    asked word counts ("Sat" for Saturday, "approx" for approximately)."""
    if not asked:
        return 0.0
    have = terms(text)
    short = {t for t in have if 3 <= len(t) <= 4 and t.isalpha()}
    found = sum(
        1 for t in asked if t in have or (len(t) >= 6 and any(t.startswith(s) for s in short))
    )
    return found / len(asked)


# Words that name a kind of figure, or only ask for one, not what it is of ("the turning
# circle's diameter", "the recommended torque"): what a question asks a figure *of* is its
# other words. Stemmed once, here.
_FIGURE_NAMES = """
    torque weight mass pressure capacity volume quantity amount size length width height depth
    diameter radius thickness clearance gap distance range speed power output temperature
    interval time limit spec specs specification specifications value values rating grade
    type kind number figure setting dimension dimensions consumption economy level voltage
    current resistance tension maximum minimum max min standard recommended recommend
    correct right proper normal allowed allowable permissible required need needs use run
    take takes hold holds put go get much many high heavy long wide tall deep far fast big
    often top peak horse horsepower hp bhp kw ps incl including total overall combined
    rated nominal net make makes produce produces develop develops deliver delivers have has
"""
FIGURE_NAMES = frozenset(stem(word) for word in _FIGURE_NAMES.split())


def subject_terms(question: str) -> set[str]:
    """What a question asks a figure of: its terms less the words naming or asking for a
    kind of figure, and less numbers ("the intake valve clearance, cold" → intake, valve,
    cold)."""
    return {
        t
        for t in terms(question)
        if t not in FIGURE_NAMES and len(t) >= 3 and not any(c.isdigit() for c in t)
    }


# "power" the figure, not a part or a feature it names ("the power steering", "power windows",
# "a power outlet"): the word before a noun it makes a thing of.
POWER = (
    r"power(?!\s+(?:steering|windows?|seats?|outlets?|sockets?|mirrors?|doors?|locks?|locking|"
    r"sunroof|liftgate|tailgate|supply|take-?off|train|buttons?|switch(?:es)?|folding|sliding|"
    r"cords?|cables?|assist\w*|brakes?)\b)"
)


# What kind of fact a question asks for, and the units that state one.
ASKS_FOR: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        r"\b(cost|costs|price|prices|fee|fees|pay|paying|free|expensive|cheap|"
        r"charge[ds]? (?:me|you|for))\b|"
        r"\bhow much (?:is|are|will|would|do|does)\b(?! (?:it|the \w+) (?:hold|take|weigh|tow))|"
        r"\bwhat happens if\b",
        re.I,
    ),
    "duration": re.compile(
        r"\b(how long(?! (?:is|are) (?:the|it|its|this)\b)|how many (years|months|days|hours|"
        r"minutes))\b",
        re.I,
    ),
    # A period of a vehicle's life (a warranty, a running-in) is told in time or distance.
    "period": re.compile(r"\b(warrant\w*|guarantee\w*|valid|last|period)\b", re.I),
    # Not a span of values: "what range is normal", "the acceptable range".
    "distance": re.compile(
        r"\b(how far|(?<!normal )(?<!acceptable )(?<!operating )(?<!specified )(?<!standard )"
        r"range(?! (?:is|are|should|would) (?:\w+ )?(?:normal|acceptable|ok|okay|allowed|fine|"
        r"correct|right|expected))|distance|(?:a|one|single|full) (?:charge|tank)|between charges|"
        r"how many (?:km|kms|kilomet\w+|miles))\b",
        re.I,
    ),
    # "when should…", "when is it due?"; not "when is it fully open?", "when does the fan
    # come on?" (a condition: a temperature, a speed), unless servicing is what it asks after.
    "interval": re.compile(
        r"\b(how often|interval|every|when (should|must)|when (?:do|does|is|are)\b[^?.!,;]{0,40}?"
        r"\b(?:due|need\w*|replac\w*|chang\w*|servic\w*|inspect\w*|check\w*|renew\w*|"
        r"rotat\w*|flush\w*|done|required))\b",
        re.I,
    ),
    "clock": re.compile(r"\b(open|opening|close|closing|hours|what time)\b", re.I),
    "pressure": re.compile(r"\b(pressure|pressures|psi|inflate)\b", re.I),
    "temperature": re.compile(r"\b(temperature|cold|hot|warm|freez\w*|degrees?|frost\w*)\b", re.I),
    "quantity": re.compile(
        rf"\b(how (much|many|fast|big|heavy|wide|tall|quick)|how long (?:is|are)|capacity|{POWER}|"
        r"torque|weight|weigh|payload|tow\w*|speed|size|volume|litres|liters|kw|hp|space|room|"
        r"boot|trunk|fit|max|maximum|peak|"
        r"0\s*-\s*100)\b",
        re.I,
    ),
    # How many of a thing (gears, cylinders, seats): a number, with or without a unit.
    "count": re.compile(
        r"\bhow many\b(?!\s+(?:years|months|weeks|days|hours|minutes|kms?|kilomet\w*|miles|"
        r"litres|liters|quarts|gallons)\b)",
        re.I,
    ),
    "grade": re.compile(
        r"\b(which|what) (?:[\w-]+ )?(type|kind|grade|oil|coolant|fluid|viscosity|spec\w*|"
        r"octane)\b(?!\s+(?:capacit\w*|quantity|amount|level|pressure|temperature|change|"
        r"interval|leak\w*|light|warning))|"
        r"\b(viscosity|grade|octane)\b",
        re.I,
    ),
    # A part by its maker's designation: "what model number does the battery take?", "which
    # spark plug is standard?", not the plug's gap or the battery's voltage.
    "designation": re.compile(
        r"\b(?:model|part|type) (?:number|no\.?|code)\b|"
        r"\b(?:which|what) (?:[\w-]+ ){0,2}(?:plugs?|batter(?:y|ies)|bulbs?|filters?|blades?)\b"
        r"(?!\s+(?:gap|torque|capacity|life|voltage|pressure|interval|change|level|size|"
        r"terminal\w*|cover|lid)\b)",
        re.I,
    ),
}
STATES: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        r"[€$£]\s?\d|\d\s?(eur|euros?|usd|gbp)\b|\bfree of charge\b|\bno (fee|charge)\b", re.I
    ),
    "duration": re.compile(
        # not an engine speed ("850 min-1")
        r"\b\d+(?:[.,]\d+)?\s*(years?|months?|weeks?|days?|hours?|h|minutes?|min)\b"
        r"(?!\s?(?:-1|⁻¹|⁻1))",
        re.I,
    ),
    "interval": re.compile(
        r"\bevery\b|\b\d[\d,.]*\s*(kms?|miles|mi|months?|years?)\b(?!\s*/\s*h)|\bannual(ly)?\b",
        re.I,
    ),
    "distance": re.compile(r"(?<!/)\b\d[\d,.]*\s*(kms?|miles|mi)\b(?!\s*/\s*h)", re.I),
    # "09:00", "9.30 am", "08.00-18.00"; not a measure with two decimals ("0.10 mm").
    "clock": re.compile(
        r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\.\d{2}\s*(?:[ap]\.?m\b\.?|h\b|hrs\b|[-–]\s*\d{1,2}\.\d{2}\b)|"
        r"\bclosed\b",
        re.I,
    ),
    "pressure": re.compile(
        r"\b\d+(?:[.,]\d+)?\s*(?:m?bars?|psi|kpa|mpa|kgf?/cm(?:2|²)?)(?![\w/])", re.I
    ),
    "temperature": re.compile(r"\d\s*°\s*[CF]\b|\bdegrees\b", re.I),
    "quantity": re.compile(
        r"\d[\d,.]*\s*(kw|kwh|hp|ps|nm|km/h|mph|km|kg|t|l|litres?|liters?|mm|m|s|cc|%|wh/km|"
        r"kwh/100\s*km|l/100\s*km|mpg|v|ah|rpm|(?:r|rev|tr)/min|min-1|min⁻¹|cm3|cm³|ml)\b",
        re.I,
    ),
    # A number, or one written as a word ("up to five times"; not "one", which is as often
    # "the one" or "one of").
    "count": re.compile(
        r"(?<![\d.,:/])\b\d{1,3}\b(?![.,:/]\d)|"
        r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b",
        re.I,
    ),
    "grade": re.compile(
        r"\b\d{1,2}W-?\d{2}\b|\bACEA\b|\bAPI\b|\bRON\b|"
        # "DOT 4", "Type T-IV", "type 2", not a "dotted line" or "the type of fuel"
        r"\bdot\s?-?\d|\btype\s?-?(?-i:[A-Z0-9][A-Z0-9.-]*)\b|"
        # an octane number, not "the octane rating" alone
        r"\b\d{2,3}\s*(?:octane|AKI|PON)\b|\boctane\b\D{0,25}\b\d{2,3}\b|"
        # the trade's own standards: "SAE 90", "GL-5", "ATF", "JASO MA", "ILSAC GF-5"
        r"\bSAE\s?\d{2,3}\b|\bGL-?\d\b|\bATF\b|\bJASO\b|\bILSAC\b|"
        # a maker's own standard named by its code: "meeting Standard GM4718M"
        r"\b(?:standard|specification|approval|norm)\s+(?-i:[A-Z][A-Z0-9.-]*\d[A-Z0-9.-]*)|"
        # a fluid named by its maker's code: "ABC 202 hydraulic fluid", "FLUIDEX-VI Automatic
        # Transmission Fluid", "XY 1234M coolant"
        r"\b(?-i:[A-Z]{2,}[A-Z0-9]*(?:[- ][A-Z0-9]*\d[A-Z0-9]*|-[A-Z]+))\b(?:\s+[\w-]+){0,2}?"
        r"\s+(?:fluid|oil|coolant|grease|lubricant)\b",
        re.I,
    ),
    # A maker's designation: capitals and digits together ("AB5C", "XYZ6AB-9", "H11").
    "designation": re.compile(r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{2}[A-Z0-9-]+\b"),
}


# A quantity asked for by what it measures: its own units answer it. (What vehicles are
# measured in, the same for any maker's documents.)
MEASURES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "power": (
        re.compile(
            rf"\b(horse ?power|{POWER}|output|bhp|hp|kw)\b|\b(?:how fast|speed)\b.*\bcharg",
            re.I,
        ),
        re.compile(r"\d\s*(hp|bhp|ps|kw)\b", re.I),
    ),
    "torque": (
        re.compile(r"\btorque\b", re.I),
        # "25 Nm", "9.0 N·m", "2.5 daN.m", "2.5 m.daN", "6.6 lbf·ft", "18 ft-lbs", "0.9 kgf·m",
        # "7 m·kg"
        re.compile(
            r"\d\s*(?:(?:da)?n\s?[·•.\-]?\s?m\b|m\s?[·•.\-]?\s?dan\b|lbf?s?\s?[·•.\-]?\s?(?:ft|in)\b|"
            r"(?:ft|in)\s?[·•.\-]?\s?lbf?s?\b|ftlb|kgf?\s?[·•.\-]?\s?c?m\b|m\s?[·•.\-]\s?kg\b)",
            re.I,
        ),
    ),
    "speed": (
        re.compile(r"\b(top speed|max(?:imum)? speed|how fast|fastest)\b(?!.*\bcharg)", re.I),
        re.compile(r"\d\s*(km/h|kmph|mph)\b", re.I),
    ),
    "acceleration": (
        re.compile(
            r"\b0\s*(?:-|–|to)\s*(?:60|62|100)\b|\baccelerat\w*|"
            r"\bhow (?:quick|fast)\w*\b.*\bto\s*(?:60|62|100)\b(?!\s*%)",
            re.I,
        ),
        # "5.6 s", "5.6s", "6 secs", not the capital of a designation ("AB5S")
        re.compile(r"\d\s*(?:(?-i:s)|secs?|seconds)\b", re.I),
    ),
    "volume": (
        re.compile(
            r"\bhow much\b(?:\s+\w+){0,2}\s+"
            r"(?:oil|fuel|coolant|fluid|water|petrol|diesel|adblue)\b|"
            # Not what a battery stores, nor how many seats or how much weight: "battery
            # capacity", "seating capacity", "load capacity".
            r"\b((?<!battery )(?<!seating )(?<!seat )(?<!load )(?<!loading )(?<!towing )"
            r"(?<!carrying )(?<!weight )(?<!payload )(?<!charging )"
            r"capacit(?:y|ies)(?! of (?:the |its |a )?(?:\w+ )?(?:battery|batteries|seats))|"
            r"litres?|liters?|quarts?|gallons?|fuel tank|hold|holds|"
            r"(?:boot|trunk|luggage|cargo) (?:space|volume|capacity))\b",
            re.I,
        ),
        re.compile(
            r"\d\s*(?:l|litres?|liters?|ltrs?|quarts?|qts?|gallons?|gal|ml|cm3|cm³|dm3|dm³|cc|pints?|"
            r"(?:us|imp\.?) (?:qt|gal|pt))(?!\w)",
            re.I,
        ),
    ),
    "weight": (
        re.compile(
            r"\b(weigh\w*|payload|kerb|curb|how heavy|(?:towing|load|loading|carrying) capacity|"
            r"tow)\b",
            re.I,
        ),
        re.compile(r"\d\s*(kg|lbs?|tonnes?|t)\b", re.I),
    ),
    # A service manual's other measures: an angle (a timing, a wheel's camber), a current
    # (a draw, a charge), a resistance (a sensor's, a coil's).
    "angle": (
        re.compile(
            r"\b(?:ignition timing|angles?|camber|caster|castor|kingpin inclination)\b", re.I
        ),
        re.compile(r"\d\s*(?:°|º)(?!\s*[CF]\b)|\b(?:BTDC|ATDC|BBDC|ABDC)\b", re.I),
    ),
    "current": (
        re.compile(
            r"\b(?:amps?|amperes?|amperage|(?:current|key-off|parasitic|battery)\s+(?:draw|drain)|"
            r"(?:charging|charge|output|starting|cranking)\s+current|current\s+rating)\b",
            re.I,
        ),
        re.compile(r"\d\s*(?-i:m?A)\b|\d\s*(?:amps?|amperes?)\b", re.I),
    ),
    "resistance": (
        re.compile(r"\b(?:resistance|ohms?)\b", re.I),
        re.compile(r"\d\s*[km]?(?:Ω|ohms?)(?!\w)", re.I),
    ),
    "length": (
        re.compile(
            r"\bhow (?:long|wide|tall|high|deep) (?:is|are)\b|\bhow (?:deep|wide|tall)\b|"
            r"\b(length|width|height|depth|wheelbase|wheel base|clearance|wading|dimensions?|"
            # what a part is set or worn to, measured as a length
            r"gaps?|thickness|diameter|run-?out|free ?play|slack)\b|\bhow (?:thin|thick)\b",
            re.I,
        ),
        re.compile(r"\d\s*(mm|cm|m|in|inches|ft)\b", re.I),
    ),
}


# Kinds of figure that say which figure is asked for, where "quantity" says only "a figure".
SPECIFIC_KINDS = frozenset({"money", "duration", "period", "distance", "pressure", "temperature"})


# The documents' words for a customer's, set beside them in brackets (`rag.glossary.with_terms`:
# "how much gearbox (transmission) oil"): the question's own words are read without them too.
GLOSS = re.compile(r"\s*\([^()]*\)")


def answer_kinds_wanted(question: str) -> set[str]:
    """The kinds of fact a question asks for; a measure it names ("horsepower", "top speed")
    in place of the general "quantity"."""
    readings = {question, GLOSS.sub("", question)}
    wanted = {k for k, pattern in ASKS_FOR.items() if any(map(pattern.search, readings))}
    measures = {k for k, (asks, _) in MEASURES.items() if any(map(asks.search, readings))}
    if measures or wanted & SPECIFIC_KINDS:
        # "How many km…": a distance, not any figure ("4.9 l/100 km" is one too).
        return (wanted - {"quantity"}) | measures
    return wanted


def answer_kinds_in(text: str) -> set[str]:
    """The kinds of fact a text states."""
    stated = {kind for kind, pattern in STATES.items() if pattern.search(text)}
    if stated & {"duration", "distance"}:
        stated.add("period")
    return stated | {kind for kind, (_, states) in MEASURES.items() if states.search(text)}


# A label that names no figure, only that one is given: "Standard value: 700 ± 100 r/min"
# under "Check the idle speed." gives the figure the step checks.
GIVEN_VALUE = re.compile(
    r"^\s*(?:(?:standard|specified|nominal|reference|service|repair|permissible|allowable)\s+)?"
    r"(?:values?|limits?|specifications?|specs?)\s*$",
    re.IGNORECASE,
)


def record_label(record: str) -> str:
    """What a "key: value" line says it gives ("Limit" of "Limit: 2.0 mm"), bold marks off."""
    return record.replace("**", "").split(":", 1)[0]


# A unit word alone, which a table's heading or a row's label may carry for its bare figures
# ("Main dimensions (in mm)" over "Ground clearance: 170").
LABEL_UNIT = re.compile(
    r"\b(?:mm|cm|in|inch(?:es)?|ft|kg|lbs?|kw|hp|ps|nm|n·m|psi|kpa|bar|l|litres?|liters?|qt|"
    r"km/h|mph|km|miles|"
    # every spelling of a torque, a pressure or a volume that `MEASURES` reads after a figure
    r"(?:da)?n\s?[·•.\-]\s?m|dan\s?m|kgf?\s?[·•.\-]\s?m|lbf?\s?[·•.\-]\s?ft|ft\s?[·•.\-]\s?lbf?s?|"
    r"mbar|mpa|kgf?/cm(?:2|²)?|cm3|cm³|cc|ml|gal(?:lons?)?|quarts?|pints?)(?![\w·•])",
    re.IGNORECASE,
)
DIGIT = re.compile(r"\d")


def kinds_stated(text: str, labels: str = "") -> set[str]:
    """The kinds of fact a text states, counting a bare number whose unit its `labels` (its
    heading, its label) or the labels of its record name ("Oil capacity, qt.: Front: 3.2")."""
    kinds = answer_kinds_in(text)
    unit_word = LABEL_UNIT.search(f"{labels} {text.rpartition(': ')[0]}")
    if unit_word and DIGIT.search(text):
        kinds |= answer_kinds_in(f"1 {unit_word.group(0)}")
    return kinds


# The words of a measure's units, which name no measure ("4 gallons" names no capacity).
UNIT_WORDS = re.compile(
    r"\b(?:b?hp|ps|kw|nm|lb-?ft|litres?|liters?|quarts?|qts?|gallons?|gal|mph|km/h|kg|lbs?|"
    r"tonnes?|mm|cm|in|inches|ft)\b",
    re.I,
)

# Words that start a sentence without giving an order: determiners, pronouns, prepositions,
# conjunctions, auxiliaries (a closed class of English, the same for any document).
FUNCTION_WORDS = frozenset(
    """
    a an the this that these those it its they their them there here he she we you your our
    i my his her if when while as at by for from in into of on onto to with without under
    over after before during and or but so because although though since until unless than
    then is are was were be been being has have had do does did can could will would shall
    should may might must not no yes all each every any some most many more much such what
    which who whom whose why how where also only just even still
    """.split()  # noqa: SIM905
)
ADVERB_LEADS = frozenset(
    """
    always never only first then now immediately carefully safely gently slowly
    """.split()  # noqa: SIM905
)
# Words that may follow an order's verb: its object's article, a particle, a manner.
ORDER_FOLLOWERS = frozenset(
    """
    the a an your it its them this that these those all any off on out up down in and to
    for with at away back not whether if
    """.split()  # noqa: SIM905
)
