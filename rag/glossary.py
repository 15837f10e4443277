"""The vehicle trade's other words for the same thing, and which of them a knowledge base uses.

A customer asks about the "cambelt", the "loan car" or the "auto gearbox"; the manual says
"timing belt", "replacement car", "automatic transmission". Meaning alone (the embedding) does
not bridge such pairs well, and no words are shared for BM25 or for the offline answer to find.
`GROUPS` holds terms of the trade that name the same part or service: British and American
usage, the workshop's word and the customer's. `Wording` knows which of them one knowledge
base uses; a question's term the documents never use gets theirs beside it ("cambelt (timing
belt)"), and only then: where the documents use the customer's own word, nothing is added.

Nothing here is about any one company's documents: these are words of the trade.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Each group: terms for one thing. A term in capitals (an abbreviation) matches only so
# written; others in any case, their last word with any of the endings `ENDING` allows
# ("tyres", "remapped"), with a space, hyphen or slash between words alike.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("timing belt", "cambelt", "cam belt"),
    ("timing chain", "cam chain"),
    (
        "replacement car",
        "courtesy car",
        "loan car",
        "loaner",
        "loaner car",
        "loaner vehicle",
        "hire car",
        "rental car",
        "replacement vehicle",
        "courtesy vehicle",
        "substitute vehicle",
    ),
    (
        "automatic transmission",
        "automatic gearbox",
        "auto gearbox",
        "auto transmission",
        "auto box",
        "autobox",
    ),
    ("manual transmission", "manual gearbox", "stick shift", "manual box"),
    ("gearbox", "transmission"),
    ("gear lever", "gear stick", "gearstick", "gear shift", "shifter", "selector lever"),
    (
        "software tuning",
        "chip tuning",
        "chipping",
        "remap",
        "ECU tuning",
        "tuning box",
    ),
    ("bonnet", "hood"),
    ("boot", "trunk", "luggage compartment"),
    ("frunk", "front trunk", "front boot", "front storage compartment"),
    ("tyre", "tire"),
    ("windscreen", "windshield"),
    ("wing mirror", "door mirror", "side mirror", "exterior mirror", "outside mirror"),
    ("petrol", "gasoline"),
    ("petrol station", "gas station", "filling station", "fuel station"),
    ("fuel tank", "gas tank", "petrol tank"),
    ("fuel cap", "gas cap", "filler cap", "fuel filler cap", "fuel tank cap"),
    ("fuel flap", "fuel door", "gas door", "fuel filler flap", "fuel filler door"),
    ("accelerator", "gas pedal", "accelerator pedal", "throttle pedal"),
    ("handbrake", "hand brake", "parking brake", "emergency brake", "e-brake"),
    ("indicator", "turn signal", "blinker", "direction indicator"),
    ("number plate", "licence plate", "license plate", "registration plate"),
    ("motorway", "highway", "freeway", "expressway"),
    ("sat nav", "satnav", "navigation system", "GPS"),
    ("dashboard", "instrument cluster", "instrument panel"),
    ("warning light", "warning lamp", "indicator light", "indicator lamp", "telltale"),
    (
        "engine warning light",
        "check engine light",
        "engine management light",
        "malfunction indicator lamp",
        "MIL",
    ),
    ("glow plug", "heater plug"),
    ("spark plug", "sparking plug"),
    ("silencer", "muffler"),
    ("tailpipe", "exhaust pipe"),
    ("sump", "oil pan"),
    ("aerial", "antenna"),
    ("estate", "station wagon", "estate car"),
    ("saloon", "sedan"),
    ("people carrier", "minivan", "MPV"),
    ("kerb weight", "curb weight", "unladen weight", "empty weight"),
    ("kerb", "curb"),
    ("gross vehicle weight", "GVW", "GVWR", "gross vehicle weight rating"),
    ("tow bar", "towbar", "tow hitch", "trailer hitch", "towing hitch", "tow hook"),
    ("caravan", "travel trailer"),
    ("jump start", "jumpstart", "boost start"),
    ("jump leads", "jumper cables", "booster cables", "jump cables"),
    ("12-volt battery", "12 V battery", "12V battery", "auxiliary battery", "starter battery"),
    ("high-voltage battery", "traction battery", "HV battery", "drive battery"),
    ("wallbox", "wall box", "home charger", "wall charger", "wall connector"),
    ("fast charger", "rapid charger", "DC charger", "DC fast charger"),
    ("fast charging", "rapid charging", "DC charging", "DC fast charging"),
    ("charging inlet", "charge port", "charging port", "charging socket", "charge inlet"),
    ("AdBlue", "DEF", "diesel exhaust fluid"),
    ("particulate filter", "DPF", "diesel particulate filter"),
    ("coolant", "antifreeze", "anti-freeze"),
    ("washer fluid", "screenwash", "screen wash", "windscreen washer fluid"),
    ("brake disc", "brake rotor"),
    ("brake pad", "brake lining"),
    ("MOT", "roadworthiness test", "safety inspection", "state inspection"),
    ("fuel consumption", "fuel economy", "MPG", "fuel efficiency"),
    ("air conditioning", "air con", "aircon", "climate control"),
    ("demister", "defroster", "defogger"),
    ("immobiliser", "immobilizer"),
    ("key fob", "remote key", "smart key", "remote control key"),
    ("sunroof", "moonroof", "sliding roof"),
    ("roof rack", "roof bars", "roof carrier"),
    ("spare wheel", "spare tyre", "spare tire"),
    ("tyre repair kit", "tyre sealant", "tire sealant", "tire mobility kit", "puncture repair kit"),
    ("puncture", "flat tyre", "flat tire"),
    ("flat battery", "dead battery", "discharged battery"),
    ("tyre pressure", "inflation pressure"),
    ("tyre pressure monitoring", "TPMS", "tire pressure monitor"),
    ("anti-lock braking", "ABS", "anti-lock brakes", "antilock brakes"),
    ("stability control", "ESC", "ESP", "electronic stability program"),
    ("airbag", "air bag", "SRS", "supplemental restraint system"),
    ("seat belt", "seatbelt", "safety belt"),
    ("child seat", "child restraint", "car seat", "booster seat"),
    ("technical service bulletin", "TSB", "service bulletin"),
    ("roadside assistance", "breakdown cover", "breakdown assistance", "breakdown service"),
    ("tow truck", "recovery truck", "breakdown truck", "wrecker"),
    ("top speed", "maximum speed", "max speed"),
    ("engine oil", "motor oil"),
    ("cabin filter", "pollen filter", "cabin air filter", "microfilter"),
    ("air filter", "air cleaner"),
    ("reversing camera", "backup camera", "rear-view camera", "rearview camera", "reverse camera"),
    ("parking sensor", "park distance control", "parking aid"),
    ("reversing light", "backup light", "back-up light", "reverse light", "reversing lamp"),
    ("tail light", "tail lamp", "rear light"),
    ("parking light", "parking lamp", "side light", "sidelight", "position light"),
    ("wheel nut", "lug nut", "wheel bolt"),
    ("drain plug", "sump plug"),
    ("running-in", "break-in", "breaking-in", "run-in"),
    ("alternator", "generator"),
    ("tongue load", "tongue weight", "nose weight", "towball load"),
    ("fog light", "fog lamp"),
    ("headlight", "headlamp"),
    ("dipped beam", "low beam"),
    ("main beam", "high beam", "full beam"),
    ("hazard warning lights", "hazard lights", "hazards", "emergency flashers"),
    ("wiper blade", "wiper"),
    ("electric windows", "power windows"),
    ("stop-start", "start-stop", "start/stop", "stop/start", "idle stop"),
    ("regenerative braking", "regen", "recuperation", "energy recovery"),
    ("preconditioning", "pre-conditioning", "pre-heating", "preheating"),
    ("limp mode", "limp-home mode", "emergency running mode", "reduced power mode"),
    # The workshop's words beside the owner's: what a service manual calls the same part,
    # fault or figure.
    ("knock", "ping", "pinking", "detonation", "spark knock"),
    ("valve clearance", "valve lash", "tappet clearance"),
    ("idle speed", "idling speed", "tickover", "tick-over", "idle rpm"),
    (
        "drive belt",
        "fan belt",
        "auxiliary belt",
        "accessory belt",
        "serpentine belt",
        "V-belt",
        "ribbed belt",
    ),
    ("shock absorber", "damper"),
    ("anti-roll bar", "sway bar", "stabilizer bar", "stabiliser bar"),
    ("tie rod", "track rod"),
    ("control arm", "wishbone", "suspension arm"),
    ("CV joint", "constant velocity joint"),
    ("drive shaft", "driveshaft", "half shaft", "halfshaft", "axle shaft"),
    ("propeller shaft", "propshaft", "prop shaft"),
    ("differential", "diff"),
    ("wheel alignment", "tracking"),
    ("wheel bearing", "hub bearing"),
    ("oxygen sensor", "lambda sensor", "O2 sensor", "lambda probe"),
    ("air flow meter", "airflow meter", "mass air flow sensor", "MAF sensor", "air mass meter"),
    (
        "engine control unit",
        "ECU",
        "ECM",
        "engine control module",
        "PCM",
        "powertrain control module",
    ),
    ("catalytic converter", "catalyst", "cat converter"),
    ("cylinder head gasket", "head gasket"),
    ("cylinder head bolt", "head bolt"),
    ("connecting rod bearing", "big end bearing", "conrod bearing", "rod bearing"),
    ("crankshaft pulley", "crank pulley", "harmonic balancer"),
    ("radiator cap", "pressure cap"),
    ("expansion tank", "coolant reservoir", "header tank", "overflow tank", "coolant tank"),
    ("cold cranking amps", "CCA", "cold cranking current"),
    ("fuse box", "fuse block", "fuse panel", "junction block"),
    ("dipstick", "oil level gauge", "oil dipstick"),
    ("wear limit", "service limit", "discard limit"),
    ("free play", "freeplay"),
    ("wheel brace", "lug wrench", "wheel wrench", "tyre iron"),
    ("wheel trim", "hub cap", "wheel cover"),
    ("side stand", "sidestand", "kickstand", "kick stand"),
    ("centre stand", "center stand", "main stand"),
    ("engine stop switch", "kill switch", "engine cut-off switch"),
)
MAX_ADDED = 2  # of the documents' terms, the most used ones beside the customer's
WORD = re.compile(r"[A-Za-z0-9]+")
# What a term's last word may end with in a text: a plural, a past, an -ing (a consonant
# doubled before them: "remapped").
ENDING = r"(?:s|es|ed|ing|[a-z]ed|[a-z]ing)?"


def _words(text: str) -> list[str]:
    return WORD.findall(text)


def _key(term: str) -> str:
    """A term as the glossary keys it: its words, single-spaced; lower case unless it is an
    abbreviation."""
    words = " ".join(_words(term))
    return words if term.isupper() else words.lower()


def _endings(word: str) -> set[str]:
    """`word` with each ending a text may give it."""
    forms = {word, f"{word}s", f"{word}es", f"{word}ed", f"{word}ing"}
    forms |= {f"{word}{word[-1]}ed", f"{word}{word[-1]}ing"}
    if word.endswith("e"):
        forms |= {f"{word[:-1]}ing", f"{word}d"}
    return forms


def _pattern(term: str) -> str:
    body = r"[^A-Za-z0-9]+".join(re.escape(w) for w in _words(term))
    return rf"\b{body}\b" if term.isupper() else rf"\b{body}{ENDING}\b"


def _regex(terms: Iterable[str], upper: bool) -> re.Pattern[str]:
    chosen = sorted({t for t in terms if t.isupper() == upper}, key=len, reverse=True)
    return re.compile("|".join(_pattern(t) for t in chosen), 0 if upper else re.IGNORECASE)


@dataclass(frozen=True)
class Glossary:
    """Groups of terms for the same thing, and how to find them in a text."""

    groups: tuple[tuple[str, ...], ...]
    group_of: dict[str, int] = field(init=False, repr=False)
    written: dict[str, str] = field(init=False, repr=False)  # each key, as the group writes it
    _spelled: re.Pattern[str] = field(init=False, repr=False)
    _abbreviations: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for group in self.groups:
            for term in group:
                if term.isupper() and len(_words(term)) != 1:
                    raise ValueError(f"an abbreviation is one word: {term!r}")
        terms = [t for g in self.groups for t in g]
        group_of = {_key(t): n for n, g in enumerate(self.groups) for t in g}
        object.__setattr__(self, "group_of", group_of)
        object.__setattr__(self, "written", {_key(t): t for g in self.groups for t in g})
        object.__setattr__(self, "_spelled", _regex(terms, upper=False))
        object.__setattr__(self, "_abbreviations", _regex(terms, upper=True))

    def _term(self, found: str) -> str | None:
        """The glossary's term a match in a text stands for."""
        if found in self.group_of:  # an abbreviation, as written
            return found
        words = _key(found).split(" ")
        head, last = " ".join(words[:-1]), words[-1]
        for n in range(len(last), 0, -1):
            key = f"{head} {last[:n]}".strip()
            if key in self.group_of and last in _endings(last[:n]):
                return key
        return None

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Each term in `text` (a short one: a question), longest first where they overlap:
        (start, end, term)."""
        found: list[tuple[int, int, str]] = []
        for regex in (self._spelled, self._abbreviations):
            for match in regex.finditer(text):
                term = self._term(match.group())
                if term is not None:
                    found.append((match.start(), match.end(), term))
        found.sort(key=lambda f: (f[0], f[0] - f[1]))
        kept: list[tuple[int, int, str]] = []
        for start, end, term in found:
            if not kept or start >= kept[-1][1]:
                kept.append((start, end, term))
        return kept

    def counts(self, documents: Iterable[str]) -> Counter[str]:
        """How often each term appears in `documents`, in any of its endings. Counted on the
        texts' words (a knowledge base is megabytes; a regex of every term is too slow)."""
        words = _words("\n".join(documents))
        exact = Counter(words)
        lowered = [w.lower() for w in words]
        single = Counter(lowered)
        joined = f" {' '.join(lowered)} "
        counted: Counter[str] = Counter()
        for key in self.group_of:
            if key.isupper():
                counted[key] = exact[key]
                continue
            *head, last = key.split(" ")
            forms = [f for f in _endings(last) if single[f]]
            if not head:
                counted[key] = sum(single[f] for f in forms)
            elif forms and all(single[w] for w in head):  # else it cannot be there
                lead = " ".join(head)
                counted[key] = sum(joined.count(f" {lead} {f} ") for f in forms)
        return +counted


