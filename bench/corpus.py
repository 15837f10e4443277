"""Deterministic synthetic knowledge bases made from the real one.

Variant 0 of a file is the file itself. Variant i > 0 renames the models and their variants,
scales every free-standing number by a factor of its own, and (for Markdown) shuffles the
`##` sections after the introduction, so that no two variants share a chunk's text while the
vocabulary, structure and length of the chunks stay those of the real knowledge base.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from agents.registry import default_registry
from bench.common import KNOWLEDGE_BASE
from rag.chunking import chunk_blocks, facets
from rag.documents import discover, load
from rag.ingest import _base_and_prefix, catalogue_of, embedding_text, says_something, search_text

MODELS = ("Aster", "Ridge", "Sable")
NAMES = (
    "Osprey", "Harrier", "Merlin", "Condor", "Heron", "Swift", "Petrel", "Plover", "Avocet",
    "Curlew", "Dunlin", "Gannet", "Hobby", "Kite", "Lapwing", "Linnet", "Martin", "Oriole",
    "Puffin", "Raven", "Shrike", "Siskin", "Skua", "Tern", "Wren", "Egret", "Falcon", "Grebe",
)  # fmt: skip
TRIMS = {
    "Standard Range": ("Base Range", "City Range", "Urban Range", "Core Range"),
    "Long Range": ("Extended Range", "Touring Range", "Max Range", "Grand Range"),
    "Performance": ("Sport", "Dynamic", "Apex", "Track"),
    "Tow Pack": ("Haul Pack", "Trail Pack", "Work Pack", "Expedition Pack"),
    "Hybrid": ("Plug-in Hybrid", "Mild Hybrid", "Eco Hybrid", "Dual Hybrid"),
    "2.0T GT": ("2.2T GT", "1.8T GTS", "2.5T GT-Line", "2.0T RS"),
    "1.5T": ("1.6T", "1.4T", "1.3T", "1.2T"),
}
MARKETS = (
    "Nordic", "Iberia", "Alpine", "Benelux", "Baltic", "Celtic", "Adriatic", "Aegean", "Danube",
    "Rhine", "Atlantic", "Pacific", "Tasman", "Andes", "Sahel", "Levant", "Arctic", "Coral",
)  # fmt: skip
BRAND = re.compile(r"\bKestrel\b", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\w.,-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.,]\d)(?![A-Za-z_])")
NAME_WORD = re.compile(r"\b(" + "|".join(MODELS) + r")\b")
TRIM_WORD = re.compile("|".join(re.escape(t) for t in sorted(TRIMS, key=len, reverse=True)))


def substitute(text: str, variant: int) -> str:
    """Rename models and trims and scale numbers, deterministically per variant."""
    if variant == 0:
        return text
    names = {
        model: NAMES[(variant * len(MODELS) + i) % len(NAMES)] for i, model in enumerate(MODELS)
    }
    market = MARKETS[(variant - 1) % len(MARKETS)]
    text = BRAND.sub(
        lambda m: f"{m.group(0)} {market if m.group(0)[1:2].islower() else market.upper()}", text
    )
    text = NAME_WORD.sub(lambda m: names[m.group(1)], text)
    text = TRIM_WORD.sub(lambda m: TRIMS[m.group(0)][variant % len(TRIMS[m.group(0)])], text)
    factor = 1.0 + 0.035 * ((variant % 9) - 4 or 5)

    def scale(match: re.Match[str]) -> str:
        raw = match.group(1)
        if "." in raw:
            decimals = len(raw.split(".")[1])
            return f"{float(raw) * factor:.{decimals}f}"
        value = int(raw.replace(",", ""))
        if value < 10:
            return raw
        scaled = max(1, round(value * factor))
        return f"{scaled:,}" if "," in raw else str(scaled)

    return NUMBER.sub(scale, text)


def shuffle_sections(text: str, variant: int) -> str:
    """Shuffle the `## ` sections after the introduction of a Markdown document."""
    parts = re.split(r"(?m)^(?=## )", text)
    if variant == 0 or len(parts) < 3:
        return text
    head, sections = parts[0], parts[1:]
    random.Random(variant).shuffle(sections)
    sections = [s if s.endswith("\n") else s + "\n" for s in sections]
    return head + "".join(sections)


def make_variant(path: Path, variant: int) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        text = shuffle_sections(text, variant)
    return substitute(text, variant)


def _chunks_in(path: Path, root: Path) -> int:
    return len(chunk_blocks(load(path, root, default_registry().domains).blocks))


@dataclass(frozen=True)
class Corpus:
    root: Path
    files: int
    chunks: int
    variants: int


def write_corpus(root: Path, target_chunks: int, source: Path = KNOWLEDGE_BASE) -> Corpus:
    """Variants of the real files, round-robin, until there are at least `target_chunks`."""
    originals = discover(source)
    if not originals:
        raise RuntimeError(f"no knowledge-base files under {source}")
    files = chunks = 0
    variant = 0
    while chunks < target_chunks:
        for original in originals:
            relative = original.relative_to(source)
            name = f"{relative.stem}-v{variant:03d}{relative.suffix}"
            path = root / relative.parent / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(make_variant(original, variant), encoding="utf-8")
            files += 1
            chunks += _chunks_in(path, root)
            if chunks >= target_chunks:
                break
        variant += 1
    return Corpus(root=root, files=files, chunks=chunks, variants=variant)


def search_texts(root: Path) -> list[str]:
    """Exactly the texts `rag.ingest.ingest([root])` embeds: each chunk's, then its rows'
    (those that say more than a vehicle's name)."""
    domains = default_registry().domains
    base, _ = _base_and_prefix(root, domains)
    catalogue = catalogue_of([root], domains)
    texts: list[str] = []
    rows: list[str] = []
    for path in discover(root.resolve()):
        document = load(path, base, domains)
        for chunk in chunk_blocks(document.blocks):
            texts.append(embedding_text(search_text(document, chunk)))
            rows.extend(
                f for f in facets(chunk.text, chunk.heading) if says_something(f, catalogue)
            )
    return texts + rows
