"""Turn measured runs into tables, size comparisons, target verdicts and a JSON document.

Throughput is read against the bare app measured in the same round: RecipeVault's requests per
second over the bare app's, so a busier machine does not pass for a slowdown caused by data
growth. Latency is compared between sizes at one fixed request rate, measured for every size in
the same stretch of time; without a fixed-rate run, as latency under load over the bare app's.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from harness import LoadResult

TARGET_SIZE = 100_000  # the size at which absolute latency targets apply
SCALING_LIMIT = 1.5  # the largest size may be at most this much worse than the smallest

Status = Literal["measured", "skipped", "failed"]


class Targeted(Protocol):
    """What the report needs of a scenario (recipes.Scenario provides it)."""

    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def min_ratio(self) -> float | None: ...
    @property
    def max_p99_ms(self) -> float | None: ...


@dataclass(frozen=True)
class Outcome:
    key: str
    name: str
    status: Status
    note: str = ""
    recipevault: LoadResult | None = None
    bare: LoadResult | None = None
    # The same requests one at a time (scenarios with a latency target).
    alone: LoadResult | None = None
    # Both apps at one fixed request rate below saturation, the same at every size.
    paced: LoadResult | None = None
    paced_bare: LoadResult | None = None

    @classmethod
    def measured(cls, scenario: Targeted, result: LoadResult, bare: LoadResult) -> Outcome:
        errors = result.error_responses + result.socket_errors
        note = f"{errors} errors during the run" if errors else ""
        return cls(scenario.key, scenario.name, "measured", note, result, bare)

    @classmethod
    def skipped(cls, scenario: Targeted, note: str) -> Outcome:
        return cls(scenario.key, scenario.name, "skipped", note)

    @classmethod
    def failed(cls, scenario: Targeted, note: str) -> Outcome:
        return cls(scenario.key, scenario.name, "failed", note)

    def noted(self, text: str) -> Outcome:
        """The same outcome with ``text`` added to its note."""
        return replace(self, note="; ".join(filter(None, (self.note, text))))

    @property
    def throughput_ratio(self) -> float | None:
        if self.recipevault is None or self.bare is None or not self.bare.requests_per_second:
            return None
        return self.recipevault.requests_per_second / self.bare.requests_per_second

    def latency_ratio(self, figure: Literal["p50_ms", "p99_ms"]) -> float | None:
        if self.recipevault is None or self.bare is None or not getattr(self.bare, figure):
            return None
        return float(getattr(self.recipevault, figure)) / float(getattr(self.bare, figure))


@dataclass(frozen=True)
class SizeRun:
    database: str
    size: int
    outcomes: list[Outcome]

    def outcome(self, key: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.key == key), None)


@dataclass(frozen=True)
class Scaling:
    """Largest size against smallest. Requests/s is relative to its bare baseline first;
    latency is RecipeVault's at the same fixed rate at both sizes (``latency`` says which
    rate), or, without a fixed-rate run, its latency under load relative to bare's."""

    database: str
    key: str
    name: str
    small: int
    large: int
    throughput: float  # < 1 means fewer requests per second at the larger size
    p50: float  # > 1 means slower at the larger size
    p99: float
    raw_p50_ms: tuple[float, float]
    latency: str


@dataclass(frozen=True)
class Verdict:
    passed: bool | None  # None: could not be judged (not measured, skipped)
    text: str


# --- tables ------------------------------------------------------------------------------------

HEADER = (
    f"  {'scenario':<26} {'RV req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'bare req/s':>10} {'ratio':>6} {'errors':>7}"
)


def print_table(run: SizeRun) -> None:
    size = f"{run.size:,} recipes" if run.size else "empty database (smoke)"
    print(f"\n{run.database}, {size}")
    print(HEADER)
    for o in run.outcomes:
        if o.recipevault is None or o.bare is None:
            print(f"  {o.name:<26} {o.status}: {o.note}")
            continue
        rv, bare = o.recipevault, o.bare
        errors = rv.error_responses + rv.socket_errors
        print(
            f"  {o.name:<26} {rv.requests_per_second:>9.0f} {rv.p50_ms:>8.2f} {rv.p99_ms:>8.2f} "
            f"{bare.requests_per_second:>10.0f} {o.throughput_ratio or 0:>6.2f} {errors:>7}"
        )
        # Right under their scenario: the same requests at a fixed rate, and one at a time.
        if o.paced is not None and o.paced_bare is not None:
            paced, paced_bare = o.paced, o.paced_bare
            errors = paced.error_responses + paced.socket_errors
            print(
                f"  {'  same, ' + paced.client:<26} {paced.requests_per_second:>9.0f} "
                f"{paced.p50_ms:>8.2f} {paced.p99_ms:>8.2f} {'':>10} {'':>6} {errors:>7}"
                f"  (bare at that rate: {paced_bare.p50_ms:.2f} / {paced_bare.p99_ms:.2f} ms)"
            )
        if o.alone is not None:
            print(
                f"  {'  same, one at a time':<26} {o.alone.requests_per_second:>9.0f} "
                f"{o.alone.p50_ms:>8.2f} {o.alone.p99_ms:>8.2f}"
            )
    clients = {o.recipevault.client for o in run.outcomes if o.recipevault}
    print(f"  (client: {', '.join(sorted(clients)) or '-'}; ratio = RV req/s / bare req/s)")


