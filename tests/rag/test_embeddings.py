"""The encode batcher: concurrent callers share model calls and each gets its own rows."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from rag.embeddings import Embedder, EncodeBatcher, RememberingEmbedder, Vectors


class Counting:
    """The real embedder, counting the model calls made through it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[int] = []
        self.started = threading.Event()

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        self.started.set()
        if not texts:
            raise ValueError("nothing to encode")
        return self.inner.encode(texts)


QUERIES = [
    ["What is the towing capacity of the Ridge Tow Pack?"],
    ["When is the first service due on the Sable 1.5T?", "and the brake fluid?"],
    ["My Aster shows code P0AA6"],
    ["How fast does the Aster charge on DC?"],
]


async def test_concurrent_requests_share_calls_and_get_their_own_rows(
    embedder: Embedder,
) -> None:
    counting = Counting(embedder)
    batcher = EncodeBatcher(counting)
    results = await asyncio.gather(*(batcher.encode(q) for q in QUERIES))
    for texts, vectors in zip(QUERIES, results, strict=True):
        np.testing.assert_allclose(vectors, embedder.encode(texts), atol=1e-5)
    # All four arrived before the model was free: one call for their five texts.
    assert counting.calls == [5]


async def test_requests_arriving_during_a_call_go_together_in_the_next(
    embedder: Embedder,
) -> None:
    counting = Counting(embedder)
    batcher = EncodeBatcher(counting)
    first = asyncio.create_task(batcher.encode(QUERIES[0]))
    await asyncio.to_thread(counting.started.wait, 10)  # the first call is running
    later = await asyncio.gather(*(batcher.encode(q) for q in QUERIES[1:]))
    await first
    assert counting.calls == [1, 4] and [len(v) for v in later] == [2, 1, 1]


async def test_a_lone_request_is_encoded_at_once(embedder: Embedder) -> None:
    counting = Counting(embedder)
    vectors = await EncodeBatcher(counting).encode(QUERIES[0])
    assert vectors.shape == (1, embedder.dimension) and counting.calls == [1]


async def test_batches_stay_within_the_limit(embedder: Embedder) -> None:
    counting = Counting(embedder)
    batcher = EncodeBatcher(counting, max_texts=2)
    await asyncio.gather(*(batcher.encode(q) for q in QUERIES))
    assert all(n <= 2 for n in counting.calls) and sum(counting.calls) == 5


async def test_a_failed_batch_fails_each_of_its_callers(
    embedder: Embedder,
) -> None:
    batcher = EncodeBatcher(Counting(embedder))
    with pytest.raises(ValueError, match="nothing to encode"):
        await batcher.encode([])
    # The batcher keeps working afterwards.
    assert (await batcher.encode(QUERIES[2])).shape[0] == 1


def test_a_remembering_embedder_encodes_only_what_it_has_not_seen(embedder: Embedder) -> None:
    counting = Counting(embedder)
    remembering = RememberingEmbedder(counting, size=3)
    first = remembering.encode(["brake fluid", "tyre pressure", "brake fluid"])
    assert counting.calls == [2]  # each text once
    again = remembering.encode(["tyre pressure", "coolant"])
    assert counting.calls == [2, 1]  # only the new one
    assert np.allclose(again[0], first[1], atol=1e-6)
    assert np.allclose(again[0], embedder.encode(["tyre pressure"])[0], atol=1e-5)
    remembering.encode(["wipers"])  # a fourth text: the least recently used goes
    remembering.encode(["brake fluid"])
    assert counting.calls == [2, 1, 1, 1]
    assert remembering.encode([]).shape == (0, embedder.dimension)
