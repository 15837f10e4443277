"""Capacity: the highest steady rate of new customers a server keeps answering promptly.

Open loop, as customers arrive: at scheduled times, whatever the server is doing, a new
customer connects, authenticates and asks one question (`bench.questions`, in turn); the
simulator answers 200 tokens at 30 tokens/s. The rate is stepped up (2, 4, 8, 12, 16, 20, ...
arrivals/s, each step 10 s, straight after the one before) until a step fails: the p95 of
a customer's wait (from beginning to connect to the first token, so connecting, any queue
and the model's first token count) exceeds 2 s, or any session ends in an error (OVERLOADED
and TIMEOUT included). A step is known to fail as soon as more than 5% of its arrivals are
late, and arrivals stop there. The highest sustained rate is that of the last step that
passed. A full run takes each variant's ramp twice and keeps the better (`better`): on this
shared machine a slow minute lowered one variant's ramp by a step or two against the next's.
The load generator, the simulator and the server share the 2 cores: their CPU is read from
/proc per step, and per arrival, so a run shows whether the product or the load generator was
the limit (`generator_share`).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Final

from bench import capacity_model, load, stage_ops
from bench.common import Context, Figure, Result, Scenario, log, ms, percentile, ratio
from bench.concurrency import ANSWER_TOKENS, TOKENS_PER_S, warm
from bench.procs import Measurable, Service, own_cpu_seconds
from bench.questions import QUESTIONS
from bench.scaleout import instances
from bench.stack import customer_tokens, served, shared

NAME = "capacity"
# Fine where the product and the relay fail on 2 cores (10-28/s: steps of 2/s, so that the
# model's error is not hidden in a step of a third), coarse below; the top steps are there
# so that the relay can go past the product.
FULL_RATES: Final = (
    2.0, 4.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 32.0, 40.0, 48.0,
    64.0, 96.0,
)  # fmt: skip
QUICK_RATES: Final = (8.0, 16.0)
FULL_STEP_S: Final = 10.0
QUICK_STEP_S: Final = 4.0
WAIT_LIMIT_S: Final = 2.0
QUANTILE: Final = 95.0
CLIENT_WAIT_S: Final = 300.0  # past the server's own bounds: what ends a turn is the server
DRAIN_S: Final = 60.0  # after the last arrival, how long the sessions still running may take
CHECK_EVERY_S: Final = 0.25
# Each variant's ramp is taken this many times in a full run, and the better kept (`better`).
RAMPS: Final = 2
SETTLE_S: Final = 2.0  # between a variant's ramps, once the first's sessions have ended
STOPPED: Final = "still running when the ramp stopped"
GENERATOR: Final = "load generator"
MIN_TELLING: Final = 10  # arrivals a step needs for its CPU per arrival to be reported
# A step whose server used under this share of the cores it used at the telling step was not
# yet CPU-bound: its CPU per arrival is what a turn costs. At a saturated step it is only
# cores ÷ rate (arrivals still queued count, their work not yet done).
UNSATURATED: Final = 0.9
ONE_PROCESS_TARGET: Final = 0.5  # one process ÷ relay
TWO_PROCESS_TARGET: Final = 1.5  # two processes ÷ one


@dataclass
class Step:
    """One arrival rate held for a while: who arrived, and the CPU each process spent."""

    rate: float
    planned: int
    started_at: float
    sessions: list[load.Session] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # arrival − its scheduled time
    stopped_early: bool = False
    arrivals_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds, over the arrivals

    def waits(self) -> list[float]:
        """Each arrival's wait for its first token (infinite: none came)."""
        return [math.inf if s.wait is None else s.wait for s in self.sessions]

    def wait_ms(self, q: float = QUANTILE) -> float:
        return ms(nearest_rank(self.waits(), q)) if self.sessions else math.nan

    def ttft_ms(self, q: float = QUANTILE) -> float:
        """Time to first token from the message (queue included), over those that got one."""
        values = load.timings(self.sessions, "first_token")
        return ms(percentile(values, q)) if values else math.nan

    @property
    def errors(self) -> list[load.Session]:
        ended = (load.COMPLETED, STOPPED, None)
        return [s for s in self.sessions if s.outcome not in ended]

    def late(self, now: float) -> int:
        """Arrivals already past the wait limit: a first token after it, or none yet."""
        count = 0
        for s in self.sessions:
            wait = s.wait
            if wait is not None:
                count += wait > WAIT_LIMIT_S
            elif s.arrived_at and s.outcome is None and now - s.arrived_at > WAIT_LIMIT_S:
                count += 1
        return count

    def failing(self, now: float) -> bool:
        """Certain to fail already: an error, or more late arrivals than the quantile allows
        (then the step's nearest-rank p95 wait is past the limit whatever the rest do)."""
        allowed = self.planned * (1 - QUANTILE / 100)
        return bool(self.errors) or self.late(now) > allowed

    @property
    def passed(self) -> bool:
        return (
            not self.stopped_early
            and len(self.sessions) == self.planned
            and not self.errors
            and self.wait_ms() <= ms(WAIT_LIMIT_S)
        )

    def cores(self, who: str) -> float:
        return self.cpu.get(who, 0.0) / self.arrivals_s if self.arrivals_s else 0.0

    def cpu_ms_per_arrival(self, who: str) -> float:
        """CPU-ms `who` spent over the step's arrivals, per arrival (answers still streaming
        from the step before count too: at a steady rate they even out)."""
        return ms(self.cpu.get(who, 0.0)) / len(self.sessions) if self.sessions else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "rate_per_s": self.rate,
            "planned": self.planned,
            "arrived": len(self.sessions),
            "stopped_early": self.stopped_early,
            "passed": self.passed,
            "outcomes": load.outcomes(self.sessions),
            "wait_p50_ms": _round(self.wait_ms(50)),
            "wait_p95_ms": _round(self.wait_ms()),
            "ttft_p95_ms": _round(self.ttft_ms()),
            "connect_p95_ms": _round(
                ms(percentile(load.timings(self.sessions, "connect"), QUANTILE))
                if self.sessions
                else math.nan
            ),
            "arrival_lag_max_ms": round(ms(max(self.lags)), 1) if self.lags else None,
            "cores": {who: round(self.cores(who), 2) for who in self.cpu},
            "cpu_ms_per_arrival": {who: round(self.cpu_ms_per_arrival(who), 1) for who in self.cpu},
            "generator_share": _round(generator_share(self)),
            "late_questions": sorted(
                {s.question for s in self.sessions if (s.wait or math.inf) > WAIT_LIMIT_S}
            ),
            "token_frames_per_arrival": round(
                sum(s.frames for s in self.sessions) / len(self.sessions), 1
            )
            if self.sessions
            else None,
        }


