"""Run every benchmark: `python -m benchmarks.run` (or `make bench`)."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "benchmarks.engine_accuracy",
    "benchmarks.engine_targets",
    "benchmarks.triage_features",
    "benchmarks.reply_memory",
    "benchmarks.memory_replay",
    "benchmarks.reply_quality",
    "benchmarks.stress_test",
    "benchmarks.ingest",
    "benchmarks.exports",
    "benchmarks.retrain",
    "benchmarks.analytics",
    "benchmarks.load",
    "benchmarks.scale_out",
]


def main() -> None:
    for module in BENCHMARKS:
        print(f"== {module}", flush=True)
        subprocess.run([sys.executable, "-m", module], check=True)


if __name__ == "__main__":
    main()