def scaling(runs: Sequence[SizeRun]) -> list[Scaling]:
    rows: list[Scaling] = []
    for database in dict.fromkeys(r.database for r in runs):
        sized = sorted((r for r in runs if r.database == database), key=lambda r: r.size)
        if len(sized) < 2:
            continue
        small, large = sized[0], sized[-1]
        for before in small.outcomes:
            after = large.outcome(before.key)
            row = _scaling_row(database, small.size, large.size, before, after)
            if row is not None:
                rows.append(row)
    return rows


def _scaling_row(
    database: str, small: int, large: int, before: Outcome, after: Outcome | None
) -> Scaling | None:
    if after is None or after.recipevault is None or before.recipevault is None:
        return None
    paced = (before.paced, after.paced)
    if paced[0] and paced[1] and paced[0].client == paced[1].client:  # the client names the rate
        latency = paced[0].client
        latencies: list[tuple[float | None, float | None]] = [
            (r.p50_ms, r.p99_ms) for r in (paced[0], paced[1])
        ]
        raw = (paced[0].p50_ms, paced[1].p50_ms)
    else:
        latency = "under load, relative to bare"
        latencies = [
            (o.latency_ratio("p50_ms"), o.latency_ratio("p99_ms")) for o in (before, after)
        ]
        raw = (before.recipevault.p50_ms, after.recipevault.p50_ms)
    (p50_0, p99_0), (p50_1, p99_1) = latencies
    t0, t1 = before.throughput_ratio, after.throughput_ratio
    if not (t0 and t1 and p50_0 and p99_0 and p50_1 and p99_1):
        return None
    return Scaling(
        database,
        before.key,
        before.name,
        small,
        large,
        t1 / t0,
        p50_1 / p50_0,
        p99_1 / p99_0,
        raw,
        latency,
    )


def targets(runs: Sequence[SizeRun], scenarios: Sequence[Targeted]) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for scenario in scenarios:
        for run in runs:
            outcome = run.outcome(scenario.key)
            where = f"{run.database}, {run.size:,}"
            if outcome is None:
                continue
            if outcome.status != "measured":
                if scenario.min_ratio or scenario.max_p99_ms:
                    text = f"{scenario.name} ({where}): {outcome.status}, {outcome.note}"
                    verdicts.append(Verdict(None, text))
                continue
            ratio = outcome.throughput_ratio or 0.0
            if scenario.min_ratio is not None:
                text = f"{scenario.name} >= {scenario.min_ratio} of bare: {ratio:.2f} ({where})"
                verdicts.append(Verdict(ratio >= scenario.min_ratio, text))
            if scenario.max_p99_ms is not None and run.size == TARGET_SIZE:
                timed = outcome.alone or outcome.recipevault
                p99 = timed.p99_ms if timed else 0.0
                text = (
                    f"{scenario.name} p99 < {scenario.max_p99_ms:g} ms, one request at a time: "
                    f"{p99:.1f} ms ({where})"
                )
                verdicts.append(Verdict(p99 < scenario.max_p99_ms, text))
        if scenario.max_p99_ms is not None and not any(r.size == TARGET_SIZE for r in runs):
            text = f"{scenario.name} p99 < {scenario.max_p99_ms:g} ms at {TARGET_SIZE:,}"
            verdicts.append(Verdict(None, f"{text}: not measured at that size"))
    for row in scaling(runs):
        worst = max(row.p50, row.p99, 1 / row.throughput)
        text = (
            f"{row.name} at {row.large:,} within {SCALING_LIMIT}x of {row.small:,}: "
            f"worst figure {worst:.2f}x ({row.database})"
        )
        verdicts.append(Verdict(worst <= SCALING_LIMIT, text))
    return verdicts


def print_summary(runs: Sequence[SizeRun], scenarios: Sequence[Targeted]) -> None:
    rows = scaling(runs)
    if rows:
        print("\nlargest size against smallest (req/s relative to bare first; latency as noted)")
        print(
            f"  {'database':<10} {'scenario':<26} {'sizes':>16} {'req/s x':>8} "
            f"{'p50 x':>6} {'p99 x':>6} {'p50 ms':>16}  latency"
        )
        for r in rows:
            sizes = f"{r.small:,}->{r.large:,}"
            raw = f"{r.raw_p50_ms[0]:.1f}->{r.raw_p50_ms[1]:.1f}"
            print(
                f"  {r.database:<10} {r.name:<26} {sizes:>16} {r.throughput:>8.2f} "
                f"{r.p50:>6.2f} {r.p99:>6.2f} {raw:>16}  {r.latency}"
            )
    verdicts = targets(runs, scenarios)
    if verdicts:
        print("\ntargets")
        for v in verdicts:
            mark = {True: "PASS", False: "FAIL", None: "n/a "}[v.passed]
            print(f"  {mark}  {v.text}")


def summary_document(
    runs: Sequence[SizeRun], scenarios: Sequence[Targeted], options: dict[str, Any]
) -> dict[str, Any]:
    """Everything printed, as data, with enough context to tell runs on different days apart."""
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "options": options,
        "runs": [
            {
                "database": run.database,
                "size": run.size,
                "scenarios": [
                    asdict(o)
                    | {
                        "ratio": o.throughput_ratio,
                        "p50_vs_bare": o.latency_ratio("p50_ms"),
                        "p99_vs_bare": o.latency_ratio("p99_ms"),
                    }
                    for o in run.outcomes
                ],
            }
            for run in runs
        ],
        "scaling": [asdict(row) for row in scaling(runs)],
        "targets": [asdict(v) for v in targets(runs, scenarios)],
    }
