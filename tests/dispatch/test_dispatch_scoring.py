"""The arithmetic of dispatch: distances, weighted scores, and the batch solver against the
true optimum and against first come, first served."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from platform_core.dispatch import scoring
from platform_core.geo import distance_m


def test_haversine_knows_the_distance_between_two_places():
    # People's Square to Lujiazui, Shanghai: about 2.7 km as the crow flies.
    assert distance_m((31.2304, 121.4737), (31.2397, 121.4998)) == pytest.approx(2700, rel=0.1)
    assert distance_m((31.0, 121.0), (31.0, 121.0)) == 0


def test_distance_scores_fall_to_zero_at_the_edge_of_the_radius():
    assert scoring.distance_score(0, 10) == 1
    assert scoring.distance_score(5000, 10) == pytest.approx(0.5)
    assert scoring.distance_score(12000, 10) == 0
    assert scoring.distance_score(None, 10) == 0.5


def test_workload_prefers_the_worker_with_fewer_jobs():
    assert scoring.workload_score(0, 0) > scoring.workload_score(0, 4) > scoring.workload_score(2, 4)


def test_combined_score_is_the_weighted_mean_and_explains_itself():
    total, parts = scoring.combine(
        {"distance": (1.0, "core", ""), "rating": (0.5, "core", ""), "vip": (1.0, "member_priority", "gold")},
        {"distance": 3, "rating": 1},  # vip has no weight set: it counts a little
    )
    assert total == pytest.approx((3 * 1 + 1 * 0.5 + scoring.DEFAULT_WEIGHT * 1) / (4 + scoring.DEFAULT_WEIGHT))
    assert sum(p.contribution for p in parts) == pytest.approx(total, abs=1e-3)
    vip = next(p for p in parts if p.name == "vip")
    assert (vip.source, vip.detail, vip.weight) == ("member_priority", "gold", scoring.DEFAULT_WEIGHT)


def _brute_force_best(scores, feasible) -> tuple[int, float]:
    """Every way to match: the most orders served, then the highest total score."""
    rows, cols = scores.shape
    best = (0, 0.0)
    for perm in itertools.permutations(range(cols), rows):
        served = [(r, c) for r, c in enumerate(perm) if feasible[r, c]]
        best = max(best, (len(served), sum(scores[r, c] for r, c in served)))
    return best


@pytest.mark.parametrize("seed", range(20))
def test_batch_assignment_equals_the_optimum_on_small_cases(seed):
    rng = np.random.default_rng(seed)
    scores = rng.random((4, 5))
    feasible = rng.random((4, 5)) > 0.3
    pairs = scoring.solve_batch(scores, feasible)
    assert len({r for r, _ in pairs}) == len(pairs) and len({c for _, c in pairs}) == len(pairs)
    assert all(feasible[r, c] for r, c in pairs)
    served, total = _brute_force_best(scores, feasible)
    assert len(pairs) == served
    assert scoring.total_score(scores, pairs) == pytest.approx(total)


def test_batch_assignment_beats_first_come_first_served():
    # The first order's favourite is the only worker the second order can have.
    scores = np.array([[0.9, 0.8], [0.7, 0.0]])
    feasible = np.array([[True, True], [True, False]])
    greedy = scoring.solve_greedy(scores, feasible)
    optimal = scoring.solve_batch(scores, feasible)
    assert sorted(optimal) == [(0, 1), (1, 0)]
    assert len(greedy) == 1  # greedy gives worker 0 to order 0 and leaves order 1 without anyone
    assert scoring.total_score(scores, optimal) > scoring.total_score(scores, greedy)


def test_infeasible_pairs_are_never_assigned():
    scores = np.array([[0.9, 0.1]])
    feasible = np.array([[False, False]])
    assert scoring.solve_batch(scores, feasible) == []
    assert scoring.solve_batch(np.zeros((0, 0)), np.zeros((0, 0), dtype=bool)) == []


def test_the_specialist_scores_higher_on_skills_than_the_worker_of_many_trades():
    assert scoring.skills_score(["ac_cleaning"], ["ac_cleaning"]) == 1
    assert scoring.skills_score(["ac_cleaning"], ["ac_cleaning", "plumbing", "nanny", "cleaning"]) == 0.25
    assert scoring.skills_score([], ["cleaning"]) == 0.5
