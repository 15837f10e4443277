"""A turn's citations: one number per passage, in the order the answers are read."""

from __future__ import annotations

import asyncio

from orchestrator.turn_context import Citations
from rag.retriever import RetrievedChunk


def passage(name: str) -> RetrievedChunk:
    return RetrievedChunk(
        id=name, text=name, source=f"{name}.md", title=name, heading=name, domain="x", score=0.5
    )


async def test_a_later_specialist_is_numbered_after_an_earlier_one_that_searched_longer() -> None:
    citations = Citations()
    citations.expect(["troubleshooting", "maintenance"])
    later = asyncio.create_task(citations.cite("maintenance", [passage("b"), passage("c")]))
    await asyncio.sleep(0.01)
    assert not later.done()  # waits for troubleshooting
    assert await citations.cite("troubleshooting", [passage("a"), passage("b")]) == [1, 2]
    assert await later == [2, 3]  # the shared passage keeps its number


async def test_a_specialist_that_ends_without_citing_holds_no_one_back() -> None:
    citations = Citations()
    citations.expect(["general", "specs"])
    later = asyncio.create_task(citations.cite("specs", [passage("a")]))
    await asyncio.sleep(0.01)
    citations.done("general")  # answered without sources, or failed
    assert await asyncio.wait_for(later, 1) == [1]


async def test_without_an_expected_order_passages_are_numbered_as_they_come() -> None:
    citations = Citations()
    assert await citations.cite("specs", [passage("a")]) == [1]
    assert citations.number([passage("b"), passage("a")]) == [2, 1]
