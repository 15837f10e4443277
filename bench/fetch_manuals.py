"""`python -m bench.fetch_manuals [--mirror DIR] [--out DIR]`: the real manuals that
`python -m bench --only manuals` measures, fetched by commit and checked by checksum.

The manuals are their makers' copyright and stay out of this repository; `bench/manuals/
corpus.json` names each one's repository, commit, paths and sha256. Each is written into a
folder of its own under `--out` (an ingest of that folder is that manual's knowledge base):
- as it is (PDF, Markdown, HTML);
- `join`: several Markdown pages of a repository joined in the listed order, each after a
  comment naming its path; HTML pages (a name ending `.html`) as one document, each page's
  `<body>` after such a comment (a reader takes one document's body, not several);
- `pdf2docx`: a PDF turned into Word by pdf2docx (0.5.13, GPL-3.0: run in a venv of its own,
  `make manuals`), one page of the PDF a page of the Word file, as tools give customers
  Word manuals.
The files come from `--mirror` (bare clones named `owner+name/repo`, as this workplace's fetch
leaves them) or else over HTTPS from the repository host, by commit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "manuals" / "corpus.json"
DEFAULT_OUT = HERE.parent / "data" / "manuals"
RAW = "https://raw.githubusercontent.com/{repository}/{commit}/{path}"

PDF2DOCX = """
import sys
from pdf2docx import Converter
converter = Converter(sys.argv[1])
converter.convert(sys.argv[2], multi_processing=False)
converter.close()
"""


def corpus() -> list[dict[str, Any]]:
    manuals: list[dict[str, Any]] = json.loads(CORPUS.read_text())["manuals"]
    return manuals


def _git_dir(mirror: Path, repository: str) -> Path:
    base = mirror / repository.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def read(repository: str, commit: str, path: str, mirror: Path | None) -> bytes:
    if mirror is not None:
        return subprocess.run(
            ["git", "--git-dir", str(_git_dir(mirror, repository)), "show", f"{commit}:{path}"],
            capture_output=True,
            check=True,
        ).stdout
    url = RAW.format(repository=repository, commit=commit, path=urllib.parse.quote(path))
    with urllib.request.urlopen(url, timeout=120) as response:
        data: bytes = response.read()
        return data


BODY = re.compile(rb"<body[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)


def joined(parts: list[tuple[str, bytes]]) -> bytes:
    """Markdown pages as one document, each after a comment naming where it came from."""
    return b"".join(
        b"<!-- source: " + path.encode() + b" -->\n\n" + data.strip() + b"\n\n"
        for path, data in parts
    )


def joined_html(parts: list[tuple[str, bytes]]) -> bytes:
    """HTML pages as one document: each page's body (the whole page where it has none) in
    one `<body>`, after a comment naming where it came from. The pages must be UTF-8 (ASCII
    with entities, as exported manuals are): the result says it is."""
    bodies = b"".join(
        b"<!-- source: "
        + path.encode()
        + b" -->\n"
        + ((found.group(1) if (found := BODY.search(data)) else data).strip())
        + b"\n"
        for path, data in parts
    )
    head = b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    return head + bodies + b"</body></html>\n"


def fetch(manual: dict[str, Any], out: Path, mirror: Path | None, converter: str) -> Path:
    """The manual as its folder holds it; ValueError if a file's checksum is not the one
    recorded."""
    parts = []
    for file in manual["files"]:
        data = read(manual["repository"], manual["commit"], file["path"], mirror)
        digest = hashlib.sha256(data).hexdigest()
        if digest != file["sha256"]:
            raise ValueError(f"{manual['name']}: {file['path']} has sha256 {digest}")
        parts.append((file["path"], data))
    folder = out / manual["name"].rsplit(".", 1)[0]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / manual["name"]
    match manual.get("derive"):
        case None:
            target.write_bytes(parts[0][1])
        case "join" if target.suffix.lower() in (".html", ".htm"):
            target.write_bytes(joined_html(parts))
        case "join":
            target.write_bytes(joined(parts))
        case "pdf2docx":
            source = folder / "original.pdf.source"
            source.write_bytes(parts[0][1])
            try:
                subprocess.run([converter, "-c", PDF2DOCX, str(source), str(target)], check=True)
            finally:
                source.unlink(missing_ok=True)
        case other:
            raise ValueError(f"{manual['name']}: unknown derivation {other!r}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fetch_manuals", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--mirror", type=Path, default=None, help="bare clones, owner+name/repo")
    parser.add_argument(
        "--converter", default=sys.executable, help="a Python with pdf2docx (make manuals)"
    )
    parser.add_argument("--only", default="", help="comma-separated manual names")
    args = parser.parse_args(argv)
    chosen = {n.strip() for n in args.only.split(",") if n.strip()}
    written = []
    for manual in corpus():
        if chosen and manual["name"] not in chosen:
            continue
        target = fetch(manual, args.out, args.mirror, args.converter)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        written.append({"name": manual["name"], "half": manual["half"], "sha256": digest})
        print(f"{manual['half']:9} {target}  sha256 {digest[:16]}", flush=True)
    (args.out / "fetched.json").write_text(json.dumps(written, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