def telling_step(ramp: Ramp) -> Step:
    """The last step with enough arrivals for its CPU per arrival to mean something (a step
    stopped after one or two arrivals reads a few clock ticks)."""
    return next((s for s in reversed(ramp.steps) if len(s.sessions) >= MIN_TELLING), ramp.steps[-1])


def unsaturated_step(ramp: Ramp) -> Step | None:
    """The last step passed, with enough arrivals, whose server used under `UNSATURATED` of
    the cores it used at the telling step: where CPU per arrival is a turn's cost."""
    limit = UNSATURATED * telling_step(ramp).cores("server")
    return next(
        (
            s
            for s in reversed(ramp.steps)
            if s.passed and len(s.sessions) >= MIN_TELLING and s.cores("server") < limit
        ),
        None,
    )


def generator_share(step: Step) -> float:
    """The load generator's CPU ÷ the server's over one step: below 1, the server worked
    harder than what drove it (NaN: the server spent nothing)."""
    server = step.cpu.get("server", 0.0)
    return step.cpu.get(GENERATOR, 0.0) / server if server > 0 else math.nan


def nearest_rank(values: list[float], q: float) -> float:
    """The smallest value with at least q% of them at or below it: an arrival that never got
    a first token (infinite wait) ranks last, where interpolation would give NaN."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _round(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else round(value, 1)


@dataclass
class Ramp:
    """Every step one server took, up to the first that failed."""

    label: str
    steps: list[Step]
    # What each of the variant's ramps sustained, in the order taken (this one among them).
    tries: list[float] = field(default_factory=list)

    @property
    def sustained(self) -> float:
        """The rate of the last step passed before the first failure (0: none passed)."""
        rate = 0.0
        for step in self.steps:
            if not step.passed:
                break
            rate = step.rate
        return rate

    @property
    def best(self) -> Step | None:
        passed = [s for s in self.steps if s.passed and s.rate == self.sustained]
        return passed[0] if passed else None

    def why_stopped(self) -> str:
        failed = next((s for s in self.steps if not s.passed), None)
        if failed is None:
            return "every step passed"
        if failed.errors:
            kinds = load.outcomes(failed.errors)
            return f"at {failed.rate:g}/s: " + ", ".join(f"{n} {k}" for k, n in kinds.items())
        return f"at {failed.rate:g}/s: wait p95 {failed.wait_ms():,.0f} ms"

    def describe(self) -> str:
        steps = "; ".join(
            f"{s.rate:g}/s {'ok' if s.passed else 'FAILED'} (p95 wait {s.wait_ms():,.0f} ms, "
            f"{len(s.sessions)} arrived)"
            for s in self.steps
        )
        tries = (
            f" (the better of {len(self.tries)} ramps: "
            + ", ".join(f"{t:g}/s" for t in self.tries)
            + ")"
            if len(self.tries) > 1
            else ""
        )
        return (
            f"{self.label}: sustained {self.sustained:g}/s{tries}; "
            f"stopped {self.why_stopped()}. {steps}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "sustained_per_s": self.sustained,
            "stopped": self.why_stopped(),
            "tries_sustained_per_s": self.tries,
            "steps": [s.as_json() for s in self.steps],
        }


async def ramp(
    server: Measurable, simulator: Service, rates: tuple[float, ...], step_s: float, prefix: str
) -> list[Step]:
    """Arrivals at each rate in turn for `step_s`, until a step is certain to fail."""
    url = f"{server.url}/ws/chat"
    me = os.getpid()
    readers: dict[str, Callable[[], float]] = {
        "server": server.cpu_s,
        "simulator": simulator.cpu_s,
        GENERATOR: lambda: own_cpu_seconds(me),
    }
    running: set[asyncio.Task[load.Session]] = set()
    steps: list[Step] = []
    index = 0
    start = time.perf_counter()
    for rate in rates:
        planned = max(1, round(rate * step_s))
        tokens = customer_tokens(planned, prefix=f"{prefix}-{rate:g}")
        before = {who: read() for who, read in readers.items()}
        step = Step(rate, planned, start)
        steps.append(step)
        start += planned / rate  # the next step's first arrival: one interval after the last
        checked = time.perf_counter()
        for i in range(planned):
            due = step.started_at + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            now = time.perf_counter()
            if now - checked >= CHECK_EVERY_S:
                checked = now
                if any(s.failing(now) for s in steps[-2:]):
                    step.stopped_early = True
                    break
            session = load.asking(index)
            index += 1
            step.sessions.append(session)
            step.lags.append(now - due)
            task = asyncio.create_task(load.visit(url, tokens[i], session, timeout_s=CLIENT_WAIT_S))
            running.add(task)
            task.add_done_callback(running.discard)
        step.arrivals_s = time.perf_counter() - step.started_at
        step.cpu = {who: read() - before[who] for who, read in readers.items()}
        log(
            f"{NAME}: {server.name}: {rate:g}/s, {len(step.sessions)} arrived, "
            f"wait p95 so far {step.wait_ms():,.0f} ms, "
            + ", ".join(f"{who} {step.cores(who):.2f} cores" for who in readers)
        )
        if step.stopped_early or any(s.failing(time.perf_counter()) for s in steps[-2:]):
            break
    if running:
        _, unfinished = await asyncio.wait(set(running), timeout=DRAIN_S)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
    for step in steps:
        for session in step.sessions:
            if session.outcome is None:
                session.failed(STOPPED, STOPPED)
    return steps


def measure(label: str, server: Measurable, simulator: Service, ctx: Context, prefix: str) -> Ramp:
    """The variant's ramp, taken `RAMPS` times (once in quick mode): the better is kept."""
    warm(server)
    rates, step_s = (QUICK_RATES, QUICK_STEP_S) if ctx.quick else (FULL_RATES, FULL_STEP_S)
    taken: list[Ramp] = []
    for n in range(1 if ctx.quick else RAMPS):
        if n:
            time.sleep(SETTLE_S)
        steps = asyncio.run(ramp(server, simulator, rates, step_s, f"{prefix}-{n}"))
        taken.append(Ramp(label, steps))
        log(f"{NAME}: ramp {n + 1}: {taken[-1].describe()}")
    result = better(taken)
    log(f"{NAME}: {result.describe()}")
    return result


