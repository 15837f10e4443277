"""Pictures of text read as words: RapidOCR (Apache-2.0) on ONNX Runtime, with the detection,
recognition and orientation models its registry package ships (PP-OCRv6 small, about 31 MB),
so nothing is downloaded: the bundled files are named explicitly, never its download list.

A scanned page is rendered and read here; what the lines then mean (paragraphs, headings,
tables) is decided by the same rules as a text page's (`rag.layout`). `words_of_lines` is the
pure part: a recognised line's box split into word boxes in proportion to their letters.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from rag.layout.geometry import LOOSE_BOX, Word

if TYPE_CHECKING:
    from PIL.Image import Image

# A line recognised with less confidence than this is left out: a smudge read as letters.
MIN_SCORE = 0.6
MODELS = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}


class TextLine(NamedTuple):
    """One line the engine recognised: its text, its box in pixels, its confidence."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    score: float


class Engine(Protocol):
    def __call__(self, picture: Image) -> list[TextLine]: ...


def available() -> bool:
    """Whether the OCR engine and its bundled models are installed."""
    return _models_dir() is not None


def read_picture(picture: Image, scale: float) -> list[Word]:
    """The words of a picture of text, their boxes in units of `scale` pixels (a page
    rendered at `scale` pixels a point gives words in points)."""
    return words_of_lines(_engine()(picture), scale)


def words_of_lines(lines: Sequence[TextLine], scale: float) -> list[Word]:
    """Each confident line's words, the line's box shared among them by their letters (a
    space counting as one), in the line's order; sizes from the line's height."""
    words: list[Word] = []
    for line in lines:
        text = " ".join(line.text.split())
        if line.score < MIN_SCORE or not text:
            continue
        x0, x1 = line.x0 / scale, line.x1 / scale
        top, bottom = line.top / scale, line.bottom / scale
        size = (bottom - top) / LOOSE_BOX
        per_letter = (x1 - x0) / len(text)
        start = 0
        for word in text.split(" "):
            left = x0 + start * per_letter
            words.append(Word(word, left, left + len(word) * per_letter, top, bottom, size))
            start += len(word) + 1
    return words


def _models_dir() -> Path | None:
    """Where the engine's bundled models are, found without importing it (OpenCV and all):
    a PDF with no scanned page never loads it."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        return None
    models = Path(spec.origin).parent / "models"
    return models if all((models / name).is_file() for name in MODELS.values()) else None


@cache
def _engine() -> Engine:
    """The engine, loaded once per process (the reader child's) on the first scanned page."""
    import numpy as np
    from rapidocr import RapidOCR
    from rapidocr.utils.output import RapidOCROutput

    models = _models_dir()
    if models is None:
        raise RuntimeError("the OCR engine (rapidocr) or its bundled models are missing")
    params: dict[str, object] = {name: str(models / file) for name, file in MODELS.items()}
    params["Global.log_level"] = "error"
    ocr = RapidOCR(params=params)

    def read(picture: Image) -> list[TextLine]:
        result = ocr(np.asarray(picture.convert("RGB")))
        if not isinstance(result, RapidOCROutput):  # only with detection or recognition off
            return []
        if result.boxes is None or result.txts is None or result.scores is None:
            return []
        return [
            TextLine(
                text,
                float(min(p[0] for p in box)),
                float(min(p[1] for p in box)),
                float(max(p[0] for p in box)),
                float(max(p[1] for p in box)),
                float(score),
            )
            for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
        ]

    return read
