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
