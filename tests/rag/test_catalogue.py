"""The catalogue comes from the documents: declared in front matter, or derived from the text."""

from __future__ import annotations

from rag.catalogue import (
    Catalogue,
    Declared,
    DeclaredModel,
    DocumentText,
    declared_from_front_matter,
    derive,
    vehicle_models,
)


def test_the_sample_knowledge_base_defines_its_brand_models_and_variants(
    sample_catalogue: Catalogue,
) -> None:
    assert sample_catalogue.brand == "Kestrel"
    assert sample_catalogue.model_names == ["Aster", "Ridge", "Sable"]
    ridge = sample_catalogue.model("Ridge")
    assert ridge is not None
    assert {v.name for v in ridge.variants} == {"Ridge Hybrid", "Ridge Hybrid Tow Pack"}
    assert sample_catalogue.conflicts == []


def test_another_company_gets_its_own_catalogue_without_front_matter(
    halden_catalogue: Catalogue,
) -> None:
    """Codes, fluids and services written with capitals are not taken for models."""
    assert halden_catalogue.brand == "Halden"
    assert sorted(halden_catalogue.model_names) == ["Brisa", "Fjord", "Talus"]
    fjord = halden_catalogue.model("Fjord")
    assert fjord is not None
    assert {v.name for v in fjord.variants} == {
        "Fjord Touring", "Fjord Long Range", "Fjord Sport AWD",
    }  # fmt: skip
    assert halden_catalogue.variant_in("the trail version of the talus") == "Talus 2.2D Trail"


def test_aliases_pick_out_one_variant_and_numbers_alone_pick_none(
    sample_catalogue: Catalogue,
) -> None:
    assert sample_catalogue.variant_in("sable 2.0 turbo") == "Sable 2.0T GT"
    assert sample_catalogue.variant_in("is the 1.5 T thirsty") == "Sable 1.5T"
    assert sample_catalogue.variant_in("the long range one") == "Aster Long Range AWD"
    assert sample_catalogue.variant_in("2.0 bar tyre pressure") is None


def test_routing_reads_vehicle_names_as_a_neutral_word(sample_catalogue: Catalogue) -> None:
    assert sample_catalogue.neutralise("How much can the Kestrel Ridge Tow Pack tow?") == (
        "how much can the car tow?"
    )
    assert sample_catalogue.neutralise("Is it open on Sundays?") == "Is it open on Sundays?"


def test_a_document_is_about_the_model_in_its_title_or_the_one_it_talks_about(
    sample_catalogue: Catalogue,
) -> None:
    assert vehicle_models(sample_catalogue, "Kestrel Sable Service Schedule", [], "") == ["Sable"]
    body = "The Ridge tows. The Ridge carries. The Ridge wades."
    assert vehicle_models(sample_catalogue, "Towing guide", [], body) == ["Ridge"]
    mixed = "The Ridge tows 3,500 kg and the Sable 1,600 kg; the Aster 1,000 kg."
    assert vehicle_models(sample_catalogue, "Towing guide", [], mixed) == []


def test_front_matter_declares_models_aliases_and_variants() -> None:
    declared = declared_from_front_matter(
        {
            "brand": "Orca",
            "model": "Tern",
            "aliases": ["the tern"],
            "variants": ["Tern City", {"name": "Tern Cargo XL", "aliases": ["xl"]}],
        }
    )
    catalogue = derive([DocumentText("tern.md", "Tern", declared=declared)])
    assert catalogue.brand == "Orca"
    assert catalogue.model_names == ["Tern"]
    assert catalogue.variant_in("how much does the XL carry") == "Tern Cargo XL"
    assert catalogue.models_in("is the tern electric") == ["Tern"]


def test_conflicting_claims_are_reported_not_merged() -> None:
    one = Declared(models=[DeclaredModel(name="Tern", aliases=["t1"])])
    two = Declared(models=[DeclaredModel(name="Tern", aliases=["t-one"])])
    three = Declared(models=[DeclaredModel(name="Puffin", aliases=["t1"])])
    catalogue = derive(
        [
            DocumentText("a.md", "A", declared=one),
            DocumentText("b.md", "B", declared=two),
            DocumentText("c.md", "C", declared=three),
        ]
    )
    tern = catalogue.model("Tern")
    assert tern is not None and tern.aliases == ["t1"]  # the first claim is kept
    assert any("b.md" in c and "a.md" in c for c in catalogue.conflicts)
    assert any("'t1'" in c and "Puffin" in c for c in catalogue.conflicts)
    assert catalogue.models_in("t1 range") == ["Tern"]


def test_documents_that_name_nothing_make_an_empty_catalogue() -> None:
    catalogue = derive([DocumentText("faq.md", "Questions", ["Opening hours"], "We open at 8.")])
    assert catalogue.brand is None and catalogue.models == []
    assert catalogue.neutralise("hello") == "hello"


def test_a_rare_short_form_is_an_alias_of_the_variant_it_abbreviates(
    sample_catalogue: Catalogue,
) -> None:
    """A comparison column headed "Aster Performance" is the Aster Performance AWD."""
    aster = sample_catalogue.model("Aster")
    assert aster is not None
    assert {v.name for v in aster.variants} == {
        "Aster Standard Range RWD",
        "Aster Long Range AWD",
        "Aster Performance AWD",
    }
    assert sample_catalogue.variant_in("the Aster Performance") == "Aster Performance AWD"
