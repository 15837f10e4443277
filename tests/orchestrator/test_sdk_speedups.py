"""The openai SDK speed-up: the same chunks, parsed without the slow Protocol check."""

from __future__ import annotations

import openai._models as models
import pydantic
from openai.types.chat import ChatCompletionChunk

from orchestrator.sdk_speedups import speed_up_openai_chunks

CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "test-model",
    "choices": [{"index": 0, "delta": {"content": " word", "role": "assistant"}}],
}


class Aliased(models.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    value: int = pydantic.Field(alias="theValue")


def test_chunks_parse_the_same_once_the_check_is_replaced() -> None:
    assert speed_up_openai_chunks()
    assert speed_up_openai_chunks()  # idempotent
    assert not issubclass(models._ConfigProtocol, pydantic.BaseModel)  # type: ignore[attr-defined]
    parsed = models.construct_type(type_=ChatCompletionChunk, value=CHUNK)
    assert isinstance(parsed, ChatCompletionChunk)
    assert parsed == ChatCompletionChunk.model_validate(CHUNK)
    assert parsed.choices[0].delta.content == " word"


def test_populate_by_name_still_comes_from_the_pydantic_2_config() -> None:
    speed_up_openai_chunks()
    assert isinstance(models.get_model_config(Aliased), dict)  # what makes the check always False
    assert Aliased.construct(value=3).value == 3
    assert Aliased.construct(theValue=4).value == 4
