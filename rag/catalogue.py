"""The catalogue a knowledge base defines: its brand, models, variants and their aliases.

Pure logic, no I/O. Documents may declare what they are about in front matter (`brand:`,
`model:` or `models:`, `aliases:`, `variants:`); the rest is derived from the corpus itself:
the brand is the name most titles share, a model is a proper noun that documents are about
(it heads titles and sections, and is written capitalised wherever it appears), and a variant
is a model name followed by the capitalised words or codes that tables and text use for it.
The catalogue is derived over the whole knowledge base at ingest time and stored with it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from rag.alternatives import alternatives
from rag.codes import identifiers

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
TABLE_ROW = re.compile(r"^\s*\|")
BOLD = re.compile(r"\*\*(.+?)\*\*")
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*(?:[-*+]|\d+[.)])?\s*|\|\s*|#+\s+)$")
# "1.5 T", "1.5 turbo" and "1.5T" name the same engine.
DISPLACEMENT = re.compile(r"\b(\d\.\d)\s?(?:t\b|turbo\b)", re.IGNORECASE)
# Words that head document titles and sections without naming anything: document types and
# the calendar. Generic English, the same for every company.
STRUCTURE_WORDS = frozenset(
    """
    a an and at for from in of on or the to with by your our my this that these those how
    what when why where which who can do does is are not no all any each every new vs versus
    about specifications specification specs spec sheet data technical overview introduction
    guide guides manual manuals handbook owner owners owner's notes note faq faqs questions
    answers summary appendix table tables index contents chapter section part schedule
    schedules plan service services servicing maintenance warranty warranties terms
    conditions policy policies troubleshooting problems problem faults fault issues issue
    codes code bulletin bulletins comparison compare model models vehicle vehicles car cars
    lineup line-up general information info support help customer customers care centre
    center workshop booking bookings appointment appointments price prices pricing list
    lists monday tuesday wednesday thursday friday saturday sunday january february march
    april may june july august september october november december
    """.split()  # noqa: SIM905
)
MIN_MODEL_SCORE = 3.0
# A model is written about about as much as the others: at least this share of the top score.
MIN_SHARE_OF_TOP = 0.3
MIN_PROPER_RATIO = 0.9
# Codes (TSB-24-017, CH-214) are capitalised and carry digits, but name no vehicle.
CODE = re.compile(r"^[A-Z]{1,5}-\d|^[A-Z]+\d+[A-Z]?\d*-")
NUMBER = re.compile(r"^\d+(?:[.,]\d+)*$")
# Drive layouts pick out no one variant on their own ("does it come in AWD?").
DRIVE_LAYOUTS = frozenset({"awd", "rwd", "fwd", "4wd", "2wd", "4x4", "4x2"})


class VariantEntry(BaseModel):
    name: str = Field(description="Full variant name, starting with its model's name.")
    aliases: list[str] = Field(default_factory=list, description="Lower-case names for it.")


class ModelEntry(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    variants: list[VariantEntry] = Field(default_factory=list)
    declared_by: list[str] = Field(
        default_factory=list, description="Documents whose front matter declares this model."
    )


class Catalogue(BaseModel):
    """What the knowledge base is about; empty when nothing could be told."""

    model_config = ConfigDict(frozen=True)

    brand: str | None = None
    models: list[ModelEntry] = Field(default_factory=list)
    conflicts: list[str] = Field(
        default_factory=list, description="Claims that disagreed; the first claim was kept."
    )
    alternatives: list[list[str]] = Field(
        default_factory=list,
        description="Words the documents' tables set side by side (diesel, petrol).",
    )
    designations: list[str] = Field(
        default_factory=list,
        description="Identifiers that name what the documents are about (a model's own code, "
        "in most passages), not a fault or a part: no question naming one quotes a code.",
    )
    _matcher_cache: _Matcher | None = PrivateAttr(default=None)

    @property
    def model_names(self) -> list[str]:
        return [m.name for m in self.models]

    def model(self, name: str) -> ModelEntry | None:
        return next((m for m in self.models if m.name == name), None)

    def describe_models(self) -> str:
        """The model names as a reader lists them; empty without models."""
        names = self.model_names
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} and {names[-1]}"

    def codes_in(self, text: str) -> list[str]:
        """The codes `text` quotes (`rag.lexical.identifiers`), the documents' designations
        left out, as said in full or shortened ("CT125" for "CT125A")."""
        return [
            code
            for code in identifiers(text)
            if not any(named.startswith(code) for named in self.designations)
        ]

    def models_in(self, text: str) -> list[str]:
        """Model names mentioned in `text` (by name, alias or variant), in order of mention."""
        return self._matcher().models_in(text)

    def variant_in(self, text: str) -> str | None:
        """The one variant `text` names, if it names exactly one."""
        return self._matcher().variant_in(text)

    def variant_by_word(self, text: str, model: str) -> str | None:
        """The variant of `model` that `text` names by a word only that variant has.

        "and the Performance?" after a question about one model picks its Performance variant.
        The word must read as a name: capitalised, or after "the" ("the long range"), so "how
        long" does not pick a Long Range variant.
        """
        entry = self.model(model)
        if entry is None or len(entry.variants) < 2:
            return None
        own = {w.lower() for w in WORD.findall(entry.name)}
        words = {v.name: {w.lower() for w in WORD.findall(v.name)} - own for v in entry.variants}
        named = {
            w.lower() for w in re.findall(r"(?:(?<=\bthe )[a-z][\w.+-]*|\b[A-Z][\w.+-]*)", text)
        }
        found = [
            name
            for name, mine in words.items()
            if mine & named
            and (mine & named) - set().union(*(o for n, o in words.items() if n != name))
        ]
        if len(found) == 1:
            return found[0]
        # "the Turbo" beside Turbo and Turbo Tiptronic S: the one it names whole.
        whole = [name for name, mine in words.items() if mine and mine <= named]
        return whole[0] if len(whole) == 1 else None

    def vehicles_in(self, text: str) -> list[tuple[str, str | None]]:
        """(model, variant or None) for each vehicle name in `text`, in order of mention."""
        return [(a.model, a.variant) for _, _, a in self._matcher()._matches(text)]

    def model_of(self, vehicle: str) -> str | None:
        """The model a model or variant name belongs to."""
        named = self.models_in(vehicle)
        return named[0] if named else None

    def neutralise(self, text: str, replacement: str = "car") -> str:
        """`text` with the brand and vehicle names replaced by a neutral word, for routing."""
        return self._matcher().neutralise(text, replacement)

    def _matcher(self) -> _Matcher:
        if self._matcher_cache is None:
            self._matcher_cache = _Matcher.build(self)
        return self._matcher_cache

    def with_model(self, name: str) -> Catalogue:
        """This catalogue and one more model, known by its name alone."""
        return Catalogue(brand=self.brand, models=[*self.models, ModelEntry(name=name)])


@dataclass(frozen=True)
class _Alias:
    pattern: re.Pattern[str]
    model: str
    variant: str | None
    length: int


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("\u00a0", " ")
    return DISPLACEMENT.sub(lambda m: f"{m.group(1)}t", text).lower()


def _alias_pattern(alias: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(_normalise(alias))}(?![A-Za-z0-9])")


@dataclass(frozen=True)
class _Matcher:
    aliases: tuple[_Alias, ...]
    brand: re.Pattern[str] | None

    @classmethod
    def build(cls, catalogue: Catalogue) -> _Matcher:
        aliases: list[_Alias] = []
        for model in catalogue.models:
            for alias in {model.name.lower(), *model.aliases}:
                aliases.append(_Alias(_alias_pattern(alias), model.name, None, len(alias)))
            for variant in model.variants:
                for alias in {variant.name.lower(), *variant.aliases}:
                    aliases.append(
                        _Alias(_alias_pattern(alias), model.name, variant.name, len(alias))
                    )
        aliases.sort(key=lambda a: -a.length)
        brand = (
            re.compile(rf"(?<![A-Za-z0-9]){re.escape(catalogue.brand.lower())}(?:'s)?\s*")
            if catalogue.brand
            else None
        )
        return cls(tuple(aliases), brand)

    def _matches(self, text: str) -> list[tuple[int, int, _Alias]]:
        """Non-overlapping alias matches, longest alias first."""
        lowered = _normalise(text)
        taken: list[tuple[int, int, _Alias]] = []
        for alias in self.aliases:
            for match in alias.pattern.finditer(lowered):
                start, end = match.span()
                if all(end <= s or start >= e for s, e, _ in taken):
                    taken.append((start, end, alias))
        return sorted(taken, key=lambda t: t[0])

    def models_in(self, text: str) -> list[str]:
        return list(dict.fromkeys(a.model for _, _, a in self._matches(text)))

    def variant_in(self, text: str) -> str | None:
        matches = self._matches(text)
        named = {a.model for _, _, a in matches if a.variant is None}
        variants = list(dict.fromkeys(a.variant for _, _, a in matches if a.variant))
        models_of = {a.variant: a.model for _, _, a in matches if a.variant}
        if named:
            variants = [v for v in variants if models_of[v] in named]
        return variants[0] if len(variants) == 1 else None

    def neutralise(self, text: str, replacement: str) -> str:
        matches = self._matches(text)
        brand_named = self.brand is not None and self.brand.search(_normalise(text))
        if not matches and not brand_named:
            return text
        lowered = _normalise(text)
        out, last = [], 0
        for start, end, _ in matches:
            out += [lowered[last:start], replacement]
            last = end
        out.append(lowered[last:])
        result = "".join(out)
        if self.brand is not None:
            result = self.brand.sub("", result)
        repeated = rf"\b{re.escape(replacement)}(?:\s+{re.escape(replacement)})+\b"
        result = re.sub(repeated, replacement, result)
        return re.sub(r"[ \t]{2,}", " ", result).strip()


# --- What documents declare -------------------------------------------------------------------


class DeclaredVariant(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)


class DeclaredModel(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    variants: list[DeclaredVariant] = Field(default_factory=list)


class Declared(BaseModel):
    """The catalogue fields of one document's front matter."""

    brand: str | None = None
    models: list[DeclaredModel] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.brand is None and not self.models


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if isinstance(v, str | int | float) and str(v)]
    return []


