"""The service quality page's figures: per month the complaint rate (problem reports about an
order per 100 completed orders), complaints upheld, low ratings and the average score; the
month's low ratings with the customers' words; the workers to suggest for the watch list."""

from __future__ import annotations

from datetime import date

from platform_core.orders.services import completed_count, order_numbers
from platform_core.reviews.schemas import LowReview
from platform_core.reviews.services import low_reviews, rating_sums
from platform_core.support.services import problem_report_count, upheld_complaints

from . import formula, scorecards
from .schemas import AssessmentSettings, MonthQuality, Scorecard


def months_back(month: date, count: int) -> list[date]:
    """`month` and the `count - 1` months before it, newest first."""
    months = [month]
    while len(months) < count:
        months.append(formula.previous_month(months[-1]))
    return months


async def month_quality(month: date, settings: AssessmentSettings) -> MonthQuality:
    starts, ends = formula.month_span(month, scorecards.zone())
    completed = await completed_count(starts, ends)
    reports = await problem_report_count(starts, ends)
    cards = [c.score for c in await scorecards.month_cards(month) if c.score is not None]
    ratings = await rating_sums(starts, ends, low_at=settings.low_rating_stars)
    return MonthQuality(month=month, completed=completed, problem_reports=reports, upheld=len(await upheld_complaints(starts, ends)),
                        low_ratings=sum(r.low for r in ratings.values()),
                        complaint_rate=round(reports * 100 / completed, 1) if completed else None,
                        average_score=round(sum(cards) / len(cards), 1) if cards else None)


async def trend(month: date, settings: AssessmentSettings, count: int = 6) -> list[MonthQuality]:
    return [await month_quality(m, settings) for m in months_back(month, count)]


async def month_low_reviews(month: date, settings: AssessmentSettings) -> tuple[list[LowReview], dict[int, str]]:
    """The month's low ratings, newest first, with their orders' numbers."""
    starts, ends = formula.month_span(month, scorecards.zone())
    found = await low_reviews(starts, ends, low_at=settings.low_rating_stars, limit=50)
    return found, await order_numbers(r.order_id for r in found)


def watch_suggestions(cards: list[Scorecard], settings: AssessmentSettings) -> list[Scorecard]:
    """Workers scoring under the franchise's mark who are not on watch yet, lowest first."""
    below = [c for c in cards if c.score is not None and c.score < settings.watch_below and not c.on_watch]
    return sorted(below, key=lambda c: c.score or 0)
