"""How big a bench runs: `BENCH_SCALE=full` (the default, `make bench`) measures at the sizes
the goals name; `BENCH_SCALE=smoke` (`make test`) runs the same code paths on a few rows and
for a second or two, so that a bench which no longer runs fails the build instead of rotting.

Importing this sets nothing up (client processes and Django-free parents use it too).
"""

import os

SCALE = os.environ.get("BENCH_SCALE", "full")
if SCALE not in ("full", "smoke"):
    raise SystemExit(f"BENCH_SCALE must be 'full' or 'smoke', not {SCALE!r}")
SMOKE = SCALE == "smoke"


def sized(full, smoke):
    """`full` at full scale, `smoke` at smoke scale."""
    return smoke if SMOKE else full


def seconds(full: float) -> float:
    """A measuring window: BENCH_SECONDS when set, else `full` (one second at smoke scale)."""
    if "BENCH_SECONDS" in os.environ:
        return float(os.environ["BENCH_SECONDS"])
    return 1.0 if SMOKE else full