def better(taken: list[Ramp]) -> Ramp:
    """Of a variant's ramps, the one that sustained the highest rate (the earlier of equals),
    with what each sustained. A slow minute on this shared machine only ever lowers a ramp
    (another tenant's work takes the cores; nothing lends the server more), so the better of
    two is the server's, the worse the minute's."""
    best = max(taken, key=lambda r: r.sustained)  # max keeps the first of equals
    return Ramp(best.label, best.steps, [r.sustained for r in taken])


Variant = tuple[str, str, Callable[[], AbstractContextManager[Measurable]]]


def variants(ctx: Context) -> list[Variant]:
    """(key, label, server) in the order measured; quick mode: the relay and the run's shared
    server (one process, PostgreSQL), no server start of its own."""
    stack = shared(ctx)
    llm = stack.simulator.url
    out: list[Variant] = [("relay", "bare relay", lambda: nullcontext(stack.relay))]
    if ctx.quick:
        out.append(("postgresql", "one process, PostgreSQL", lambda: nullcontext(stack.server)))
        return out
    out += [
        (
            "sqlite",
            "one process, SQLite (default)",
            lambda: served(ctx, "capacity-sqlite", llm, database="sqlite"),
        ),
        ("postgresql", "one process, PostgreSQL", lambda: served(ctx, "capacity-pg", llm)),
        (
            "workers",
            "`--workers 2` on Redis (PostgreSQL)",
            lambda: instances(ctx, "capacity-workers", llm, 1, workers=2),
        ),
        (
            "instances",
            "two instances on Redis behind HAProxy (PostgreSQL)",
            lambda: instances(ctx, "capacity-instances", llm, 2),
        ),
    ]
    return out


