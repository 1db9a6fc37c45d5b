"""The rules without the database: the Barthel total and the level bands, memory and being
bedridden raising the level, the credentials by level, the surcharge, and the visit days and
instants of a plan in a zone with daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import msgspec
import pytest

from plugins.elder_care import care, schedule
from plugins.elder_care.config import ElderCareConfig

ALL_INDEPENDENT = {code: max(allowed) for code, (_, allowed) in care.BARTHEL.items()}


def scores(cognition="normal", mobility="walks", **activities) -> care.Scores:
    return care.Scores(activities={**ALL_INDEPENDENT, **activities}, cognition=cognition, mobility=mobility)


def test_an_independent_elder_scores_100_and_needs_light_care():
    outcome = care.assess(scores())
    assert (outcome.barthel, outcome.level) == (100, 1)


@pytest.mark.parametrize(("total", "level"), [(100, 1), (61, 1), (60, 2), (41, 2), (40, 3), (21, 3), (20, 4), (0, 4)])
def test_the_barthel_bands(total, level):
    assert care.barthel_band(total) == level


def test_the_total_is_the_sum_of_the_ten_answers():
    outcome = care.assess(scores(feeding=5, bathing=0, transfers=5))
    assert outcome.barthel == 100 - 5 - 5 - 10 and outcome.level == 1


def test_memory_problems_raise_the_level_above_what_daily_living_says():
    outcome = care.assess(scores(cognition="moderate"))
    assert outcome.barthel == 100 and outcome.level == 3
    assert [msgid for msgid, _ in outcome.reasons][1].startswith("The memory and orientation answer")


def test_being_bedridden_means_heavy_care_at_least():
    assert care.assess(scores(mobility="bedridden")).level == 3
    low = {code: 0 for code in care.BARTHEL}
    assert care.assess(care.Scores(activities=low, cognition="normal", mobility="bedridden")).level == 4


def test_an_answer_an_activity_does_not_allow_is_named():
    assert care.activity_errors({**ALL_INDEPENDENT, "bathing": 10, "stairs": 3}) == {
        "adl_bathing": "Choose one of the answers.", "adl_stairs": "Choose one of the answers."}
    assert care.activity_errors(ALL_INDEPENDENT) == {}


def test_each_level_needs_more_of_the_carer():
    assert care.requirement_for(1) == (["elderly_carer", "health_certificate"], ["elder-care-basics"])
    assert "first_aid" in care.requirement_for(3)[0] and "senior_elderly_carer" not in care.requirement_for(3)[0]
    assert care.requirement_for(4)[0][-1] == "senior_elderly_carer"


def test_the_surcharge_grows_with_the_level_and_the_config_refuses_less():
    config = ElderCareConfig(level_2_surcharge=1000, level_3_surcharge=3000, level_4_surcharge=6000)
    assert [config.surcharge(level) for level in (1, 2, 3, 4)] == [0, 1000, 3000, 6000]
    with pytest.raises(msgspec.ValidationError, match="level_3_surcharge"):
        msgspec.convert({"level_2_surcharge": 5000, "level_3_surcharge": 1000}, ElderCareConfig)


def test_weekdays_as_a_mask_and_the_days_of_a_window():
    mask = schedule.mask_of([0, 2, 4])
    assert schedule.days_of(mask) == [0, 2, 4]
    # Monday 1 March 2027 to Sunday the 14th, the plan from Wednesday the 3rd to Friday the 12th
    days = schedule.visit_dates(mask, date(2027, 3, 3), date(2027, 3, 12), date(2027, 3, 1), date(2027, 3, 14))
    assert days == [date(2027, 3, 3), date(2027, 3, 5), date(2027, 3, 8), date(2027, 3, 10), date(2027, 3, 12)]


def test_a_visit_keeps_its_wall_clock_time_across_daylight_saving():
    new_york = ZoneInfo("America/New_York")
    assert schedule.local_start(date(2027, 3, 12), time(9), new_york) == datetime(2027, 3, 12, 14, tzinfo=UTC)
    assert schedule.local_start(date(2027, 3, 15), time(9), new_york) == datetime(2027, 3, 15, 13, tzinfo=UTC)
    assert schedule.local_start(date(2027, 11, 8), time(9), new_york) == datetime(2027, 11, 8, 14, tzinfo=UTC)
    # a time the clocks skip is taken as the same wall time an hour later
    assert schedule.local_start(date(2027, 3, 14), time(2, 30), new_york).astimezone(new_york).hour == 3
    assert schedule.local_start(date(2027, 3, 12), time(9), ZoneInfo("Asia/Shanghai")) == datetime(2027, 3, 12, 1, tzinfo=UTC)
