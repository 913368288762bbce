"""Hypothesis profiles for the fuzzers: bounded and repeatable in the default suite, long and random on demand.

The default suite runs each fuzzer on a fixed, derandomised set of examples (a few seconds each). For a longer
hunt, pick the long profile with an environment variable:

    FUZZ_PROFILE=long scripts/test tests/fuzz          # 5,000 random examples per fuzzer
    FUZZ_PROFILE=long FUZZ_EXAMPLES=50000 scripts/test tests/fuzz

A failure prints the smallest input that reproduces it (hypothesis shrinks it); add that input to the regression
tests beside the fuzzer.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz-long",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FUZZ = settings.get_profile("fuzz-long" if os.environ.get("FUZZ_PROFILE") == "long" else "fuzz")
