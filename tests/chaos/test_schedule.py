"""Specification of the chaos schedule: seeded, as many faults as the release check needs, storms then calms."""

from __future__ import annotations

from collections import Counter

from tests.chaos.run import Options
from tests.chaos.schedule import CALM_SECONDS, Kind, build

ASSETS = ("SOL", "ETH")
RELEASE = Options()  # the defaults of `scripts/chaos`: --seed 1 --hours 24


def test_schedule_when_built_twice_from_one_seed_then_identical_and_another_seed_differs() -> None:
    first = build(1, 24, 60, ASSETS, frozenset(Kind))
    assert first == build(1, 24, 60, ASSETS, frozenset(Kind))
    assert first != build(2, 24, 60, ASSETS, frozenset(Kind))


def test_schedule_when_the_release_check_then_over_200_faults_of_every_kind_and_at_least_5_kills() -> None:
    schedule = build(RELEASE.seed, RELEASE.hours, RELEASE.speed, ASSETS, RELEASE.kinds)
    kinds = Counter(f.kind for f in schedule.faults)
    assert sum(kinds.values()) >= 200
    assert set(kinds) == set(Kind)
    assert kinds[Kind.KILL] >= 5


def test_schedule_when_built_then_faults_start_in_storms_each_followed_by_a_calm_longer_than_the_bound() -> None:
    schedule = build(3, 6, 60, ASSETS, frozenset(Kind))
    assert all(schedule.in_storm(f.at) for f in schedule.faults)
    assert all(schedule.in_storm(t.at) for t in schedule.transfers)
    calms = [b[0] - a[1] for a, b in zip(schedule.storms, schedule.storms[1:], strict=False)]
    calms.append(schedule.wall_seconds - schedule.storms[-1][1])
    assert min(calms) >= CALM_SECONDS * 0.9 > RELEASE.bound
    assert max(f.ends for f in schedule.faults if f.kind is not Kind.KILL) < schedule.wall_seconds


def test_schedule_when_kinds_chosen_then_only_those_and_kills_spread_over_the_run() -> None:
    schedule = build(5, 24, 60, ASSETS, frozenset({Kind.KILL, Kind.MAINTENANCE}))
    assert {f.kind for f in schedule.faults} == {Kind.KILL, Kind.MAINTENANCE}
    kills = [f.at for f in schedule.faults if f.kind is Kind.KILL]
    assert len(kills) == round(24 * 0.35)
    assert kills[0] < schedule.wall_seconds / 4
    assert kills[-1] > schedule.wall_seconds * 3 / 4
