"""The scorecard formula as pure functions: parts, normalising, weights, parts without data,
ranking, the top tenth, and a month's span in the franchise's time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from platform_core.assessment import formula
from platform_core.assessment.schemas import AssessmentSettings, Facts

SETTINGS = AssessmentSettings()


def _parts(total_parts):
    return {p.name: p for p in total_parts}


def test_a_perfect_month_scores_100_and_each_part_says_why():
    facts = Facts(reviews=4, quality_sum=20, attitude_sum=20, skill_sum=20, completed=40, arrivals_known=40, on_time=40,
                  customers=10, repeat_customers=3)
    total, parts = formula.score(facts, SETTINGS)
    assert total == 100.0
    by = _parts(parts)
    assert by["quality"].value == 5.0 and by["quality"].normalised == 1.0 and by["quality"].weight == 15
    assert by["on_time"].value == 1.0 and by["repeat"].value == 0.3 and by["repeat"].normalised == 1.0
    assert round(sum(p.points for p in parts), 1) == 100.0


def test_complaints_no_shows_and_lateness_take_points_in_proportion_to_the_marks():
    facts = Facts(reviews=2, quality_sum=6, attitude_sum=8, skill_sum=10, complaints=1, completed=20, arrivals_known=10, on_time=5,
                  no_shows=1, declines=5, customers=10, repeat_customers=0)
    total, parts = formula.score(facts, SETTINGS)
    by = _parts(parts)
    assert by["quality"].value == 3.0 and by["quality"].normalised == 0.5
    assert by["complaints"].normalised == round(1 - 1 / 3, 4)
    assert by["no_shows"].normalised == 0.5 and by["declines"].normalised == 0.0
    assert by["jobs"].normalised == 0.5 and by["on_time"].normalised == 0.5 and by["repeat"].normalised == 0.0
    expected = (15 * 0.5 + 15 * 0.75 + 10 * 1.0 + 20 * (2 / 3) + 15 * 0.5 + 10 * 0.5 + 5 * 0 + 5 * 0.5 + 5 * 0) * 100 / 100
    assert total == round(expected, 1)


def test_a_part_without_data_is_left_out_and_the_others_fill_its_place():
    # No reviews and no arrivals known: quality, attitude, skill and on-time have no data.
    facts = Facts(completed=40, customers=10, repeat_customers=3)
    total, parts = formula.score(facts, SETTINGS)
    by = _parts(parts)
    assert by["quality"].normalised is None and by["quality"].points == 0 and by["on_time"].value is None
    assert total == 100.0  # complaints, no-shows, declines, jobs and repeat all full
    assert round(sum(p.share for p in parts), 1) == 100.0 and by["complaints"].share == round(20 * 100 / 45, 2)
    assert formula.score(Facts(), SETTINGS) == (None, formula.score(Facts(), SETTINGS)[1])


def test_the_franchise_weights_change_the_total():
    facts = Facts(reviews=1, quality_sum=1, attitude_sum=5, skill_sum=5, completed=40, customers=1)
    only_quality = AssessmentSettings(weights={"quality": 10})
    assert formula.score(facts, only_quality)[0] == 0.0
    only_attitude = AssessmentSettings(weights={"attitude": 1})
    assert formula.score(facts, only_attitude)[0] == 100.0


def test_ranking_shares_ties_and_leaves_out_workers_below_the_minimum():
    ranks = formula.ranking({1: 90.0, 2: 95.0, 3: 90.0, 4: 99.0, 5: None}, {1: 10, 2: 10, 3: 10, 4: 2, 5: 10}, min_jobs=5)
    assert ranks == {2: 1, 1: 2, 3: 2}


def test_the_top_tenth_is_at_least_one_and_takes_ties_at_the_edge():
    assert formula.top_decile({}) == set()
    assert formula.top_decile({1: 1, 2: 2, 3: 3}) == {1}
    ranks = {i: i for i in range(1, 21)} | {21: 2}
    assert formula.top_decile(ranks) == {1, 2, 21}


def test_a_month_is_the_franchise_s_local_month():
    shanghai = ZoneInfo("Asia/Shanghai")
    starts, ends = formula.month_span(date(2026, 11, 1), shanghai)
    assert starts.astimezone(timezone.utc) == datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)
    assert ends.astimezone(timezone.utc) == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
    december = formula.month_span(date(2026, 12, 15), shanghai)
    assert december[1] == datetime(2027, 1, 1, tzinfo=shanghai)
    assert formula.previous_month(date(2027, 1, 1)) == date(2026, 12, 1)
    assert formula.previous_month(date(2026, 3, 31)) == date(2026, 2, 1)
    # Across a change of clocks the span is still local midnight to local midnight.
    berlin = ZoneInfo("Europe/Berlin")
    starts, ends = formula.month_span(date(2026, 3, 1), berlin)
    assert (ends.astimezone(timezone.utc) - starts.astimezone(timezone.utc)).total_seconds() == 31 * 24 * 3600 - 3600
