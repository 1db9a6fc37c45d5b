"""The console's Marketing pages over HTTP: who may open them, every form's refusals named at the
field (bounded, no NUL), the QR downloads, the htmx preview."""

from __future__ import annotations

import re

import pytest

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import console_client, make_customer, post_form


@pytest.fixture
async def owner(client_a, tenant_a):
    return await console_client(client_a, tenant_a, "owner")


async def test_the_marketing_menu_shows_to_the_owner_and_a_dispatcher_is_refused(client_a, client_b, tenant_a, tenant_b, owner):
    home = await owner.get("/console/")
    assert 'href="/console/marketing/segments"' in home.text and 'href="/console/marketing/channels"' in home.text
    dispatcher = await console_client(client_b, tenant_b, "dispatcher")
    assert 'href="/console/marketing' not in (await dispatcher.get("/console/")).text
    for path in ("/console/marketing/segments", "/console/marketing/channels", "/console/marketing/segments/new"):
        assert (await dispatcher.get(path)).status_code == 403


async def test_a_channel_is_created_edited_and_its_qr_code_downloaded(owner, tenant_a):
    created = await post_form(owner, "/console/marketing/channels/new", {"name": "Riverside WeChat group", "kind": "wechat_group", "notes": "Ms Zhou"})
    assert created.status_code == 303
    channel_id = int(re.search(r"/channels/(\d+)", created.headers["location"]).group(1))
    page = await owner.get(f"/console/marketing/channels/{channel_id}")
    assert "Riverside WeChat group" in page.text and re.search(r"/c/[A-Za-z0-9]{8}", page.text)
    png = await owner.get(f"/console/marketing/channels/{channel_id}/qr.png?download=1")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert "attachment" in png.headers["content-disposition"]
    svg = await owner.get(f"/console/marketing/channels/{channel_id}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert (await owner.get(f"/console/marketing/channels/{channel_id}/print")).status_code == 200
    for days in ("7", "90", "13", "x"):
        assert (await owner.get(f"/console/marketing/channels/{channel_id}?days={days}")).status_code == 200
    edited = await post_form(owner, f"/console/marketing/channels/{channel_id}", {"name": "Riverside group", "kind": "other", "notes": ""})
    assert edited.status_code == 303
    listed = await owner.get("/console/marketing/channels")
    assert "Riverside group" in listed.text
    assert (await owner.get("/console/marketing/channels/999999999")).status_code == 404


@pytest.mark.parametrize("fields, field", [
    ({"name": "", "kind": "agency"}, "name"),
    ({"name": "x" * 81, "kind": "agency"}, "name"),
    ({"name": "a\x00b", "kind": "agency"}, "name"),
    ({"name": "Ok", "kind": "spaceship"}, "kind"),
    ({"name": "Ok", "kind": "agency", "notes": "n" * 1001}, "notes"),
    ({"name": "Ok", "kind": "agency", "notes": "\x00"}, "notes"),
])
async def test_hostile_channel_forms_are_refused_at_the_field(owner, tenant_a, fields, field):
    response = await post_form(owner, "/console/marketing/channels/new", fields)
    assert response.status_code == 400
    assert f'id="field-{field}-error"' in response.text
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_marketing_channel") == 0


async def test_a_second_channel_of_the_same_name_is_refused(owner):
    assert (await post_form(owner, "/console/marketing/channels/new", {"name": "Flyers", "kind": "flyer"})).status_code == 303
    again = await post_form(owner, "/console/marketing/channels/new", {"name": "Flyers", "kind": "flyer"})
    assert again.status_code == 400 and "A channel of this name exists." in again.text


async def test_a_segment_is_previewed_saved_and_deleted(owner, tenant_a):
    await make_customer(tenant_a, name="Newcomer Wu")
    form = {"name": "New this month", "use": "new", "f.new.days": "30"}
    preview = await post_form(owner, "/console/marketing/segments/new", {**form, "action": "preview"})
    assert preview.status_code == 200 and "Newcomer Wu" in preview.text
    fragment = await post_form(owner, "/console/marketing/segments/preview", form, headers={"hx-request": "true"})
    assert fragment.status_code == 200 and "Newcomer Wu" in fragment.text and "<html" not in fragment.text
    saved = await post_form(owner, "/console/marketing/segments/new", {**form, "action": "save"})
    assert saved.status_code == 303
    segment_url = saved.headers["location"].split("?")[0]
    listed = await owner.get("/console/marketing/segments")
    assert "New this month" in listed.text and re.search(r">\s*1\s*<", listed.text)
    assert (await post_form(owner, f"{segment_url}/delete")).status_code == 303
    assert "New this month" not in (await owner.get("/console/marketing/segments")).text


@pytest.mark.parametrize("fields, field", [
    ({"name": "", "use": "new"}, "name"),
    ({"name": "n" * 81}, "name"),
    ({"name": "n\x00"}, "name"),
    ({"name": "Ok", "use": "new", "f.new.days": "0"}, "f.new.days"),
    ({"name": "Ok", "use": "new", "f.new.days": "99999999999999999999999"}, "f.new.days"),
    ({"name": "Ok", "use": "dormant", "f.dormant.days": "\x00"}, "f.dormant.days"),
    ({"name": "Ok", "use": "spent", "f.spent.amount": "1e308"}, "f.spent.amount"),
    ({"name": "Ok", "use": "spent"}, "f.spent.amount"),
    ({"name": "Ok", "use": "district", "f.district.district": "d" * 5000}, "f.district.district"),
    ({"name": "Ok", "use": "channel", "f.channel.channel": "9223372036854775808"}, "f.channel.channel"),
])
async def test_hostile_segment_forms_are_refused_at_the_field(owner, tenant_a, fields, field):
    for action in ("save", "preview"):
        response = await post_form(owner, "/console/marketing/segments/new", {**fields, "action": action})
        if action == "preview" and field == "name":
            continue  # a preview does not need a name
        assert response.status_code == 400, (action, response.status_code)
        assert f'id="field-{field}-error"' in response.text or (field.startswith("f.") and "field__error" in response.text)
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_marketing_segment") == 0


async def test_an_unknown_filter_is_refused(owner):
    response = await post_form(owner, "/console/marketing/segments/new", {"name": "Ok", "use": "x" * 500, "action": "save"})
    assert response.status_code == 400 and "This filter is not available." in response.text
