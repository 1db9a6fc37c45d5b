"""The operator creates a franchise's owner in the platform console (no CLI needed), who then
signs in to the franchise's console."""

from __future__ import annotations

from platform_core.testing.factories import (
    make_console_user,
    post_form,
    sign_in,
    unique_email,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for
from tests.tenancy.test_platform_console import operator_client  # noqa: F401  (fixture)


async def test_the_operator_creates_an_owner_who_signs_in_to_the_franchise(app, operator_client, tenant_a, tenant_b):  # noqa: F811
    page = await operator_client.get(f"/platform/tenants/{tenant_a.slug}")
    assert "This franchise has no owner yet" in page.text and f'action="/platform/tenants/{tenant_a.slug}/owners"' in page.text
    email = unique_email("owner")
    done = await post_form(operator_client, f"/platform/tenants/{tenant_a.slug}/owners",
                           {"display_name": "Zhang Wei", "email": email, "password": "a-long-first-password"})
    assert done.status_code == 303 and done.headers["location"] == f"/platform/tenants/{tenant_a.slug}?done=owner#owners"
    listed = await operator_client.get(f"/platform/tenants/{tenant_a.slug}?done=owner")
    assert "The owner has been created." in listed.text and email in listed.text
    assert email not in (await operator_client.get(f"/platform/tenants/{tenant_b.slug}")).text  # one franchise's owner

    async with client_for(app, f"{tenant_a.slug}.localhost") as franchise:
        signed = await sign_in(with_csrf(franchise), email, "a-long-first-password")
        assert signed.status_code == 303 and (await franchise.get("/console/users")).status_code == 200
    async with client_for(app, f"{tenant_b.slug}.localhost") as other:
        assert (await sign_in(with_csrf(other), email, "a-long-first-password")).status_code != 303


async def test_a_bad_owner_form_is_refused_next_to_its_fields_and_nothing_is_created(operator_client, tenant_a):  # noqa: F811
    taken = await make_console_user(tenant_a, "manager")
    short = await post_form(operator_client, f"/platform/tenants/{tenant_a.slug}/owners",
                            {"display_name": "Zhang Wei", "email": unique_email("owner"), "password": "short"})
    assert short.status_code == 400 and "Use at least 10 characters." in short.text and 'value="Zhang Wei"' in short.text
    duplicate = await post_form(operator_client, f"/platform/tenants/{tenant_a.slug}/owners",
                                {"display_name": "Zhang Wei", "email": taken.email, "password": "a-long-first-password"})
    assert duplicate.status_code == 409 and "A user with this email already exists." in duplicate.text
    assert "This franchise has no owner yet" in (await operator_client.get(f"/platform/tenants/{tenant_a.slug}")).text