def _variant(value: object) -> DeclaredVariant | None:
    if isinstance(value, Mapping) and value.get("name"):
        return DeclaredVariant(
            name=str(value["name"]).strip(),
            aliases=[a.lower() for a in _names(value.get("aliases"))],
        )
    if isinstance(value, str | int | float) and str(value).strip():
        return DeclaredVariant(name=str(value).strip())
    return None


def _model(value: object) -> DeclaredModel | None:
    if isinstance(value, Mapping) and value.get("name"):
        variants = [v for v in map(_variant, value.get("variants") or []) if v]
        return DeclaredModel(
            name=str(value["name"]).strip(),
            aliases=[a.lower() for a in _names(value.get("aliases"))],
            variants=variants,
        )
    if isinstance(value, str) and value.strip():
        return DeclaredModel(name=value.strip())
    return None


def declared_from_front_matter(fields: Mapping[str, object]) -> Declared:
    """Read `brand`, `model`/`models`, `aliases` and `variants` from front matter fields."""
    brand = fields.get("brand")
    raw_models = fields.get("models")
    if raw_models is None and fields.get("model") is not None:
        raw_models = [fields.get("model")]
    if isinstance(raw_models, str):
        raw_models = _names(raw_models)
    models = [m for m in map(_model, raw_models or []) if m] if isinstance(raw_models, list) else []
    top_aliases = [a.lower() for a in _names(fields.get("aliases"))]
    raw_variants = fields.get("variants")
    top_variants = (
        [v for v in map(_variant, raw_variants) if v] if isinstance(raw_variants, list) else []
    )
    if len(models) == 1:
        model = models[0]
        models[0] = model.model_copy(
            update={
                "aliases": list(dict.fromkeys([*model.aliases, *top_aliases])),
                "variants": [*model.variants, *top_variants],
            }
        )
    elif top_variants:
        for variant in top_variants:
            owner = next((m for m in models if variant.name.split()[0] == m.name), None)
            if owner is not None:
                owner.variants.append(variant)
    return Declared(
        brand=str(brand).strip() if isinstance(brand, str) and brand.strip() else None,
        models=models,
    )


