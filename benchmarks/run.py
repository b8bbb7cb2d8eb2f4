"""Run every benchmark: `python -m benchmarks.run` (or `make bench`)."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "benchmarks.ingest",
    "benchmarks.exports",
    "benchmarks.retrain",
    "benchmarks.analytics",
    "benchmarks.load",
    "benchmarks.scale_out",
]


def main() -> None:
    for module in BENCHMARKS + [m for m in ("benchmarks.engine_accuracy",) if _exists(m)]:
        print(f"== {module}", flush=True)
        subprocess.run([sys.executable, "-m", module], check=True)


def _exists(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


if __name__ == "__main__":
    main()
