"""The scorecard formula, pure: each part's value from the month's facts, its normalised score
from the franchise's marks, the weighted total, the month's ranking and the month's span in the
franchise's time zone. No database: tests and the console's preview call it directly."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .schemas import PART_NAMES, AssessmentSettings, Facts, Part, PartName


def month_span(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a local calendar month spans: its first midnight to the next month's (excluded)."""
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return datetime.combine(first, time(0), tzinfo=tz), datetime.combine(following, time(0), tzinfo=tz)


def previous_month(today: date) -> date:
    """The first day of the month before the one `today` (a local day) is in."""
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


def _stars(total: int, count: int) -> tuple[float | None, float | None]:
    if count == 0:
        return None, None
    average = total / count
    return round(average, 2), (average - 1) / 4


def _fewer_is_better(count: int, cap: int) -> float:
    """1 with none, 0 at `cap` or more, straight between."""
    return max(0.0, 1 - count / cap)


def part_values(facts: Facts, s: AssessmentSettings) -> dict[PartName, tuple[float | None, int, float | None]]:
    """Per part: (the value people read, how many it stands on, its normalised score 0..1 or None)."""
    quality = _stars(facts.quality_sum, facts.reviews)
    attitude = _stars(facts.attitude_sum, facts.reviews)
    skill = _stars(facts.skill_sum, facts.reviews)
    on_time = facts.on_time / facts.arrivals_known if facts.arrivals_known else None
    repeat = facts.repeat_customers / facts.customers if facts.customers else None
    active = facts.completed > 0 or facts.no_shows > 0 or facts.declines > 0 or facts.complaints > 0
    return {
        "quality": (quality[0], facts.reviews, quality[1]),
        "attitude": (attitude[0], facts.reviews, attitude[1]),
        "skill": (skill[0], facts.reviews, skill[1]),
        # Counts of what went wrong score only a worker who worked (or failed to) that month.
        "complaints": (facts.complaints, facts.completed, _fewer_is_better(facts.complaints, s.complaints_cap) if active else None),
        "on_time": (None if on_time is None else round(on_time, 4), facts.arrivals_known, on_time),
        "no_shows": (facts.no_shows, facts.completed, _fewer_is_better(facts.no_shows, s.no_shows_cap) if active else None),
        "declines": (facts.declines, facts.completed, _fewer_is_better(facts.declines, s.declines_cap) if active else None),
        "jobs": (facts.completed, facts.completed, min(1.0, facts.completed / s.jobs_target) if active else None),
        "repeat": (None if repeat is None else round(repeat, 4), facts.customers,
                   None if repeat is None else min(1.0, repeat * 100 / s.repeat_target_pct)),
    }


def score(facts: Facts, s: AssessmentSettings) -> tuple[float | None, list[Part]]:
    """The total (0..100, one decimal) and the parts. A part without data is left out and the
    weights of those with data are scaled to fill 100; with none, there is no score."""
    values = part_values(facts, s)
    weighed = sum(s.weights.get(name, 0) for name in PART_NAMES if values[name][2] is not None)
    parts: list[Part] = []
    total = 0.0
    for name in PART_NAMES:
        value, basis, normalised = values[name]
        weight = s.weights.get(name, 0)
        points = share = 0.0
        if normalised is not None and weighed:
            share = weight * 100 / weighed
            points = round(normalised * share, 2)
            total += normalised * share
        parts.append(Part(name=name, value=value, basis=basis, normalised=None if normalised is None else round(normalised, 4),
                          weight=weight, points=points, share=round(share, 2)))
    return (round(total, 1) if weighed else None), parts


def ranking(scores: dict[int, float | None], completed: dict[int, int], min_jobs: int) -> dict[int, int]:
    """Rank 1 = best among the workers with a score and at least `min_jobs` completed jobs
    (ties share a rank); the others are not ranked."""
    eligible = sorted(((v, k) for k, v in scores.items() if v is not None and completed.get(k, 0) >= min_jobs), key=lambda p: -p[0])
    ranks: dict[int, int] = {}
    for position, (value, staff_id) in enumerate(eligible, start=1):
        previous = eligible[position - 2] if position > 1 else None
        ranks[staff_id] = ranks[previous[1]] if previous and previous[0] == value else position
    return ranks


def top_decile(ranks: dict[int, int]) -> set[int]:
    """The workers in the best tenth of those ranked (at least one when anyone is ranked; ties at
    the edge are in)."""
    if not ranks:
        return set()
    places = max(1, len(ranks) // 10)
    return {staff_id for staff_id, rank in ranks.items() if rank <= places}