# --- Deriving the catalogue from the corpus ----------------------------------------------------


@dataclass
class DocumentText:
    """What derivation reads of one document."""

    source: str
    title: str
    headings: list[str] = field(default_factory=list)
    body: str = ""
    declared: Declared = field(default_factory=Declared)


@dataclass
class _Evidence:
    titles: int = 0
    headings: int = 0
    cells: int = 0
    after_brand: int = 0
    standalone: int = 0
    proper: int = 0
    lower: int = 0
    documents: set[str] = field(default_factory=set)

    @property
    def score(self) -> float:
        return 3 * self.titles + min(self.headings, 6) + min(self.cells, 3)

    @property
    def proper_ratio(self) -> float:
        total = self.proper + self.lower
        return self.proper / total if total else 0.0


def _words(text: str) -> list[str]:
    return WORD.findall(text)


def _is_name_like(word: str) -> bool:
    """Capitalised, or a code mixing letters and digits; not an acronym or a plain number."""
    if word.lower() in STRUCTURE_WORDS or not any(c.isalpha() for c in word):
        return False
    if word.isupper() and not any(c.isdigit() for c in word):
        return False  # ABS, AWD, EV: acronyms, not model names
    return word[0].isupper() or (word[0].isdigit() and any(c.isalpha() for c in word))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table_labels(body: str) -> list[str]:
    """Header cells and first-column cells of every pipe table."""
    labels: list[str] = []
    previous_was_row = False
    for line in body.splitlines():
        if TABLE_ROW.match(line):
            cells = _cells(line)
            if set("".join(cells)) <= set("-: "):
                previous_was_row = True
                continue
            labels.extend(cells if not previous_was_row else cells[:1])
            previous_was_row = True
        else:
            previous_was_row = False
    return [label.replace("**", "") for label in labels if label]


