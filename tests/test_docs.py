"""The reference pages stay complete: every setting and every command, with its options, is
in docs/, and every page the README sends a newcomer to exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main
from pydantic import AliasChoices

from orchestrator.cli.commands import app
from orchestrator.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _env_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.append(alias.choices[0] if isinstance(alias, AliasChoices) else name.upper())
    return names


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, list[str]]]:
    if hasattr(command, "commands"):  # a group: its commands
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
        return
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    yield " ".join(path), options


def test_every_setting_is_on_the_configuration_page() -> None:
    page = (DOCS / "configuration.md").read_text()
    missing = [env for env in _env_names() if f"`{env}`" not in page]
    assert not missing, f"not in docs/configuration.md: {missing}"


def test_every_command_and_option_is_on_the_command_line_page() -> None:
    page = (DOCS / "command-line.md").read_text()
    commands = list(_commands(typer.main.get_command(app)))
    assert {"serve", "ingest", "chat", "eval answers", "kb gaps"} <= {c for c, _ in commands}
    for command, options in commands:
        lines = [line for line in page.splitlines() if line.startswith(f"orchestrator {command}")]
        assert lines, f"`orchestrator {command}` is not in docs/command-line.md"
        for option in options:
            assert any(option in line for line in lines), f"{command} {option} is not listed"


def test_the_readme_starts_with_the_two_commands_and_its_links_lead_somewhere() -> None:
    readme = (REPO / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [
        ["make", "run"],
        ["make", "test"],
    ]
    for target in re.findall(r"\]\(((?:docs|clients)/[^)#]+)", readme):
        assert (REPO / target).exists(), target