def run(ctx: Context) -> Result:
    command = ctx.command(NAME)
    stack = shared(ctx)
    stack.pace(TOKENS_PER_S, ANSWER_TOKENS)
    ramps: dict[str, Ramp] = {}
    for key, label, start in variants(ctx):
        with start() as server:
            ramps[key] = measure(label, server, stack.simulator, ctx, f"cap-{key}")
    rates, step_s = (QUICK_RATES, QUICK_STEP_S) if ctx.quick else (FULL_RATES, FULL_STEP_S)
    costs = model_costs(ctx)
    return Result(
        figures=figures(ramps, command, costs),
        notes=[f"Capacity, {r.describe()}" for r in ramps.values()] + _cpu_notes(ramps),
        details={key: r.as_json() for key, r in ramps.items()}
        | {"model": _model_details(ramps, costs)},
        method=(
            "Open loop: at scheduled times, independent of answers, a new customer connects, "
            "authenticates and asks one question (the next of the "
            f"{len(QUESTIONS)} in `bench/questions.py`); the simulator answers "
            f"{ANSWER_TOKENS} tokens at {TOKENS_PER_S:g} tokens/s. The arrival rate steps "
            f"through {', '.join(f'{r:g}' for r in rates)} per second, {step_s:g} s each, "
            "each step straight after the one before. A step fails when the p95 of a "
            "customer's wait (from beginning to connect to the first token: connecting, "
            f"authenticating, any queue, the model's first token) exceeds {WAIT_LIMIT_S:g} s, "
            "or when any session ends in an error (OVERLOADED and TIMEOUT included); arrivals "
            "stop as soon as a step is certain to fail (more than 5% of its arrivals late). The "
            "highest sustained rate is the last step passed; each variant's ramp is taken "
            f"{RAMPS} times (once in quick mode), the better kept, what each sustained "
            "listed. Our server runs with the "
            "product's defaults; the two-process variants are set up as in the scale-out "
            "scenario (PostgreSQL, Redis with a key prefix of their own, HAProxy for two "
            "instances) and compared with one process on PostgreSQL. The load generator, the "
            "simulator and the servers share the 2 cores; the CPU of each is read from /proc "
            "per step (the load generator: this process alone, not the servers it started)."
        ),
    )


def _model_details(ramps: dict[str, Ramp], costs: capacity_model.Costs) -> dict[str, Any]:
    checks = {key: model_check(key, r, costs) for key, r in ramps.items()}
    return {key: c.as_json() for key, c in checks.items() if c is not None}


