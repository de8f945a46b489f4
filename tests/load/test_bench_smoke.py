"""The benchmark must keep working: run every phase with tiny numbers. Nothing here
looks at timings (performance is measured by running the benchmark, see
docs/performance.md); it checks that each phase ran and counted what it sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chat_server.bench import bench

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_bench_runs_every_phase_with_small_numbers(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = bench.main(
        [
            "--idle",
            "20",
            "--conversations",
            "4",
            "--rate",
            "50",
            "--duration",
            "2",
            "--saturate-duration",
            "1",
            "--window",
            "1",
            "--gen-procs",
            "1",
            "--repeat",
            "2",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads(out.read_text())
    assert results["idle"]["visitors_held"] == 20 and results["idle"]["failed"] == 0
    assert results["idle"]["rss_after_kib"] > 0
    for phase in ("relay_embedded_1", "baseline", "relay_redis_1", "relay_redis_2"):
        relay = results[phase]
        assert relay["runs"] == 2 and len(relay["saturation_per_s_all"]) == 2, phase
        assert relay["sent"] == 100, phase
        assert relay["received"] == relay["sent"] and relay["ack_errors"] == 0, (phase, relay)
        assert relay["saturation_per_s"] > 0, phase
        assert "p99_ms" in relay
    ratios = results["ratios"]
    assert {"server_vs_baseline", "two_vs_one_process"} <= set(ratios)
    assert len(ratios["two_vs_one_process_each_run"]) == 2


def test_bench_runs_the_wait_phases_with_a_replica(tmp_path: Path) -> None:
    """The extra phases: the Redis relay with a replica and every write confirmed by it
    (``CHAT_REDIS_WAIT_REPLICAS=1``), as behind Sentinel."""
    out = tmp_path / "bench.json"
    code = bench.main(
        [
            "--phases",
            "redis1_wait,redis2_wait",
            "--conversations",
            "4",
            "--rate",
            "50",
            "--duration",
            "1",
            "--saturate-duration",
            "1",
            "--window",
            "1",
            "--gen-procs",
            "1",
            "--repeat",
            "1",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads(out.read_text())
    for phase in ("relay_redis_1_wait", "relay_redis_2_wait"):
        relay = results[phase]
        assert relay["sent"] == 50, phase
        assert relay["received"] == relay["sent"] and relay["ack_errors"] == 0, (phase, relay)
        assert relay["saturation_per_s"] > 0, phase


def test_soak_runs_and_counts_with_small_numbers(tmp_path: Path) -> None:
    """A 20-second soak on two processes over one Redis: conversations start, talk,
    drop and resume, are transferred and end; every fault found is reported and sets
    the exit status. Whether the server has faults is the soak's verdict, not this
    test's: it checks that the soak ran, counted and reported consistently."""
    out = tmp_path / "soak.json"
    code = bench.main(
        [
            "--phases",
            "soak",
            "--duration",
            "20",
            "--soak-conversations",
            "4",
            "--soak-operators",
            "3",
            "--soak-think",
            "0.3",
            "--soak-queue-timeout",
            "30",
            "--soak-grace",
            "6",
            "--soak-operator-drops",
            "8",
            "--seed",
            "7",
            "--json",
            str(out),
        ]
    )
    soak = json.loads(out.read_text())["soak"]
    tally = soak["tally"]
    assert tally["conversations_started"] >= 4
    assert tally["conversations_ended_by_soak"] + tally["conversations_broken"] >= tally["conversations_started"] - 4
    assert tally["messages_sent"] > 0 and tally["messages_from_visitors"] > 0 and tally["messages_from_staff"] > 0
    assert tally["messages_acknowledged"] + tally["messages_refused"] <= tally["messages_sent"]
    assert tally["messages_acknowledged"] > 0
    assert soak["settings"]["seed"] == 7 and soak["settings"]["processes"] == 2
    assert (
        soak["counts"].get("console drops and returns", 0)
        + soak["counts"].get("console drops past the operator grace", 0)
        > 0
    )
    assert soak["offers"].get("received", 0) > 0  # the operators were offered the chats
    memory = soak["memory"]
    assert all(kib > 0 for kib in memory["rss_baseline_kib"] + memory["rss_end_kib"])
    assert len(memory["rss_growth_pct"]) == 2
    assert sum(soak["fault_counts"].values()) == len(soak["faults"])
    assert set(soak["fault_counts"]) <= set(soak["kinds"])
    for fault in soak["faults"]:
        assert fault["summary"] and fault["kind"] in soak["kinds"]
    assert code == (1 if soak["faults"] else 0)


def test_bench_runs_the_centre_phases(tmp_path: Path) -> None:
    """Issue 19: the relay with its operators and visitors spread over several centres
    (``--centres``, and ``redis2_centres`` beside the same operators in one centre), and
    the queue events at 1 and ``--many-centres`` centres with the same staff."""
    out = tmp_path / "bench.json"
    code = bench.main(
        [
            "--phases",
            "redis2,redis2_centres,queue_centres",
            "--centres",
            "2",
            "--many-centres",
            "3",
            "--conversations",
            "6",
            "--rate",
            "30",
            "--duration",
            "1",
            "--saturate-duration",
            "1",
            "--window",
            "1",
            "--gen-procs",
            "1",
            "--repeat",
            "1",
            "--queue-staff",
            "3",
            "--queue-cycles",
            "6",
            "--queue-concurrency",
            "2",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads(out.read_text())
    for phase, centres, operators in (
        ("relay_redis_2", 2, 2),
        ("relay_redis_2_centres_1", 1, 3),
        ("relay_redis_2_centres", 3, 3),
    ):
        relay = results[phase]
        assert (relay["centres"], relay["operators"]) == (centres, operators), phase
        assert relay["sent"] == 30 and relay["received"] == 30 and relay["ack_errors"] == 0, (phase, relay)
        assert relay["saturation_per_s"] > 0, phase
    assert "many_centres_vs_one_2_processes" in results["ratios"]
    for centres in (1, 3):
        queue = results[f"queue_centres_{centres}"]
        assert queue["centres"] == centres and queue["staff_on_duty"] == 3
        assert queue["chats"] == 6 and queue["failed"] == 0, queue
        assert queue["publishes_per_chat"] > 0
    # Every on-duty console of the chat's centre gets its queue snapshots: with one
    # centre all three, with three centres the one.
    one, many = results["queue_centres_1"], results["queue_centres_3"]
    assert one["queue_snapshots_received_per_chat"] > many["queue_snapshots_received_per_chat"] > 0
