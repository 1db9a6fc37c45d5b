"""The announcements plugin: which notice shows where and when."""

from __future__ import annotations

from datetime import date

import pytest

from platform_core.errors import ValidationFailed
from platform_core.pluginsys.services import enable_plugin, set_plugin_config
from plugins.announcements.config import AnnouncementsConfig
from plugins.announcements.notices import notice_for

TODAY = date(2027, 2, 5)


def test_notice_shows_only_between_its_first_and_last_day():
    config = AnnouncementsConfig(title="春节休息", starts_on=date(2027, 2, 4), ends_on=date(2027, 2, 10))
    assert notice_for(config, "customer", TODAY).title == "春节休息"
    assert notice_for(config, "customer", date(2027, 2, 3)) is None
    assert notice_for(config, "customer", date(2027, 2, 11)) is None


def test_notice_shows_on_the_surfaces_it_was_posted_for():
    staff_only = AnnouncementsConfig(title="培训通知", show_on="staff")
    assert notice_for(staff_only, "staff", TODAY) is not None
    assert notice_for(staff_only, "customer", TODAY) is None
    both = AnnouncementsConfig(title="x", show_on="both")
    assert notice_for(both, "customer", TODAY) and notice_for(both, "staff", TODAY)


def test_empty_notice_shows_nothing_and_warnings_stay_on_screen():
    assert notice_for(AnnouncementsConfig(), "customer", TODAY) is None
    assert notice_for(AnnouncementsConfig(title="停水", level="warning"), "customer", TODAY).dismissible is False


async def test_last_day_before_first_day_is_refused_on_the_last_day_field(runtime, tenant_a):
    with pytest.raises(ValidationFailed) as caught:
        await set_plugin_config(tenant_a.id, "announcements", {"starts_on": "2027-02-10", "ends_on": "2027-02-01"})
    assert caught.value.fields == {"ends_on": "The last day is before the first day."}


async def test_notice_page_is_public_for_the_tenant_that_has_it_on(runtime, tenant_a, client_a, client_b):
    await set_plugin_config(tenant_a.id, "announcements", {"title": "春节期间服务安排", "body": "初四起恢复预约"})
    await enable_plugin(tenant_a.id, "announcements", actor="test")
    response = await client_a.get("/p/announcements/")
    assert response.status_code == 200 and "初四起恢复预约" in response.text
    assert (await client_b.get("/p/announcements/")).status_code == 404