def _cpu_notes(ramps: dict[str, Ramp]) -> list[str]:
    notes = []
    for r in ramps.values():
        last = r.steps[-1]
        cores = ", ".join(f"{who} {last.cores(who):.2f}" for who in last.cpu)
        per = ", ".join(f"{who} {last.cpu_ms_per_arrival(who):.1f}" for who in last.cpu)
        notes.append(
            f"Capacity, {r.label}: CPU in cores during its last step ({last.rate:g}/s): {cores}; "
            f"CPU-ms an arrival: {per}."
        )
    return notes


PROCESSES: Final = {"sqlite": 1, "postgresql": 1, "workers": 2, "instances": 2}
BALANCED: Final = {"instances"}  # behind HAProxy; `--workers 2` shares one socket instead
MODEL_ERROR: Final = 0.25  # the model's target: within 25 % of the measured rate


@dataclass(frozen=True)
class ModelCheck:
    """The capacity model's rate for one variant beside the ramp's: the last step passed and
    the first failed, measured (`measured`, `failed_at`) and by the model's simulation of the
    same ramp (`predicted`, `predicted_fail`), each process with the cores the variant's
    processes got at the failing step (on a shared machine, what the generator, the
    simulator, PostgreSQL and Redis left them); `ceiling` is where those cores are all busy,
    without the wait's rule."""

    measured: float
    failed_at: float
    predicted: float
    predicted_fail: float | None
    ceiling: float
    cores: float
    # The model's CPU a turn and the server's measured CPU per arrival, at the last step
    # the server was not yet CPU-bound (`unsaturated_step`; NaN: none was)
    cpu_ms: float
    measured_cpu_ms: float
    compared_at: float  # that step's rate

    @property
    def error(self) -> float:
        """The model's rate ÷ the measured one, less 1 (both the ramp's last step passed)."""
        return self.predicted / self.measured - 1 if self.measured else math.inf

    @property
    def met(self) -> bool:
        return abs(self.error) <= MODEL_ERROR

    def as_json(self) -> dict[str, float]:
        return {
            "measured_per_s": self.measured,
            "failed_at_per_s": self.failed_at,
            "model_per_s": round(self.predicted, 2),
            "model_failed_at_per_s": self.predicted_fail or math.nan,
            "model_ceiling_per_s": round(self.ceiling, 2),
            "server_cores": round(self.cores, 2),
            "cpu_compared_at_per_s": self.compared_at,
            "model_cpu_ms_per_turn": round(self.cpu_ms, 1),
            "measured_cpu_ms_per_arrival": round(self.measured_cpu_ms, 1),
            "error": round(self.error, 3),
        }


def model_check(key: str, ramp: Ramp, costs: capacity_model.Costs) -> ModelCheck | None:
    """The model's rate for a variant, fed with the stage-ops constants (`costs`) and the
    cores the run's server got at its failing step; the load spread evenly over its processes."""
    failed = next((s for s in ramp.steps if not s.passed), None)
    processes = PROCESSES.get(key)
    if failed is None or processes is None:
        return None
    told, calm = telling_step(ramp), unsaturated_step(ramp)
    load_ = capacity_model.Load(1, 1.0, answer_tokens=ANSWER_TOKENS, tokens_per_s=TOKENS_PER_S)
    each = told.cores("server") / processes
    costs = costs.clustered(processes, balanced=key in BALANCED)
    passed, fails = capacity_model.ramp_by_simulation(
        costs,
        load_,
        cores=each,
        rates=[rate / processes for rate in FULL_RATES],
        step_s=FULL_STEP_S,
        limit_s=WAIT_LIMIT_S,
        quantile=QUANTILE,
    )
    return ModelCheck(
        measured=ramp.sustained,
        failed_at=failed.rate,
        predicted=passed * processes,
        predicted_fail=None if fails is None else fails * processes,
        ceiling=capacity_model.sustained_rate(costs, load_, each * processes, processes),
        cores=told.cores("server"),
        cpu_ms=capacity_model.cpu_ms_at(load_, costs, calm.rate / processes) if calm else math.nan,
        measured_cpu_ms=calm.cpu_ms_per_arrival("server") if calm else math.nan,
        compared_at=calm.rate if calm else math.nan,
    )