def _plain_lines(body: str) -> list[str]:
    return [
        line for line in body.splitlines() if not TABLE_ROW.match(line) and not line.startswith("#")
    ]


def _detect_brand(documents: Sequence[DocumentText]) -> str | None:
    declared = Counter(d.declared.brand for d in documents if d.declared.brand)
    if declared:
        return declared.most_common(1)[0][0]
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update({w for w in _words(document.title) if _is_name_like(w)})
    if not counts:
        return None
    word, count = counts.most_common(1)[0]
    titled = len(documents)
    return word if count >= 2 and count >= 0.4 * titled else None


def _collect_evidence(documents: Sequence[DocumentText], brand: str | None) -> dict[str, _Evidence]:
    evidence: dict[str, _Evidence] = {}

    def get(word: str) -> _Evidence:
        return evidence.setdefault(word, _Evidence())

    brand_lower = brand.lower() if brand else None
    for document in documents:
        for word in {w for w in _words(document.title) if _is_name_like(w)}:
            get(word).titles += 1
        for heading in document.headings:
            for word in {w for w in _words(heading) if _is_name_like(w)}:
                get(word).headings += 1
        for label in _table_labels(document.body):
            first = _words(label)[:1]
            if first and _is_name_like(first[0]):
                get(first[0]).cells += 1
        text = "\n".join(_plain_lines(document.body))
        for match in WORD.finditer(text):
            word = match.group(0)
            before = text[max(0, match.start() - 40) : match.start()]
            if SENTENCE_START.search(before):
                continue  # capitalised by position, not by being a name
            lowered = word.lower()
            if word[0].isupper():
                previous = _words(before)[-1:] if before.strip() else []
                record = evidence.get(word)
                if record is None and lowered not in STRUCTURE_WORDS:
                    record = get(word)
                if record is not None:
                    record.proper += 1
                    record.documents.add(document.source)
                    if previous and brand_lower and previous[0].lower() == brand_lower:
                        record.after_brand += 1
                    else:
                        record.standalone += 1
            elif word.islower():
                capitalised = lowered[:1].upper() + lowered[1:]
                if capitalised in evidence:
                    evidence[capitalised].lower += 1
    return evidence


def _is_model(
    word: str, record: _Evidence, brand: str | None, top_score: float, documents: int = 2
) -> bool:
    if (brand and word.lower() == brand.lower()) or CODE.match(word):
        return False
    if record.score < max(MIN_MODEL_SCORE, MIN_SHARE_OF_TOP * top_score):
        return False
    if record.proper_ratio < MIN_PROPER_RATIO:
        return False
    if len(record.documents) < min(2, documents):
        return False  # a name one document of several uses is that document's business
    if documents == 1 and not record.titles:
        return False  # one manual: the model is the one its title names
    mentions = record.after_brand + record.standalone
    # Named things that only ever follow the brand ("<Brand> Roadside Assistance", an app)
    # are services; models are also talked about on their own ("the Nova's battery").
    return not (brand and mentions and record.standalone < 0.25 * mentions)


