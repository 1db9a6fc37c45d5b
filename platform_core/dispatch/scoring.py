"""The arithmetic of dispatch, free of the database: distances, the weighted score, and the
optimal batch assignment. The benchmark (bench/dispatch_batch.py) uses the same functions."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import msgspec

if TYPE_CHECKING:
    import numpy as np

from .schemas import ScorePart

# A score name the tenant has not weighted still counts, a little: a plugin that was just turned
# on should change something before anyone visits the settings page.
DEFAULT_WEIGHT = 0.1
# Cost of a pair that must not happen; larger than any sum of real costs the solver could trade it for.
PROHIBITIVE = 1e9


def distance_score(distance_m: float | None, radius_km: int) -> float:
    """1 at the worker's door, 0 at the edge of their radius; 0.5 when the distance is unknown."""
    if distance_m is None:
        return 0.5
    return max(0.0, 1.0 - distance_m / (radius_km * 1000))


def rating_score(rating_avg: float, rating_count: int) -> float:
    """The mean rating over 5; a worker nobody has rated yet starts in the middle, not at zero."""
    return rating_avg / 5 if rating_count else 0.6


def workload_score(day_load: int, week_load: int) -> float:
    """Spread the work: every job already held that day weighs as much as four that week."""
    return 1.0 / (1.0 + day_load + week_load / 4)


def skills_score(required: Sequence[str], skills: Sequence[str]) -> float:
    """Required skills are a filter; among those who have them, the specialist scores higher: the
    share of the worker's skills this order uses. A worker of many trades is kept for the orders
    only they can do. Neutral (0.5) for an order that needs no particular skill."""
    have = set(skills)
    if not required or not have:
        return 0.5
    return len(set(required) & have) / len(have)


def combine(raw: dict[str, tuple[float, str, str]], weights: dict[str, float]) -> tuple[float, list[ScorePart]]:
    """The weighted mean of the raw scores ({name: (raw 0..1, source, detail)}) and its parts."""
    parts: list[ScorePart] = []
    total_weight = 0.0
    for name, (value, source, detail) in raw.items():
        weight = float(weights.get(name, DEFAULT_WEIGHT))
        value = min(1.0, max(0.0, float(value)))
        total_weight += weight
        parts.append(ScorePart(name=name, raw=round(value, 4), weight=weight, contribution=value * weight,
                               source=source, detail=detail))
    if total_weight <= 0:
        return 0.0, parts
    total = sum(p.contribution for p in parts) / total_weight
    parts = [msgspec.structs.replace(p, contribution=round(p.contribution / total_weight, 4)) for p in parts]
    return total, parts


def solve_batch(score_matrix: np.ndarray, feasible: np.ndarray, priority: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """The assignment of orders (rows) to workers (columns), at most one each, that serves the
    most orders and, among those, has the highest total score (scipy's linear_sum_assignment,
    Jonker-Volgenant, on the negated scores with a prohibitive cost for infeasible pairs). Rows
    left with only an infeasible pair are left out of the answer.

    `priority` (one int per row, from plugins' DispatchScore.priority: a member's order) gives
    first choice: the rows of the highest priority are solved first, over every worker, then
    the next level over the workers left. Within a level the rule above holds; across levels a
    higher-priority order keeps its best worker even where that leaves a lower one unserved."""
    # numpy and scipy load on the first batch, not in every web process (~80 MB; docs/scaling.md).
    import numpy as np

    scores = np.asarray(score_matrix, dtype=float)
    ok = np.asarray(feasible, dtype=bool)
    if scores.size == 0:
        return []
    if priority is None or len(set(priority)) <= 1:
        return _solve(scores, ok, np.arange(scores.shape[0]), np.arange(scores.shape[1]))
    levels = np.asarray(priority)
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for level in sorted(set(int(p) for p in priority), reverse=True):
        rows = np.flatnonzero(levels == level)
        cols = np.array([c for c in range(scores.shape[1]) if c not in taken], dtype=int)
        if cols.size == 0:
            break
        found = _solve(scores, ok, rows, cols)
        taken.update(c for _, c in found)
        pairs.extend(found)
    return sorted(pairs)


def _solve(scores: np.ndarray, ok: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> list[tuple[int, int]]:
    """solve_batch over a sub-matrix (the given rows and columns), in the full matrix's indexes."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    sub_ok = ok[np.ix_(rows, cols)]
    cost = np.where(sub_ok, -scores[np.ix_(rows, cols)], PROHIBITIVE)
    r, c = linear_sum_assignment(cost)
    return [(int(rows[i]), int(cols[j])) for i, j in zip(r, c) if sub_ok[i, j]]


def solve_greedy(score_matrix: np.ndarray, feasible: np.ndarray) -> list[tuple[int, int]]:
    """First come, first served: each order in turn takes the best worker still free. What the
    batch solver is measured against."""
    import numpy as np

    scores = np.asarray(score_matrix, dtype=float)
    ok = np.asarray(feasible, dtype=bool)
    taken: set[int] = set()
    pairs = []
    for r in range(scores.shape[0]):
        best, best_score = None, -math.inf
        for c in np.argsort(-scores[r]):
            c = int(c)
            if ok[r, c] and c not in taken:
                best, best_score = c, scores[r, c]
                break
        if best is not None and best_score > -math.inf:
            taken.add(best)
            pairs.append((r, best))
    return pairs


def total_score(score_matrix: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    return float(sum(score_matrix[r, c] for r, c in pairs))
