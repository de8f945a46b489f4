"""The soak phase of the benchmark (``rc-chat bench --phases soak``): conversations
that start, talk, drop and resume, are transferred and end, continuously, on two server
processes over one Redis, for ``--duration`` seconds (default 10 minutes).

It deploys two ``rc-chat serve`` processes sharing a redis-server (routing ``auto``:
operators get offers and accept them; each operator holds at most
``--soak-max-chats``), creates real staff accounts (operators spread over both
processes, plus one admin who reads the ``overview`` at the end) and runs one
load-generator process (soak_worker.py). Meanwhile it samples the servers' RSS and
Redis' memory every 5 s.

What it reports (docs/performance.md, "Soak"): conversations and messages lost,
duplicated or out of order (must be 0), every other fault with what each side received
and the conversation's timeline, refused events by code, and the servers' RSS at minute
2 and at the end with the growth in percent (target at most 5 %). Any fault makes
``rc-chat bench`` exit with status 1.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .soak_check import LOSS_KINDS
from .soak_worker import soak_worker

if TYPE_CHECKING:
    from .bench import Bench

DEFAULT_DURATION_S = 600.0
RSS_BASELINE_S = 120.0  # "minute 2": after start-up and the first conversations
RSS_TARGET_PCT = 5.0
SAMPLE_S = 5.0


class MemorySampler:
    """VmRSS of the servers and Redis' ``used_memory``, every few seconds, in a thread."""

    def __init__(self, pids: list[int], redis_port: int) -> None:
        self.pids = pids
        self.redis_port = redis_port
        self.samples: list[tuple[float, list[int], int]] = []  # (monotonic, RSS KiB per server, Redis bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _redis_memory(self) -> int:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "INFO", "memory"], capture_output=True, text=True, timeout=10
        ).stdout
        found = re.search(r"^used_memory:(\d+)", out, re.MULTILINE)
        return int(found.group(1)) if found else 0

    def _run(self) -> None:
        from .bench import rss_kib

        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), [rss_kib(p) for p in self.pids], self._redis_memory()))
            except (OSError, RuntimeError, subprocess.SubprocessError):
                pass
            self._stop.wait(SAMPLE_S)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, t: float) -> tuple[float, list[int], int]:
        return min(self.samples, key=lambda s: abs(s[0] - t))


