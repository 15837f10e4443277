"""Settings: defaults, the development secret, and refusals in production."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError

from orchestrator.errors import StartupError
from orchestrator.secret import jwt_secret
from orchestrator.settings import Settings
from tests.conftest import REPO


def test_defaults_put_everything_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert (
        settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'orchestrator.sqlite3'}"
    )
    assert settings.chroma_path == tmp_path / "chroma"
    assert settings.answer_mode == "offline"


def test_data_dir_is_read_from_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORCHESTRATOR_DATA_DIR", str(tmp_path))
    assert Settings(_env_file=None).data_dir == tmp_path  # type: ignore[call-arg]


def test_allowed_origins_accept_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://a.example, https://b.example")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]


def test_an_api_key_or_an_endpoint_alone_switches_to_the_llm_mode() -> None:
    assert Settings(openai_api_key="sk-test", _env_file=None).answer_mode == "llm"  # type: ignore[call-arg]
    local = Settings(openai_base_url="http://127.0.0.1:8080/v1", _env_file=None)  # type: ignore[call-arg]
    assert local.answer_mode == "llm"


def test_the_retention_removes_conversations_unless_told_to_keep_their_latest_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).retention_strategy == "delete"  # type: ignore[call-arg]
    monkeypatch.setenv("RETENTION_STRATEGY", "keep_latest")
    assert Settings(_env_file=None).retention_strategy == "keep_latest"  # type: ignore[call-arg]


def test_an_unknown_retention_strategy_is_refused_with_the_ones_there_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETENTION_STRATEGY", "archive")
    with pytest.raises(ValidationError, match=r"(?s)retention_strategy.*'delete' or 'keep_latest'"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_development_generates_one_private_secret_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    first = jwt_secret(settings)
    assert len(first) >= 32
    assert stat.S_IMODE(settings.secret_path.stat().st_mode) == 0o600
    assert jwt_secret(settings) == first


@pytest.mark.parametrize("secret", [None, "changethis", "short"])
def test_production_refuses_a_missing_or_weak_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(environment="production", jwt_secret=secret, _env_file=None)  # type: ignore[call-arg]


def test_production_never_generates_a_secret(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        jwt_secret="x" * 48,
        _env_file=None,  # type: ignore[call-arg]
    )
    settings.jwt_secret = None
    settings.environment = settings.environment.production
    with pytest.raises(StartupError):
        jwt_secret(settings)
    assert not settings.secret_path.exists()


def test_env_example_documents_every_setting_with_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = (REPO / ".env.example").read_text()
    entries = dict(
        line.removeprefix("# ").split("=", 1)
        for line in example.splitlines()
        if re.match(r"^# [A-Z_]+=", line)
    )
    names = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names[name] = alias.choices[0] if isinstance(alias, AliasChoices) else name.upper()
        monkeypatch.delenv(names[name], raising=False)  # the defaults, not this run's settings
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for name, env in names.items():
        assert env in entries, f"{env} is not in .env.example"
        if getattr(defaults, name) is not None:  # unset by default: the line shows an example
            monkeypatch.setenv(env, entries[env])
    # Read as the service reads them, the values shown are the defaults.
    assert Settings(_env_file=None).model_dump() == defaults.model_dump()  # type: ignore[call-arg]