# A shorter variant name is shorthand for a longer one written this many times as often.
SHORTHAND_RATIO = 4


def _variant_phrases(
    documents: Sequence[DocumentText], models: Sequence[str], brand: str | None
) -> Counter[str]:
    """Model name + the capitalised words or codes right after it, from tables, bold and text."""
    counts: Counter[str] = Counter()
    stops = {m.lower() for m in models} | ({brand.lower()} if brand else set())
    runs = {
        model: re.compile(rf"(?<![A-Za-z0-9]){re.escape(model)}((?: [A-Z0-9][A-Za-z0-9.+\-]*)+)")
        for model in models
    }
    for document in documents:
        spans = [*_table_labels(document.body), *BOLD.findall(document.body)]
        spans += _plain_lines(document.body)
        for span in spans:
            for model, run in runs.items():
                for match in run.finditer(span.replace("**", "")):
                    tail: list[str] = []
                    rest = span.replace("**", "")[match.end() :]
                    words = match.group(1).split()
                    for index, word in enumerate(words):
                        if word.lower() in stops or word.lower() in STRUCTURE_WORDS:
                            break
                        if NUMBER.match(word) and (tail or index + 1 < len(words)):
                            break  # a figure after the name ("Mira PHEV 8.6 s"), not its part
                        if index == len(words) - 1 and re.match(r"[,.]\d", rest):
                            break  # the start of "1,040 litres"
                        tail.append(word.rstrip("."))
                    if tail:
                        counts[" ".join([model, *tail])] += 1
    return counts


def _whole_labels(documents: Sequence[DocumentText]) -> set[str]:
    """Table cells and bold spans, whole."""
    labels: set[str] = set()
    for document in documents:
        labels.update(_table_labels(document.body))
        labels.update(b.strip() for b in BOLD.findall(document.body))
    return labels


def _variant_aliases(
    model: str, variant: str, siblings: Sequence[str], proper: set[str]
) -> list[str]:
    """Lower-case names that pick out `variant` among its model's variants."""
    suffix = variant.split()[1:]
    others = [s.split()[1:] for s in siblings if s != variant]

    def grams(words: Sequence[str]) -> set[str]:
        return {
            " ".join(words[i:j]).lower()
            for i in range(len(words))
            for j in range(i + 1, len(words) + 1)
        }

    shared = set().union(*(grams(o) for o in others)) if others else set()
    aliases = {variant.lower()}
    for end in range(1, len(suffix) + 1):
        prefix = " ".join([model, *suffix[:end]]).lower()
        if not any(prefix in f"{model} {' '.join(o)}".lower() for o in others):
            aliases.add(prefix)
    for gram in grams(suffix) - shared:
        words = gram.split()
        if NUMBER.match(gram) or gram in DRIVE_LAYOUTS:
            continue
        if len(words) > 1 or any(c.isdigit() for c in gram) or gram in proper:
            aliases.add(gram)
    return sorted(aliases)


