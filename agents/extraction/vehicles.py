"""Which vehicle a text is about, read with the knowledge base's catalogue: the focus vehicle
(the one the question names), another one, or another variant of the focus's model."""

from __future__ import annotations

import re

from agents.extraction.unit import Unit
from rag.catalogue import Catalogue
from rag.chunking import TABLE_ROW

VARIANT_WORD = re.compile(r"[\w.+-]+")


def knowing(catalogue: Catalogue | None, focus: str | None) -> Catalogue:
    """The catalogue, taught the focus vehicle's name if it does not know it already."""
    catalogue = catalogue or Catalogue()
    if not focus or catalogue.models_in(focus):
        return catalogue
    return catalogue.with_model(focus.split()[0])


def without_vehicles(
    text: str, catalogue: Catalogue | None = None, focus: str | None = None
) -> str:
    """The question without the names of the vehicles it is about (what it asks of them)."""
    return vehicles_removed(text, knowing(catalogue, focus)) or text


def vehicles_removed(text: str, catalogue: Catalogue) -> str:
    """`text` with every vehicle name the catalogue knows taken out (empty if that is all)."""
    stripped = catalogue.neutralise(text, replacement=" ")
    return re.sub(r"\s+", " ", stripped).strip()


def about_focus(text: str, focus: str | None, catalogue: Catalogue) -> bool | None:
    """Whether `text` is about the focus vehicle; None when it names no vehicle at all."""
    named = catalogue.vehicles_in(text)
    if not named:
        return None
    if not focus:
        return True
    focus_model = catalogue.model_of(focus) or focus.split()[0]
    focus_is_variant = focus != focus_model
    if focus_is_variant:
        variants = {variant for _, variant in named if variant}
        if variants:
            return focus in variants
    return focus_model in {model for model, _ in named} or focus.lower() in text.lower()


def mentions_other_vehicle(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    """A sentence about another vehicle only; table rows were already cut to the focus."""
    if not focus or unit.kind == "row" or TABLE_ROW.match(unit.text):
        return False
    return about_focus(unit.names or unit.text, focus, catalogue) is False


def compares(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    """A sentence that sets the focus's model beside another model."""
    if not focus or unit.kind == "row":
        return False
    models = {model for model, _ in catalogue.vehicles_in(unit.text)}
    return len(models) > 1 and catalogue.model_of(focus) in models


def heading_names_other_variant(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    """The unit's section is another variant's of the focus's model (asked about a variant)."""
    if not focus or not unit.heading:
        return False
    variant = catalogue.variant_in(unit.heading)
    return (
        variant is not None
        and variant != focus
        and catalogue.model_of(variant) == (catalogue.model_of(focus))
        and focus != catalogue.model_of(focus)
    )


def _variant_words(name: str, model: str) -> set[str]:
    return {w.lower() for w in VARIANT_WORD.findall(name)} - {
        w.lower() for w in VARIANT_WORD.findall(model)
    }


def names_other_variant(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    """The unit gives another variant's figure ("3,500 kg (2.2D)" asked about the 2.2D
    Trail): it names every word of another variant of the model and not the focus's own."""
    model = catalogue.model_of(focus) if focus else None
    entry = catalogue.model(model) if model else None
    if entry is None or focus == model:
        return False
    said = {w.lower() for w in VARIANT_WORD.findall(f"{unit.text} {unit.label}")}
    if _variant_words(str(focus), model or "") <= said:
        return False
    return any(
        (words := _variant_words(v.name, entry.name)) and words <= said
        for v in entry.variants
        if v.name != focus
    )
