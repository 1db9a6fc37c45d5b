"""Roles and permissions: guards read the CURRENT role on every request; the last owner stays."""

from __future__ import annotations

import pytest
from litestar.connection import ASGIConnection

from platform_core.accounts.guards import require_console
from platform_core.accounts.permissions import (
    ALL_PERMISSIONS,
    PERMISSIONS,
    ROLE_PERMISSIONS,
    ROLES,
)
from platform_core.errors import Forbidden
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    post_form,
    sign_in,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

JSON = {"accept": "application/json"}


@pytest.fixture
async def console_a(app, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        yield with_csrf(client)


def test_owner_has_every_permission_and_manager_all_but_users_and_payouts():
    assert ROLE_PERMISSIONS["owner"] == ALL_PERMISSIONS
    assert ALL_PERMISSIONS - ROLE_PERMISSIONS["manager"] == {"users.manage", "finance.manage"}
    assert all("console.view" in ROLE_PERMISSIONS[role] for role in ROLES)


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_is_refused_exactly_the_permissions_it_lacks(app, tenant_a, role):
    user = await make_console_user(tenant_a, role)
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        token = (await sign_in(with_csrf(client), user.email)).cookies["hearth_sid"]
    for permission in sorted(ALL_PERMISSIONS):
        scope = {
            "type": "http", "litestar_app": app, "path": "/console/x", "headers": [(b"cookie", f"hearth_sid={token}".encode())],
            "state": {}, "method": "GET", "query_string": b"",
        }
        async with tenant_scope(tenant_a.id):
            guard = require_console(permission)
            if permission in ROLE_PERMISSIONS[role]:
                await guard(ASGIConnection(scope), None)  # type: ignore[arg-type]
                assert scope["state"]["permissions"] == ROLE_PERMISSIONS[role]
                assert scope["state"]["console_user"].id == user.id
            else:
                with pytest.raises(Forbidden):
                    await guard(ASGIConnection(scope), None)  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ["manager", "dispatcher", "finance", "support"])
async def test_only_owners_manage_users(console_a, tenant_a, role):
    user = await make_console_user(tenant_a, role)
    await sign_in(console_a, user.email)
    assert (await console_a.get("/console/")).status_code == 200
    assert (await console_a.get("/console/users", headers=JSON)).status_code == 403
    assert (await console_a.get("/console/roles", headers=JSON)).status_code == 403
    created = await post_form(console_a, "/console/users", {"email": "x@example.com", "display_name": "X", "role": "owner",
                                                            "password": "long-enough-pass"}, headers=JSON)
    assert created.status_code == 403


async def test_navigation_shows_only_what_the_role_may_open(console_a, tenant_a):
    support = await make_console_user(tenant_a, "support")
    await sign_in(console_a, support.email)
    page = await console_a.get("/console/")
    assert 'href="/console/account/security"' in page.text
    assert 'href="/console/users"' not in page.text


async def test_a_demoted_user_loses_access_at_once(app, console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    second = await make_console_user(tenant_a, "owner")
    async with client_for(app, f"{tenant_a.slug}.localhost") as other:
        with_csrf(other)
        await sign_in(other, second.email)
        assert (await other.get("/console/users")).status_code == 200
        await sign_in(console_a, owner.email)
        assert (await post_form(console_a, f"/console/users/{second.id}", {"role": "support"})).status_code == 303
        # Same session, next request: the new role applies.
        assert (await other.get("/console/users", headers=JSON)).status_code == 403
        assert (await other.get("/console/")).status_code == 200


async def test_a_disabled_user_is_signed_out_at_once(app, console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    manager = await make_console_user(tenant_a, "manager")
    async with client_for(app, f"{tenant_a.slug}.localhost") as other:
        with_csrf(other)
        await sign_in(other, manager.email)
        assert (await other.get("/console/")).status_code == 200
        await sign_in(console_a, owner.email)
        await post_form(console_a, f"/console/users/{manager.id}", {"status": "disabled"})
        response = await other.get("/console/")
        assert response.status_code == 303 and response.headers["location"].startswith("/console/sign-in")


async def test_the_last_active_owner_cannot_demote_or_disable_themselves(console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    demote = await post_form(console_a, f"/console/users/{owner.id}", {"role": "manager"})
    assert demote.status_code == 409
    assert "at least one active owner" in demote.text
    disable = await post_form(console_a, f"/console/users/{owner.id}", {"status": "disabled"})
    assert disable.status_code == 409
    # With a second owner, stepping down is fine.
    second = await make_console_user(tenant_a, "owner")
    assert (await post_form(console_a, f"/console/users/{owner.id}", {"role": "manager"})).status_code == 303
    assert second.role == "owner"


async def test_owner_adds_a_user_who_can_then_sign_in(app, console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    bad = await post_form(console_a, "/console/users", {"email": "not-an-email", "display_name": "", "role": "dispatcher",
                                                        "password": "long-enough-pass"})
    assert bad.status_code == 400
    assert "Enter a valid email address." in bad.text
    short = await post_form(console_a, "/console/users", {"email": "d@example.com", "display_name": "Dee", "role": "dispatcher",
                                                          "password": "short"})
    assert short.status_code == 400 and "Use at least 10 characters." in short.text
    created = await post_form(console_a, "/console/users", {"email": "Dee@Example.com", "display_name": "Dee", "role": "dispatcher",
                                                            "password": "long-enough-pass"})
    assert created.status_code == 303
    again = await post_form(console_a, "/console/users", {"email": "dee@example.com", "display_name": "Dee 2", "role": "support",
                                                          "password": "long-enough-pass"})
    assert again.status_code == 409  # emails are case-insensitive
    async with client_for(app, f"{tenant_a.slug}.localhost") as dee:
        with_csrf(dee)
        assert (await sign_in(dee, "dee@example.com", "long-enough-pass")).status_code == 303


async def test_roles_page_shows_the_matrix(console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    page = await console_a.get("/console/roles")
    assert page.status_code == 200
    for permission, label in PERMISSIONS.items():
        assert label in page.text and permission not in page.text  # in words, not codes
