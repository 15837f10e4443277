"""A code the documents are named by ("1989 FJ62 Owner's Manual") is what they are about, not
a fault code a question quotes."""

from __future__ import annotations

from orchestrator.routing import names_a_fault_code
from rag.catalogue import Catalogue
from rag.retriever import designations

MANUAL = "1989 FJ62 Owner's Manual"


def passages(title: str, bodies: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Passages as the store holds them: each carries its title."""
    return [f"{title} > {body}".upper() for body in bodies], [{"title": title}] * len(bodies)


def test_a_code_in_the_title_of_most_passages_is_a_designation() -> None:
    upper, metadatas = passages(MANUAL, ["Fuel tank: 23.8 gal.", "Diagnostic code 21", "Tyres"])
    assert designations(upper, metadatas) == ["FJ62"]


def test_a_code_one_document_of_many_is_about_is_still_a_code() -> None:
    bulletin, bulletin_meta = passages("TSB-24-017 charging fault", ["Replace the module."])
    manual, manual_meta = passages("Owner's manual", ["Tyres", "Oil", "Lights"])
    assert designations(bulletin + manual, bulletin_meta + manual_meta) == []


def test_a_code_in_the_text_only_is_no_designation() -> None:
    upper, metadatas = passages("Owner's manual", ["P0A80: battery", "P0A80 again", "P0A80"])
    assert designations(upper, metadatas) == []


def test_a_question_naming_the_designation_quotes_no_code() -> None:
    catalogue = Catalogue(designations=["FJ62"])
    assert catalogue.codes_in("How big is the gas tank on the FJ62?") == []
    assert catalogue.codes_in("FJ62 shows code P0171") == ["P0171"]
    assert not names_a_fault_code("How long is the FJ62 overall?", catalogue)
    assert names_a_fault_code("How long is the FJ62 overall?")


def test_a_designation_shortened_as_customers_say_it_quotes_no_code() -> None:
    catalogue = Catalogue(designations=["CT125A"])
    assert catalogue.codes_in("What should the rear tire pressure be on the CT125?") == []
    assert catalogue.codes_in("My CT125 shows code P0171") == ["P0171"]
