"""The console's catalog: who may open it, the category tree, and the item form with its block
editor and add-ons."""

from __future__ import annotations

import pytest

from platform_core.catalog import services
from platform_core.catalog.schemas import CategoryCreate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    post_form,
    sign_in,
    with_csrf,
)


@pytest.fixture
async def manager(client_a, tenant_a):
    user = await make_console_user(tenant_a, "manager")
    with_csrf(client_a)
    assert (await sign_in(client_a, user.email)).status_code == 303
    return client_a


@pytest.fixture
async def cleaning(tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        return await services.create_category(tenant, CategoryCreate(code="cleaning", title="Cleaning", icon="broom"))


async def test_a_dispatcher_may_not_edit_the_catalog_and_visitors_are_sent_to_sign_in(client_a, tenant_a, cleaning):
    assert (await client_a.get("/console/catalog")).status_code == 303
    user = await make_console_user(tenant_a, "dispatcher")
    with_csrf(client_a)
    await sign_in(client_a, user.email)
    assert (await client_a.get("/console/catalog")).status_code == 403
    assert (await client_a.get("/console/catalog/items/new")).status_code == 403
    refused = await post_form(client_a, "/console/catalog/categories", {"code": "x", "title": "X"})
    assert refused.status_code == 403
    assert (await post_form(client_a, f"/console/catalog/categories/{cleaning.id}/active", {"active": ""})).status_code == 403
    async with tenant_scope(tenant_a.id):
        assert (await services.get_category(cleaning.id)).active


async def test_the_menu_shows_the_catalog_to_those_who_may_edit_it(manager):
    page = await manager.get("/console/")
    assert 'href="/console/catalog"' in page.text and "Services &amp; prices" in page.text
    # The catalog's own pages carry the console navigation too.
    assert 'href="/console/catalog" aria-current="page"' in (await manager.get("/console/catalog")).text


async def test_manager_adds_a_category_under_another_and_sees_field_errors(manager, tenant_a, cleaning):
    bad = await post_form(manager, "/console/catalog/categories", {"code": "Bad Code", "title": "", "sort_order": "x"})
    assert bad.status_code == 400
    assert "This field is required." in bad.text and "Use lowercase letters" in bad.text
    done = await post_form(manager, "/console/catalog/categories", {
        "code": "deep", "title": "Deep cleaning", "parent_id": str(cleaning.id), "icon": "sparkle", "sort_order": "0",
    })
    assert done.status_code == 303
    page = await manager.get("/console/catalog")
    assert "Deep cleaning" in page.text and "The category has been added." in (await manager.get(done.headers["location"])).text
    async with tenant_scope(tenant_a.id):
        deep = await services.get_category_by_code("deep")
    assert deep.parent_id == cleaning.id
    # Putting a category under its own subcategory is refused next to the field.
    loop = await post_form(manager, f"/console/catalog/categories/{cleaning.id}", {
        "code": "cleaning", "title": "Cleaning", "parent_id": str(deep.id), "icon": "broom", "sort_order": "0", "active": "1",
    })
    assert loop.status_code == 400 and "can not be placed under itself" in loop.text


async def test_manager_reorders_and_deactivates_categories(manager, tenant_a, cleaning, runtime):
    async with tenant_scope(tenant_a.id) as tenant:
        care = await services.create_category(tenant, CategoryCreate(code="care", title="Care", sort_order=5))
    assert (await post_form(manager, f"/console/catalog/categories/{care.id}/move", {"direction": "up"})).status_code == 303
    assert (await post_form(manager, f"/console/catalog/categories/{cleaning.id}/active", {"active": ""})).status_code == 303
    async with tenant_scope(tenant_a.id) as tenant:
        everything = await services.list_categories(tenant, for_customer=False)
        assert [c.code for c in everything] == ["care", "cleaning"]
        assert [c.code for c in await services.list_categories(tenant)] == ["care"]


ITEM_FORM = {
    "title": "Air conditioner cleaning", "slug": "aircon", "summary": "Filters and coil washed.",
    "pricing_model": "fixed", "price": "120", "min_quantity": "1", "duration_minutes": "90", "sort_order": "0",
    "required_skills": "ac_cleaning", "districts": "Pudong, Xuhui", "active": "1",
    "content-0-type": "steps", "content-0-title": "How we do it", "content-0-steps": "Check | Run the unit\nWash",
    "content-1-type": "result", "content-1-title": "", "content-1-body": "Fresh air.", "content-1-image_url": "",
    "addon-0-id": "", "addon-0-title": "Floor-standing unit", "addon-0-price": "80", "addon-0-duration_minutes": "30",
    "addon-0-active": "1",
}


async def test_manager_creates_an_item_with_content_and_an_addon(manager, tenant_a, cleaning):
    form = {**ITEM_FORM, "category_id": str(cleaning.id)}
    done = await post_form(manager, "/console/catalog/items", form)
    assert done.status_code == 303, done.text
    async with tenant_scope(tenant_a.id):
        item = await services.get_item_by_slug("aircon")
    assert (item.price, item.currency, item.districts) == (12000, "CNY", ["Pudong", "Xuhui"])
    assert item.content[0].steps[0].title == "Check" and item.content[0].steps[0].detail == "Run the unit"
    assert [(a.title, a.price, a.duration_minutes) for a in item.addons] == [("Floor-standing unit", 8000, 30)]
    edit = await manager.get(done.headers["location"])
    assert edit.status_code == 200 and "The service has been saved." not in edit.text and "120.00" in edit.text
    # Edit: a new price and the add-on taken off sale.
    changed = {**form, "price": "135.5", "addon-0-id": str(item.addons[0].id), "addon-0-active": ""}
    assert (await post_form(manager, f"/console/catalog/items/{item.id}", changed)).status_code == 303
    async with tenant_scope(tenant_a.id):
        item = await services.get_item(item.id)
    assert item.price == 13550 and not item.addons[0].active


async def test_item_form_errors_show_next_to_each_field(manager, cleaning):
    form = {**ITEM_FORM, "category_id": str(cleaning.id), "price": "12.345", "duration_minutes": "5", "slug": "Bad Slug",
            "content-1-body": "", "addon-0-price": "lots"}
    refused = await post_form(manager, "/console/catalog/items", form)
    assert refused.status_code == 400
    assert "Enter an amount like 50 or 49.90." in refused.text
    form["price"] = "120"
    refused = await post_form(manager, "/console/catalog/items", {**form, "addon-0-price": "80"})
    assert refused.status_code == 400
    text = refused.text
    assert "Between 15 minutes and 60 days." in text and "Use lowercase letters, digits and -" in text
    assert 'id="field-content-1-body"' in text and "This field is required." in text
    assert 'value="Floor-standing unit"' in text  # what was typed is kept


async def test_block_editor_buttons_change_the_form_without_saving(manager, tenant_a, cleaning):
    form = {**ITEM_FORM, "category_id": str(cleaning.id)}
    added = await post_form(manager, "/console/catalog/items", {**form, "op": "add-block:video"})
    assert added.status_code == 200 and 'name="content-2-type" value="video"' in added.text
    moved = await post_form(manager, "/console/catalog/items", {**form, "op": "down:0"})
    assert 'name="content-0-type" value="result"' in moved.text and 'name="content-1-type" value="steps"' in moved.text
    removed = await post_form(manager, "/console/catalog/items", {**form, "op": "remove:0"})
    assert 'name="content-0-type" value="result"' in removed.text and "content-1-type" not in removed.text
    addon = await post_form(manager, "/console/catalog/items", {**form, "op": "add-addon"})
    assert 'name="addon-1-title"' in addon.text
    async with tenant_scope(tenant_a.id):
        assert await services.list_items() == []


async def test_another_tenants_category_or_item_is_not_found(manager, tenant_b):
    async with tenant_scope(tenant_b.id) as tenant:
        theirs = await services.create_category(tenant, CategoryCreate(code="theirs", title="Theirs"))
    assert (await manager.get(f"/console/catalog/categories/{theirs.id}")).status_code == 404
    assert (await post_form(manager, f"/console/catalog/categories/{theirs.id}/active", {"active": ""})).status_code == 404
    assert (await manager.get("/console/catalog/items/987654321")).status_code == 404


FIELDS_FORM = {
    "max_quantity": "5",
    "field-0-type": "select", "field-0-name": "appliance", "field-0-label": "Appliance", "field-0-required": "1",
    "field-0-choices": "Air conditioner\nWashing machine\n", "field-0-help": "",
    "field-1-type": "number", "field-1-name": "units", "field-1-label": "Indoor units", "field-1-min": "1", "field-1-max": "6",
    "field-2-type": "photo", "field-2-name": "fault_photo", "field-2-label": "Photo of the fault",
}


async def test_manager_sets_the_limits_and_edits_the_booking_form_of_an_item(manager, tenant_a, cleaning):
    form = {**ITEM_FORM, **FIELDS_FORM, "category_id": str(cleaning.id)}
    done = await post_form(manager, "/console/catalog/items", form)
    assert done.status_code == 303, done.text
    async with tenant_scope(tenant_a.id):
        item = await services.get_item_by_slug("aircon")
    assert (item.min_quantity, item.max_quantity) == (1, 5)
    assert [(f.name, f.type, f.required) for f in item.booking_fields] == [
        ("appliance", "select", True), ("units", "number", False), ("fault_photo", "photo", False),
    ]
    assert item.booking_fields[0].choices == ["Air conditioner", "Washing machine"]
    assert (item.booking_fields[1].min, item.booking_fields[1].max) == (1, 6)
    # Moving the photo up and saving keeps the new order; removing a field drops it.
    moved = await post_form(manager, f"/console/catalog/items/{item.id}", {**form, "op": "field-up:2"})
    assert moved.status_code == 200
    assert moved.text.index('value="fault_photo"') < moved.text.index('value="units"')
    changed = {**form, "field-1-type": "photo", "field-1-name": "fault_photo", "field-1-label": "Photo of the fault",
               "field-1-min": "", "field-1-max": "", "field-2-type": "number", "field-2-name": "units", "field-2-label": "Indoor units",
               "field-2-min": "1", "field-2-max": "6"}
    assert (await post_form(manager, f"/console/catalog/items/{item.id}", changed)).status_code == 303
    async with tenant_scope(tenant_a.id):
        assert [f.name for f in (await services.get_item(item.id)).booking_fields] == ["appliance", "fault_photo", "units"]
    added = await post_form(manager, f"/console/catalog/items/{item.id}", {**changed, "op": "field-add:date"})
    assert 'name="field-3-type" value="date"' in added.text
    removed = await post_form(manager, f"/console/catalog/items/{item.id}", {**changed, "op": "field-remove:0"})
    assert 'value="appliance"' not in removed.text and 'name="field-1-type" value="number"' in removed.text
    async with tenant_scope(tenant_a.id):
        assert len((await services.get_item(item.id)).booking_fields) == 3  # buttons do not save


async def test_bad_limits_and_booking_fields_are_field_errors_and_nothing_is_saved(manager, tenant_a, cleaning):
    form = {**ITEM_FORM, **FIELDS_FORM, "category_id": str(cleaning.id), "pricing_model": "hourly", "min_quantity": "3",
            "max_quantity": "2", "field-0-choices": "", "field-1-min": "10", "field-1-max": "2", "field-2-label": " "}
    refused = await post_form(manager, "/console/catalog/items", form)
    assert refused.status_code == 400
    text = refused.text
    for message in ("Between the minimum and 1000.", "Add at least one choice, one a line.",
                    "The largest value can not be below the smallest.", "This field is required."):
        assert message in text
    assert 'id="field-max_quantity"' in text and 'id="field-field-1-max"' in text and 'id="field-field-0-choices"' in text
    async with tenant_scope(tenant_a.id):
        assert await services.list_items() == []


def png(width: int = 4, height: int = 3) -> bytes:
    """A real PNG (a browser draws it), made without an imaging library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x4f\x46\xe5" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


async def test_pictures_are_uploaded_not_typed_and_can_be_taken_off(manager, tenant_a, cleaning):
    form = {**ITEM_FORM, "category_id": str(cleaning.id), "cover_url": "", "content-2-type": "image", "content-2-url": "",
            "content-2-caption": "The coil, before and after"}
    page = await manager.get("/console/catalog/items/new")
    assert 'enctype="multipart/form-data"' in page.text and 'type="file" name="cover_url:file"' in page.text
    assert 'name="cover_url" value=""' in page.text and 'type="hidden" name="cover_url"' in page.text  # no address to type
    picture = png()
    done = await post_form(manager, "/console/catalog/items", form,
                           files={"cover_url:file": ("cover.png", picture, "image/png"), "content-2-url:file": ("coil.png", picture, "image/png")})
    assert done.status_code == 303, done.text
    async with tenant_scope(tenant_a.id):
        item = await services.get_item_by_slug("aircon")
    assert item.cover_url.startswith("/media/") and item.content[2].url.startswith("/media/")
    assert (await manager.get(item.cover_url)).content == picture  # served back on the franchise's host
    edit = await manager.get(done.headers["location"])
    assert f'src="{item.cover_url}"' in edit.text

    # Taking the cover off, and a file that is no picture: refused next to its field, nothing saved.
    kept = {**form, "cover_url": item.cover_url, "content-2-url": item.content[2].url}
    refused = await post_form(manager, f"/console/catalog/items/{item.id}", {**kept, "title": "Changed"},
                              files={"content-2-url:file": ("notes.txt", b"not a picture", "text/plain")})
    assert refused.status_code == 400 and "Upload a JPEG, PNG or WebP photo." in refused.text
    assert 'id="field-content-2-url"' in refused.text
    removed = await post_form(manager, f"/console/catalog/items/{item.id}", {**kept, "cover_url:remove": "1"})
    assert removed.status_code == 303
    async with tenant_scope(tenant_a.id):
        item = await services.get_item(item.id)
    assert item.cover_url == "" and item.title == "Air conditioner cleaning" and item.content[2].url.startswith("/media/")


async def test_a_long_stay_lasts_days_in_the_form(manager, tenant_a, cleaning):
    form = {**ITEM_FORM, "category_id": str(cleaning.id), "slug": "yuesao"}
    del form["duration_minutes"]
    done = await post_form(manager, "/console/catalog/items", {**form, "duration_value": "26", "duration_unit": "days"})
    assert done.status_code == 303, done.text
    async with tenant_scope(tenant_a.id):
        assert (await services.get_item_by_slug("yuesao")).duration_minutes == 26 * 24 * 60
    page = (await manager.get(done.headers["location"])).text
    assert 'name="duration_value" value="26"' in page and '<option value="days" selected>' in page
    refused = await post_form(manager, "/console/catalog/items", {**form, "slug": "x", "duration_value": "a week", "duration_unit": "days"})
    assert refused.status_code == 400 and 'name="duration_value" value="a week"' in refused.text



async def test_a_video_block_takes_an_uploaded_video_and_refuses_a_picture(manager, tenant_a, cleaning):
    form = {**ITEM_FORM, "category_id": str(cleaning.id), "content-2-type": "video", "content-2-url": "",
            "content-2-poster": "", "content-2-caption": "How we wash the coil"}
    clip = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 256
    refused = await post_form(manager, "/console/catalog/items", form, files={"content-2-url:file": ("coil.png", png(), "image/png")})
    assert refused.status_code == 400 and "Upload an MP4 or WebM video." in refused.text
    done = await post_form(manager, "/console/catalog/items", form, files={"content-2-url:file": ("coil.mp4", clip, "video/mp4"),
                                                                            "content-2-poster:file": ("poster.png", png(), "image/png")})
    assert done.status_code == 303, done.text
    async with tenant_scope(tenant_a.id):
        video = (await services.get_item_by_slug("aircon")).content[2]
    assert video.url.endswith(".mp4") and video.poster.endswith(".png")
    served = await manager.get(video.url)
    assert served.content == clip and served.headers["content-type"] == "video/mp4"
