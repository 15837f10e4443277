"""`orchestrator kb gaps`: the report read from this machine's database, as JSON or a table."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from orchestrator.persistence import Database, db_engine
from orchestrator.settings import Settings
from tests.utils.turns import passage, stored_turn

pytestmark = pytest.mark.slow

NOT_FOUND = "I couldn't find an answer to that in the Kestrel knowledge base."
QUESTIONS = ("Is there a roof rack for the Ridge?", "Can I fit a roof rack on the Aster?")


def kb_gaps(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "JWT_SECRET"}}
    environment.update(ORCHESTRATOR_DATA_DIR=str(data), COLUMNS="160")
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", "kb", "gaps", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=data.parent,
        timeout=180,
    )


@pytest.fixture
def data_dir(tmp_path: Path, kb_settings: Settings) -> Path:
    """A data dir with the sample knowledge base and a database where two questions about roof
    racks got no good answer (one rated down) and one got a good answer."""
    data = tmp_path / "data"
    shutil.copytree(kb_settings.chroma_path, data / "chroma")
    url = make_url(f"sqlite+aiosqlite:///{data / 'orchestrator.sqlite3'}")
    db_engine.upgrade(url)

    async def seed() -> None:
        async with db_engine.open_database(url) as engine:
            db = Database(db_engine.session_factory(engine))
            weak = [passage("Ridge specifications", 0.33, "Dimensions")]
            first = await stored_turn(db, "s1", QUESTIONS[0], NOT_FOUND, sources=weak)
            await db.save_feedback(first, "ada", -1, None)
            await stored_turn(db, "s2", QUESTIONS[1], "See [1].", owner="bob", sources=weak)
            good = [passage("Ridge specifications", 0.63, "Towing")]
            await stored_turn(db, "s3", "How much can the Ridge tow?", "3,500 kg.", sources=good)

    asyncio.run(seed())
    return data


def test_json_is_the_report_the_console_shows(data_dir: Path) -> None:
    result = kb_gaps(data_dir, "--json", "--hours", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["questions"] == 2
    [group] = report["groups"]
    assert group["count"] == 2 and group["conversations"] == 2
    assert sorted(e["question"] for e in group["examples"]) == sorted(QUESTIONS)
    assert group["reasons"] == {
        "no_answer": 1,
        "low_score": 2,
        "thumbs_down": 1,
        "handoff": 0,
        "rephrased": 0,
    }
    assert group["passages"][0]["heading"] == "Dimensions"
    assert group["retrieved_now"], "searched again in the knowledge base of the data dir"


def test_a_terminal_gets_a_table(data_dir: Path) -> None:
    result = kb_gaps(data_dir)
    assert result.returncode == 0, result.stderr
    assert "Knowledge gaps, last 168 h: 2 questions in 1 groups" in result.stdout
    assert "roof rack" in result.stdout and "1 thumbs down" in result.stdout
    assert "Ridge specifications › Dimensions (0.33)" in result.stdout


def test_no_gaps_and_no_database_each_say_so_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    missing = kb_gaps(data)
    assert missing.returncode == 2 and "there is no database at" in missing.stderr
    assert "Traceback" not in missing.stderr
    db_engine.upgrade(make_url(f"sqlite+aiosqlite:///{data / 'orchestrator.sqlite3'}"))
    empty = kb_gaps(data, "--hours", "1")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.startswith("No knowledge gaps in the last 1 h")
