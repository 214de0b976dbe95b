"""An HTTP load generator: client processes, each running many async requests.

The load is spread over ``processes`` spawned processes, each with
``concurrency`` tasks, each task with its own keep-alive connection (as a
terminal or an app would), through bench/http_wire.py: a lean client, so the
load generator takes little of the CPU the server and PostgreSQL share with
it. Every request
is timed from the moment it was due to its answer, so time a request spent
waiting for the client (a late send) counts against the server, never for it.

Two shapes:

- closed loop (``rate=None``): every task sends its next request as soon as
  the previous one is answered; the rate is what the server sustains;
- open loop (``rate`` per second, over all processes): requests are due on a
  fixed schedule whatever the answers, as at a real till; the latency is what
  a customer waits at that load.

What a request is comes from ``Plan.request``, a module-level function
``(rng, n, data) -> (path, json body, headers)`` (so it crosses to spawned
processes); ``count`` bounds the requests (``None``: until ``seconds``).
Results: every latency in ms, the answers counted by status and problem code,
and the client's own CPU seconds.
"""

import asyncio
import multiprocessing as mp
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvloop

from bench.http_wire import WireConnection, WireError, WireResponse

Request = tuple[str, dict[str, Any], dict[str, str]]
RequestMaker = Callable[[random.Random, int, Any], Request]


@dataclass(frozen=True, slots=True)
class Plan:
    """What one client process does."""

    base_url: str
    request: RequestMaker
    data: Any
    concurrency: int
    seconds: float
    rate: float | None = None
    count: int | None = None
    seed: int = 0


@dataclass(slots=True)
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    cpu_s: float = 0.0
    elapsed_s: float = 0.0

    def add(self, other: "Outcome") -> None:
        self.latencies_ms += other.latencies_ms
        self.answers.update(other.answers)
        self.cpu_s += other.cpu_s
        self.elapsed_s = max(self.elapsed_s, other.elapsed_s)


def answer_key(response: WireResponse) -> str:
    if response.status_code < 400:
        return str(response.status_code)
    try:
        code = response.json().get("code", "")
    except ValueError:
        code = ""
    return f"{response.status_code} {code}".strip()


async def _run(plan: Plan) -> Outcome:
    rng = random.Random(plan.seed)
    outcome = Outcome()
    counter = iter(range(plan.count if plan.count is not None else 1 << 62))
    connections = [WireConnection(plan.base_url) for _ in range(plan.concurrency)]
    try:
        # One request per connection first, so connections exist before the clock starts.
        await asyncio.gather(*(c.request("GET", "/health") for c in connections))
        started = time.monotonic()
        deadline = started + plan.seconds
        cpu_started = time.process_time()

        async def task(connection: WireConnection) -> None:
            for n in counter:
                due = started + n / plan.rate if plan.rate else time.monotonic()
                if due >= deadline:
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                path, body, headers = plan.request(rng, n, plan.data)
                try:
                    response = await connection.request(
                        "POST", path, json_body=body, headers=headers
                    )
                except WireError as error:
                    # Counted, never hidden: a dropped connection is a failed request.
                    outcome.answers[f"transport {type(error).__name__}"] += 1
                    continue
                outcome.latencies_ms.append((time.monotonic() - due) * 1000)
                outcome.answers[answer_key(response)] += 1

        await asyncio.gather(*(task(c) for c in connections))
        outcome.cpu_s = time.process_time() - cpu_started
        outcome.elapsed_s = time.monotonic() - started
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    return outcome


def _process(plan: Plan, group: int, barrier: Any, results: Any) -> None:
    barrier.wait()
    results.put((group, uvloop.run(_run(plan))))


def run_groups(groups: Sequence[Sequence[Plan]]) -> list[Outcome]:
    """Runs every plan of every group at once, each in its own process; one pooled
    outcome per group (e.g. a rush and the ordinary payments it must not stall)."""
    ctx = mp.get_context("spawn")
    jobs = [(index, plan) for index, plans in enumerate(groups) for plan in plans]
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_process, args=(plan, index, barrier, results)) for index, plan in jobs
    ]
    for proc in procs:
        proc.start()
    totals = [Outcome() for _ in groups]
    longest = max(plan.seconds for _, plan in jobs)
    for _ in procs:
        index, outcome = results.get(timeout=longest + 300)
        totals[index].add(outcome)
    for proc in procs:
        proc.join()
    return totals


def run_load(plans: Sequence[Plan]) -> Outcome:
    """Runs the plans in parallel processes and pools their outcomes."""
    return run_groups([plans])[0]


def split_plans(
    base_url: str,
    request: RequestMaker,
    data: Sequence[Any],
    *,
    processes: int,
    concurrency: int,
    seconds: float,
    rate: float | None = None,
    per_item: bool = False,
    shared: Any = None,
) -> list[Plan]:
    """``processes`` plans sharing ``concurrency`` tasks and ``rate``; each gets a slice of
    ``data`` (and, with ``per_item``, exactly one request per item of its slice) and
    ``shared``: its ``Plan.data`` is ``(slice, shared)``."""
    plans = []
    for index in range(processes):
        share = list(data[index::processes])
        plans.append(
            Plan(
                base_url=base_url,
                request=request,
                data=(share, shared),
                concurrency=max(1, concurrency // processes),
                seconds=seconds,
                rate=rate / processes if rate else None,
                count=len(share) if per_item else None,
                seed=secrets.randbits(32),
            )
        )
    return plans


def percentiles(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(latencies_ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}