def derive(documents: Sequence[DocumentText]) -> Catalogue:
    """The catalogue of a knowledge base: declared claims first, then what the text shows."""
    brand = _detect_brand(documents)
    conflicts: list[str] = []
    declared_brands = {d.declared.brand for d in documents if d.declared.brand}
    if len(declared_brands) > 1:
        conflicts.append(
            f"brand declared as {', '.join(sorted(declared_brands))} in different documents; "
            f"kept {brand}"
        )
    entries: dict[str, ModelEntry] = {}
    claimed_aliases: dict[str, tuple[str, str]] = {}  # alias → (model, source)
    for document in documents:
        for model in document.declared.models:
            entry = entries.get(model.name)
            if entry is None:
                entry = entries[model.name] = ModelEntry(name=model.name)
            elif model.aliases and entry.aliases and set(model.aliases) != set(entry.aliases):
                conflicts.append(
                    f"model {model.name}: {document.source} declares aliases "
                    f"{', '.join(model.aliases)} but {entry.declared_by[0]} declared "
                    f"{', '.join(entry.aliases)}; kept the first"
                )
                entry.declared_by.append(document.source)
                continue
            entry.declared_by.append(document.source)
            for alias in model.aliases:
                owner = claimed_aliases.get(alias)
                if owner and owner[0] != model.name:
                    conflicts.append(
                        f"alias '{alias}' is claimed for {owner[0]} ({owner[1]}) and for "
                        f"{model.name} ({document.source}); kept {owner[0]}"
                    )
                    continue
                claimed_aliases[alias] = (model.name, document.source)
                if alias not in entry.aliases:
                    entry.aliases.append(alias)
            for variant in model.variants:
                if all(v.name != variant.name for v in entry.variants):
                    entry.variants.append(
                        VariantEntry(name=variant.name, aliases=list(variant.aliases))
                    )

    evidence = _collect_evidence(documents, brand)
    candidates = [
        (word, record)
        for word, record in sorted(evidence.items(), key=lambda kv: -kv[1].score)
        if word not in entries
        and not (brand and word.lower() == brand.lower())
        and _is_model(word, record, brand, 0.0, len(documents))
    ]
    top_score = candidates[0][1].score if candidates else 0.0
    derived = [
        word
        for word, record in candidates
        if _is_model(word, record, brand, top_score, len(documents))
    ]
    for word in derived:
        entries[word] = ModelEntry(name=word)

    proper = {w.lower() for w, r in evidence.items() if r.proper_ratio >= MIN_PROPER_RATIO}
    phrases = _variant_phrases(documents, list(entries), brand)
    whole = _whole_labels(documents)
    for name, entry in entries.items():
        found = [
            phrase
            for phrase, count in phrases.most_common()
            if phrase.split()[0] == name and count >= 2
        ]
        # A shorter form ("Nova Long") that is only ever a short way of writing a longer one
        # ("Nova Long Range") is an alias of it, not a variant of its own; one that stands
        # alone as a table cell or in bold ("Terra 2.2D", beside "Terra 2.2D Trail") is a
        # variant, unless the longer form is far more common (a column headed "Falcon
        # Sport" in a comparison, beside "Falcon Sport AWD" everywhere else).
        shorthand: dict[str, str] = {}
        for p in found:
            longer = [o for o in found if o != p and o.startswith(p + " ")]
            dominant = [o for o in longer if phrases[o] >= SHORTHAND_RATIO * phrases[p]]
            if len(dominant) == 1 or (longer and p not in whole):
                shorthand[p] = (dominant or longer)[0]
        found = [p for p in found if p not in shorthand]
        known = {v.name for v in entry.variants}
        entry.variants += [VariantEntry(name=p) for p in sorted(found) if p not in known]
        for short, full in shorthand.items():
            for entry_variant in entry.variants:
                if entry_variant.name == full and short.lower() not in entry_variant.aliases:
                    entry_variant.aliases.append(short.lower())
        names = [v.name for v in entry.variants]
        for entry_variant in entry.variants:
            derived_aliases = _variant_aliases(name, entry_variant.name, names, proper)
            entry_variant.aliases = sorted({*entry_variant.aliases, *derived_aliases})
    models = sorted(entries.values(), key=lambda m: _first_seen(m.name, documents))
    return Catalogue(
        brand=brand,
        models=models,
        conflicts=conflicts,
        alternatives=alternatives(d.body for d in documents),
    )


def _first_seen(name: str, documents: Sequence[DocumentText]) -> tuple[int, str]:
    for index, document in enumerate(documents):
        if name in document.title or name in document.body:
            return index, name
    return len(documents), name


def vehicle_models(
    catalogue: Catalogue, title: str, headings: Iterable[str], body: str
) -> list[str]:
    """The models a document is about: those in its title, else the one its text is about."""
    in_title = catalogue.models_in(title)
    if in_title:
        return in_title
    counts = Counter(
        model for line in [*headings, body] for model in _all_mentions(catalogue, line)
    )
    if not counts:
        return []
    (top, top_count), *_rest = counts.most_common()
    total = sum(counts.values())
    return [top] if top_count >= 0.8 * total and top_count >= 2 else []


def _all_mentions(catalogue: Catalogue, text: str) -> list[str]:
    return [model for model, _ in catalogue.vehicles_in(text)]