TRADE = Glossary(GROUPS)


def read_groups(text: str) -> tuple[tuple[str, ...], ...]:
    """A company's own groups: one a line, terms separated by commas; blank lines and lines
    starting with "#" skipped. ValueError names a line with fewer than two terms."""
    groups = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        terms = tuple(dict.fromkeys(t.strip() for t in line.split(",") if t.strip()))
        if len(terms) < 2:
            raise ValueError(f"line {number}: a group needs two terms or more: {line.strip()!r}")
        groups.append(terms)
    return tuple(groups)


def with_groups(groups: Sequence[tuple[str, ...]], glossary: Glossary = TRADE) -> Glossary:
    """`glossary` and a company's own groups; a term in both goes with the company's group."""
    own = {_key(t) for g in groups for t in g}
    kept = tuple(tuple(t for t in g if _key(t) not in own) for g in glossary.groups)
    return Glossary(tuple(g for g in kept if len(g) > 1) + tuple(groups))


@dataclass(frozen=True)
class Renaming:
    """A term of the question the documents never use, and theirs for the same thing."""

    asked: str  # as the question writes it
    documents: tuple[str, ...]


@dataclass(frozen=True)
class Wording:
    """Which of the glossary's terms one knowledge base uses, and how often."""

    used: Counter[str]
    glossary: Glossary = TRADE

    @classmethod
    def of(cls, documents: Iterable[str], glossary: Glossary = TRADE) -> Wording:
        return cls(glossary.counts(documents), glossary)

    def _renamed(self, question: str) -> list[tuple[int, Renaming]]:
        """Each term of the question the documents never use but name otherwise, with where
        it ends in the question."""
        found: list[tuple[int, Renaming]] = []
        for start, end, term in self.glossary.find(question):
            if self.used[term]:
                continue
            group = self.glossary.groups[self.glossary.group_of[term]]
            theirs = sorted(
                {_key(t) for t in group if self.used[_key(t)]},
                key=lambda t: (-self.used[t], t),
            )
            if theirs:
                written = tuple(self.glossary.written[t] for t in theirs[:MAX_ADDED])
                found.append((end, Renaming(question[start:end], written)))
        return found

    def renamings(self, question: str) -> list[Renaming]:
        """The question's terms the documents never use, with theirs for the same thing."""
        return [renaming for _end, renaming in self._renamed(question)]

    def expand(self, question: str) -> str:
        """The question with the documents' terms beside each of its own they never use:
        "the cambelt (timing belt)"."""
        out, last = [], 0
        for end, renaming in self._renamed(question):
            out.append(f"{question[last:end]} ({', '.join(renaming.documents)})")
            last = end
        return "".join(out) + question[last:]


def terms_line(renamings: Sequence[Renaming]) -> str:
    """How a prompt states them, one a line: "cambelt: in these documents, timing belt"."""
    return "\n".join(f"{r.asked}: {THEIRS}{', '.join(r.documents)}" for r in renamings)


THEIRS = "in these documents, "


def parse_terms(text: str) -> list[Renaming]:
    """Read back what `terms_line` wrote."""
    found = []
    for line in text.splitlines():
        asked, _, theirs = line.partition(f": {THEIRS}")
        if asked.strip() and theirs.strip():
            found.append(Renaming(asked.strip(), tuple(t.strip() for t in theirs.split(","))))
    return found


def with_terms(question: str, renamings: Sequence[Renaming]) -> str:
    """The question with the documents' terms beside its own, as `Wording.expand` writes it:
    what an answer taken from the documents is matched against."""
    for renaming in renamings:
        at = question.find(renaming.asked)
        if at >= 0:
            end = at + len(renaming.asked)
            question = f"{question[:end]} ({', '.join(renaming.documents)}){question[end:]}"
    return question
