"""The franchise's requirement rules: a category, or one of its items, needs a credential kind."""

from __future__ import annotations

import asyncpg

from platform_core.catalog.services import get_item
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from .eligibility import rules_written
from .kinds import all_kinds
from .schemas import RuleCreate

DUPLICATE = N_("This rule exists already.")


async def add_rule(data: RuleCreate, *, by: int, categories: set[str]) -> None:
    errors = {}
    if data.category not in categories:
        errors["category"] = N_("Choose one of the franchise's categories.")
    if data.kind not in await all_kinds():
        errors["kind"] = N_("Choose one of the kinds offered.")
    if data.item_id is not None and not errors:
        try:
            item = await get_item(data.item_id)
        except NotFound:
            item = None
        if item is None or item.category_code != data.category:
            errors["item_id"] = N_("Choose a service of this category, or none for the whole category.")
    if errors:
        raise ValidationFailed(errors)
    rules_written()
    try:
        async with current_connection().transaction():
            await current_connection().execute(
                "insert into core_credential_requirement (tenant_id, category, item_id, kind, created_by) values ($1, $2, $3, $4, $5)",
                current_tenant().id, data.category, data.item_id, data.kind, by)
    except asyncpg.UniqueViolationError:
        raise Conflict(DUPLICATE, fields={"kind": DUPLICATE}) from None


async def delete_rule(rule_id: int) -> None:
    rules_written()
    deleted = await current_connection().fetchval("delete from core_credential_requirement where id = $1 returning id", rule_id)
    if deleted is None:
        raise NotFound("rule")
