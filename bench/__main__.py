"""`python -m bench [--quick] [--only NAME,...] [--docs | --no-docs]`."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench import report, scenarios
from bench.common import Context, log


def _parse(argv: list[str] | None) -> argparse.Namespace:
    known = [s.name for _, s in scenarios() if s.run is not None]
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks, each figure against a baseline measured in the same run.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(known)}")
    docs = parser.add_mutually_exclusive_group()
    docs.add_argument(
        "--docs",
        dest="docs",
        action="store_true",
        default=None,
        help="also write docs/benchmarks.{md,json} (default: only after a complete full run)",
    )
    docs.add_argument("--no-docs", dest="docs", action="store_false")
    args = parser.parse_args(argv)
    args.only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in args.only if n not in known]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    started = time.perf_counter()
    machine = report.machine()
    load = machine["load_average_at_start"]
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, load average {load}")

    from rag.embeddings import load_embedder

    log("loading the embedding model (not timed)")
    embedder = load_embedder()
    embedder.encode(["warm up the embedding model"] * 8)

    workdir = Path(tempfile.mkdtemp(prefix="kestrel-bench-"))
    ctx = Context(quick=args.quick, embedder=embedder, workdir=workdir)
    results: list[dict[str, Any]] = []
    failed = False
    try:
        for module, scenario in scenarios():
            entry: dict[str, Any] = {
                "name": scenario.name,
                "title": scenario.title,
                "summary": scenario.summary,
                "module": module,
            }
            if scenario.run is None:
                entry |= {"status": "not yet measured", "waiting_for": scenario.waiting_for}
            elif args.only and scenario.name not in args.only:
                entry["status"] = "skipped"
            else:
                log(f"== {scenario.title}")
                t0 = time.perf_counter()
                try:
                    result = scenario.run(ctx)
                except Exception as exc:
                    failed = True
                    traceback.print_exc()
                    entry |= {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
                else:
                    entry |= {
                        "status": "measured",
                        "method": result.method,
                        "figures": [f.to_json() for f in result.figures],
                        "notes": result.notes,
                        "details": result.details,
                    }
                entry["elapsed_s"] = round(time.perf_counter() - t0, 1)
                entry["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
                log(f"== {scenario.title}: {entry['status']} in {entry['elapsed_s']:.0f}s")
            results.append(entry)
    finally:
        ctx.resources.close()
        shutil.rmtree(workdir, ignore_errors=True)

    command = "make bench-quick" if args.quick else "make bench"
    if args.only:
        command = f"python -m bench {'--quick ' if args.quick else ''}--only {','.join(args.only)}"
    run = {
        "command": command,
        "mode": "quick" if args.quick else "full",
        "only": args.only or None,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "machine": machine,
        "scenarios": results,
    }
    complete = not args.quick and not args.only and not failed
    docs = complete if args.docs is None else args.docs
    for path in report.write(run, docs=docs):
        log(f"wrote {path}")
    _print_table(results)
    log(f"done in {(time.perf_counter() - started) / 60:.1f} min")
    return 1 if failed else 0


def _print_table(results: list[dict[str, Any]]) -> None:
    for entry in results:
        for f in entry.get("figures", []):
            ratio = f"{f['ratio']:.2f}×" if f["ratio"] is not None else "—"
            met = {True: "met", False: "MISSED", None: ""}[f["met"]]
            print(
                f"{f['name'][:64]:64} {f['value']:10.3f} {f['unit']:8} ratio {ratio:>8} "
                f"{f['target']:>10} {met}",
                file=sys.stderr,
            )


if __name__ == "__main__":
    sys.exit(main())