def model_costs(ctx: Context) -> capacity_model.Costs:
    """The model's constants: this run's stage-ops, if it ran first, else the committed report's."""
    details = ctx.cache.get(stage_ops.CACHE_KEY)
    if details is None:
        return capacity_model.load_costs()
    scenario = {"name": stage_ops.NAME, "status": "measured", "details": details}
    return capacity_model.costs_from_report({"scenarios": [scenario]})


def figures(ramps: dict[str, Ramp], command: str, costs: capacity_model.Costs) -> list[Figure]:
    relay = ramps["relay"]
    out: list[Figure] = []
    for key, r in ramps.items():
        check = model_check(key, r, costs)
        if check is None:
            continue
        out.append(
            Figure(
                name=f"Capacity, {r.label}: the model's rate (stage-ops constants, "
                f"{check.cores:.2f} server cores as measured; the ramp passes "
                f"{check.measured:g}/s, fails {check.failed_at:g}/s)",
                value=check.predicted,
                unit="msgs/s",
                baseline=check.measured,
                baseline_label="measured (last step passed)",
                ratio=check.error,
                ratio_label="error against the nearest rate measured",
                command=command,
                target=f"within {MODEL_ERROR:.0%}",
                met=check.met,
            )
        )
    for key in ("sqlite", "postgresql"):
        if key not in ramps:
            continue
        one = ramps[key]
        value = ratio(one.sustained, relay.sustained)
        out.append(
            Figure(
                name=f"Capacity, {one.label}: highest sustained arrival rate",
                value=one.sustained,
                unit="msgs/s",
                baseline=relay.sustained,
                baseline_label="bare relay",
                ratio=value,
                ratio_label="ours ÷ relay",
                command=command,
                target=f"≥ {ONE_PROCESS_TARGET}×",
                met=value is not None and value >= ONE_PROCESS_TARGET,
            )
        )
    if "postgresql" in ramps:
        one = ramps["postgresql"]
        for key in ("workers", "instances") if "workers" in ramps else ():
            two = ramps[key]
            value = ratio(two.sustained, one.sustained)
            out.append(
                Figure(
                    name=f"Capacity, {two.label}: highest sustained arrival rate",
                    value=two.sustained,
                    unit="msgs/s",
                    baseline=one.sustained,
                    baseline_label="one process, PostgreSQL",
                    ratio=value,
                    ratio_label="two ÷ one",
                    command=command,
                    target=f"≥ {TWO_PROCESS_TARGET}×",
                    met=value is not None and value >= TWO_PROCESS_TARGET,
                )
            )
    for r in ramps.values():
        best = r.best
        if best is None:
            continue
        out.append(
            Figure(
                name=f"Capacity, {r.label}: p95 wait for the first token at {best.rate:g}/s",
                value=best.wait_ms(),
                unit="ms",
                baseline=None,
                baseline_label="limit",
                ratio=None,
                ratio_label="",
                command=command,
                target=f"≤ {ms(WAIT_LIMIT_S):,.0f} ms",
                met=best.wait_ms() <= ms(WAIT_LIMIT_S),
            )
        )
    for r in ramps.values():
        last = telling_step(r)
        share = generator_share(last)
        out.append(
            Figure(
                name=f"Capacity, {r.label}: load generator CPU at its last step ({last.rate:g}/s)",
                value=last.cpu_ms_per_arrival(GENERATOR),
                unit="CPU-ms an arrival",
                baseline=last.cpu_ms_per_arrival("server"),
                baseline_label="the server's",
                ratio=None if math.isnan(share) else share,
                ratio_label="generator ÷ server",
                command=command,
                target="< 1×",
                met=share < 1,
            )
        )
    busiest = max((s for r in ramps.values() for s in r.steps), key=lambda s: s.rate)
    for who in (GENERATOR, "simulator"):
        out.append(
            Figure(
                name=f"Capacity: {who} CPU at the busiest step ({busiest.rate:g}/s)",
                value=busiest.cores(who),
                unit="cores",
                baseline=None,
                baseline_label="of 2",
                ratio=None,
                ratio_label="",
                command=command,
            )
        )
    return out


SCENARIO = Scenario(
    name=NAME,
    title="Capacity: highest sustained rate of new customers",
    run=run,
    summary="Open-loop arrivals stepped up until p95 wait for the first token passes 2 s or "
    "any error: the bare relay, one process (SQLite, PostgreSQL), two processes on Redis.",
)