def run(bench: Bench) -> None:
    """Deploy, soak, collect; the result goes to ``bench.results["soak"]``."""
    a = bench.args
    duration = float(a.soak_duration)
    seed = a.seed if a.seed is not None else secrets.randbelow(10**6)
    grace = max(3, int(a.soak_grace))
    operator_grace = max(1, grace // 3)
    overrides = {
        "CHAT_ROUTING_MODE": "auto",
        "CHAT_MAX_CHATS_DEFAULT": str(a.soak_max_chats),
        # Operators here let some offers pass on purpose; 5 s keeps those chats moving.
        "CHAT_OFFER_TIMEOUT_S": "5",
        # Abandoned chats (a visitor who never comes back) end within the soak.
        "CHAT_GRACE_PERIOD_S": str(grace),
        # A console away longer than this loses its chats to the queue.
        "CHAT_OPERATOR_GRACE_S": str(operator_grace),
    }
    dep = bench.deploy("redis", 2, staff=a.soak_operators, overrides=overrides)
    sampler = None
    try:
        admin = bench.create_staff("redis", 1, role="admin")[0]
        task = {
            "urls": dep.urls,
            "staff": dep.staff,
            "admin": admin,
            "redis_url": f"redis://127.0.0.1:{bench.redis_port}/0",
            "seed": seed,
            "duration": duration,
            "conversations": a.soak_conversations,
            "max_chats": a.soak_max_chats,
            "think_s": a.soak_think,
            "queue_timeout_s": a.soak_queue_timeout,
            "settle_s": 6.0,
            "grace_s": grace,
            "operator_grace_s": operator_grace,
            "operator_drop_every_s": a.soak_operator_drops,
            "p_ignore_offer": 0.05,
            "p_decline_offer": 0.05,
        }
        sampler = MemorySampler([p.pid for p in dep.procs], bench.redis_port)
        result = bench.run_workers(soak_worker, [task], timeout=duration + 900)[0]
        sampler.stop()
    finally:
        if sampler is not None:
            sampler.stop()
        dep.stop()
    t0 = result["t_start"]
    base_t = t0 + min(RSS_BASELINE_S, duration / 2)
    base, end = sampler.at(base_t), sampler.at(result["t_load_end"])
    drained = sampler.at(result["t_drained"])
    result["memory"] = {
        "baseline_at_s": round(base[0] - t0, 1),
        "end_at_s": round(end[0] - t0, 1),
        "rss_baseline_kib": base[1],
        "rss_end_kib": end[1],
        "rss_after_drain_kib": drained[1],
        "rss_growth_pct": [round(100 * (e - b) / b, 2) if b else None for b, e in zip(base[1], end[1], strict=True)],
        "redis_used_memory_baseline": base[2],
        "redis_used_memory_end": end[2],
        "redis_used_memory_after_drain": drained[2],
        "series_s_rss_kib": [(round(t - t0, 1), rss) for t, rss, _r in sampler.samples],
    }
    result["server_log_errors"] = _log_errors(dep.logs)
    result["server_log_warnings"] = _log_warnings(dep.logs)
    result["settings"] = {
        "duration_s": duration,
        "seed": seed,
        "conversation_slots": a.soak_conversations,
        "operators": a.soak_operators,
        "max_chats": a.soak_max_chats,
        "think_s": a.soak_think,
        "grace_s": grace,
        "operator_grace_s": operator_grace,
        "processes": len(dep.urls),
    }
    bench.results["soak"] = result


def _log_errors(logs: list[Path]) -> list[str]:
    """Lines at ERROR or above, and tracebacks, in the servers' logs (they never hold
    message content: docs/privacy.md)."""
    out = []
    for i, path in enumerate(logs):
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        out += [f"P{i}: {line[:300]}" for line in lines if "ERROR" in line or "CRITICAL" in line or "Traceback" in line]
    return out


def _log_warnings(logs: list[Path]) -> dict[str, int]:
    """WARNING lines of the servers' logs, counted by logger and message (numbers
    blanked, so one kind of warning is one line)."""
    counts: dict[str, int] = {}
    for path in logs:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            _stamp, sep, rest = line.partition(" WARNING ")
            if sep:
                kind = re.sub(r"\d+(\.\d+)?", "N", rest)[:160]
                counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def report(result: dict[str, Any], details: int) -> list[str]:
    """The soak's part of the benchmark report."""
    st, ta, mem = result["settings"], result["tally"], result["memory"]
    counts: dict[str, int] = result["fault_counts"]
    lines = [
        "",
        f"soak: {st['processes']} processes on one Redis, {st['duration_s']:.0f} s, {st['conversation_slots']} "
        f"conversations at a time, {st['operators']} operators (at most {st['max_chats']} chats each), "
        f"seed {st['seed']}",
        f"  conversations: {ta['conversations_started']} started, {ta['conversations_ended_by_soak']} ended by the "
        f"soak, {ta['conversations_broken']} broken; {ta['crossing_processes']} with a visitor and staff on "
        "different processes",
        f"  messages: {ta['messages_sent']} sent ({ta['messages_from_visitors']} by visitors, "
        f"{ta['messages_from_staff']} by staff), {ta['messages_acknowledged']} acknowledged, "
        f"{ta['messages_refused']} refused, {ta['messages_resent_after_cut']} resent after a cut",
        f"  {ta['visitor_drops']} visitor connections cut and resumed ({ta['resumes_other_process']} on the other "
        f"process), {ta['transfers']} transfers to a colleague, {ta['requeued_and_accepted']} back to the queue "
        f"and accepted again, {ta['invites']} invitations, {ta['referrals']} referral sends",
        "  also: " + ", ".join(f"{k} {v}" for k, v in result["counts"].items()),
        "  LOST / DUPLICATED / OUT OF ORDER (must be 0): "
        + ", ".join(f"{k} {counts.get(k, 0)}" for k in LOSS_KINDS)
        + f"  [in {sum(result['conversations_with_fault'].get(k, 0) for k in LOSS_KINDS)} conversation(s)]",
    ]
    others = {k: v for k, v in counts.items() if k not in LOSS_KINDS}
    lines.append(
        "  other faults: "
        + (
            ", ".join(f"{k} {v} (in {result['conversations_with_fault'].get(k, 0)})" for k, v in sorted(others.items()))
            or "none"
        )
    )
    lines.append("  refused events by code:" + ("" if result["refused"] else " none"))
    lines += [f"    {k} x{v} ({result['refusal_texts'].get(k, '')!r})" for k, v in result["refused"].items()]
    lines.append("  offers: " + ", ".join(f"{k} x{v}" for k, v in result["offers"].items()))
    if result["cleanup"]:
        lines.append("  clean-up: " + ", ".join(f"{k} x{v}" for k, v in result["cleanup"].items()))
    rows = zip(mem["rss_baseline_kib"], mem["rss_end_kib"], mem["rss_growth_pct"], strict=True)
    growth = ", ".join(f"P{i} {b} -> {e} KiB ({g:+.2f} %)" for i, (b, e, g) in enumerate(rows))
    worst = max((g for g in mem["rss_growth_pct"] if g is not None), default=0.0)
    lines.append(
        f"  RSS from {mem['baseline_at_s']:.0f} s to the end of the load at {mem['end_at_s']:.0f} s: {growth}; "
        f"target at most {RSS_TARGET_PCT:.0f} %: {'met' if worst <= RSS_TARGET_PCT else 'NOT met'}"
    )
    lines.append(
        f"  after the drain: {mem['rss_after_drain_kib']} KiB; Redis used_memory "
        f"{mem['redis_used_memory_baseline']} -> {mem['redis_used_memory_end']} -> "
        f"{mem['redis_used_memory_after_drain']} bytes; "
        f"ephemeral keys naming ended conversations: {result['store_leftovers'] or 'none'}"
    )
    per_minute = [row for row in mem["series_s_rss_kib"] if row[0] >= 0][:: max(1, int(60 / SAMPLE_S))]
    lines.append("  RSS KiB per minute: " + ", ".join(f"{t:.0f}s {rss}" for t, rss in per_minute))
    errors = result["server_log_errors"]
    lines.append(f"  server log lines at ERROR or tracebacks: {len(errors)}")
    lines += [f"    {line}" for line in errors[:10]]
    warnings = result["server_log_warnings"]
    lines.append(f"  server log warnings: {sum(warnings.values())}")
    lines += [f"    x{n} {kind}" for kind, n in list(warnings.items())[:8]]
    shown: dict[str, int] = {}
    timelines = result["timelines"]
    printed: set[str] = set()
    order = list(result["kinds"])
    for f in sorted(result["faults"], key=lambda f: order.index(f["kind"]) if f["kind"] in order else len(order)):
        n = shown[f["kind"]] = shown.get(f["kind"], 0) + 1
        if n > details:
            continue
        lines.append(f"  [{f['kind']}] conversation {f['conversation']}: {f['summary']}")
        lines += [f"      {d}" for d in f["details"]]
        cid = f["conversation"]
        if cid in timelines and cid not in printed:
            printed.add(cid)
            lines.append("      timeline:")
            lines += [f"        {t}" for t in timelines[cid]]
    if any(v > details for v in shown.values()):
        lines.append(f"  (first {details} of each kind shown; every fault is in the --json output)")
    return lines
