"""This domain's hook implementations (registered as a core plugin)."""

from __future__ import annotations

import msgspec

from platform_core.bounds import text
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry, SegmentFilterSpec, SegmentSql

from . import (
    address_views,
    console_cli,
    console_views,
    controllers,
    customer_admin,
    inbox_controllers,
    inbox_views,
    legal_views,
    member_views,
    platform_views,
    realname_console_views,
    realname_views,
    second_factor_controllers,
    second_factor_views,
    services,
    sign_in_methods,
    sign_in_views,
    views,
)


@hookimpl
def register_routes():
    return [
        controllers.AuthController,
        controllers.LegalController,
        controllers.MeController,
        *sign_in_views.SIGN_IN_HANDLERS,
        *sign_in_methods.HANDLERS,
        *views.CUSTOMER_HANDLERS,
        address_views.AddressController,
        *views.STAFF_HANDLERS,
        *console_views.console_handlers(),
        *platform_views.platform_handlers(),
        inbox_controllers.NotificationController,
        *inbox_views.INBOX_HANDLERS,
        *legal_views.LEGAL_HANDLERS,
        *member_views.MEMBER_HANDLERS,
        *realname_views.HANDLERS,
        *realname_console_views.HANDLERS,
        *second_factor_views.SECOND_FACTOR_HANDLERS,
        *second_factor_controllers.API_HANDLERS,
    ]


# Console users, roles and operators (console_views.py, platform_views.py, console_cli.py).
@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Dashboard", href="/console/", icon="home", section="operations", order=0),
        MenuEntry(label="Verifications", href="/console/verifications", icon="shield", section="operations", permission="kyc", order=75),
        MenuEntry(label="Users", href="/console/users", icon="users", section="settings", permission="users.manage", order=10),
        MenuEntry(label="Roles", href="/console/roles", icon="key", section="settings", permission="users.manage", order=20),
        MenuEntry(label="Terms & privacy", href="/console/legal", icon="shield", section="settings", permission="settings.manage", order=40),
        MenuEntry(label="Security", href="/console/account/security", icon="shield", section="settings", order=90),
    ]


# The daily prune of sign-in records and anonymisation of closed accounts, and the SMS that tells
# a customer their account's new state (customer_admin.py).
@hookimpl
def register_job_handlers():
    return customer_admin.JOB_HANDLERS


@hookimpl
def register_cli_commands(cli):
    cli.add_command(console_cli.users)


# --- marketing segments: the filters over accounts' own tables --------------------------------


class DistrictParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    district: text(100, min_length=1)  # type: ignore[valid-type]


def _in_district(params: DistrictParams) -> SegmentSql:
    return services.customers_in_district_sql(params.district.strip())


async def _district_options() -> dict[str, list[tuple[str, str]]]:
    return {"district": [(d, d) for d in await services.address_districts()]}


@hookimpl
def provide_segment_filters():
    return [SegmentFilterSpec(
        name="district", label="Lives in a district", params=DistrictParams, members=_in_district,
        options=_district_options, param_labels={"district": "District"}, order=50,
    )]
