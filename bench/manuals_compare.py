"""Two runs of `bench --only manuals` side by side: what a change did to each manual and half.

    python -m bench.manuals_compare BEFORE/latest.json AFTER/latest.json [--markdown]

Each file is a run's `latest.json` (bench/results, or the BENCH_RESULTS of that run). Prints a
row per manual and per half, `before → after` for each figure, and marks the figures that
moved: an answer-quality commit reports both halves from it, and a held-out half lower by
more than one question drops the change (bench/manuals/README.md).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FIGURES = (
    ("routing", "routing"),
    ("fact", "fact"),
    ("first", "first"),
    ("follow_ups_right", "follow-ups"),
    ("abstained_right", "couldn't-find"),
    ("abstained_when_answerable", "refused though answerable"),
    ("page_retrieved", "page"),
    ("llm_context", "LLM context"),
)


def manuals_details(path: Path) -> dict[str, Any]:
    """The manuals scenario's details of one run's results file."""
    data = json.loads(path.read_text())
    found = [s for s in data.get("scenarios", []) if s.get("name") == "manuals"]
    if not found or "details" not in found[0]:
        raise SystemExit(f"{path}: no manuals run in it")
    return found[0]["details"]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return f"{value[0]}/{value[1]}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _moved(before: Any, after: Any) -> bool:
    """Measured in both runs and different (a run without the LLM pass moves no LLM figure)."""
    return before is not None and after is not None and _shown(before) != _shown(after)


def _cells(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], bool]:
    """Each figure `before → after`, and whether any moved."""
    cells = [f"{_shown(old.get(k))} → {_shown(new.get(k))}" for k, _ in FIGURES]
    return cells, any(_moved(old.get(k), new.get(k)) for k, _ in FIGURES)


def rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, list[str], bool]]:
    """(half, name, cells, moved) for every manual of the later run (one the corpus gained
    since shows "— → …", its half's "all" row then counts it only after), then the halves."""
    earlier = {m["name"]: m for m in before["manuals"]}
    out = [
        (manual["half"], f"`{manual['name']}`", *_cells(earlier.get(manual["name"], {}), manual))
        for manual in after["manuals"]
    ]
    out += [
        (half, "**all**", *_cells(before["halves"].get(half, {}), figures))
        for half, figures in after["halves"].items()
    ]
    return out


def render(table: Sequence[tuple[str, str, list[str], bool]], markdown: bool) -> str:
    header = ["half", "manual", *(label for _, label in FIGURES)]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join([half, name, *cells]) + " |" for half, name, cells, _ in table]
        return "\n".join(lines)
    lines = []
    for half, name, cells, moved in table:
        mark = "*" if moved else " "
        changed = [f"{label} {cell}" for (_, label), cell in zip(FIGURES, cells, strict=True)]
        lines.append(f"{mark} {half:8} {name.strip('`*')}: " + ", ".join(changed))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--markdown", action="store_true", help="a table for a commit or note")
    args = parser.parse_args(argv)
    table = rows(manuals_details(args.before), manuals_details(args.after))
    print(render(table, args.markdown))


if __name__ == "__main__":
    main()
