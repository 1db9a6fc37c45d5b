"""Who may see and change a care plan: its customer (the owner), and the family members they
invited by phone, who sign in as customers of the franchise. A member reads the plan, its visits
and its care logs; only one the owner allowed (`may_manage`) pauses, resumes and decides the
trial. Paying stays the owner's: the visits are the owner's orders. Anyone else finds no plan."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

import asyncpg
import msgspec

from platform_core.plugin_api import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    current_connection,
    current_tenant,
    customer_id_for_phone,
    decrypt_text,
    encrypt_text,
)
from platform_core.plugin_api import (
    lazy_gettext as N_,
)

from . import plans

CONTEXT = "elder_care.family.phone"
Role = Literal["owner", "manager", "reader"]
PHONE = re.compile(r"^\+?[0-9]{6,15}$")


class Member(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    plan_id: int
    member_id: int | None  # None until that phone's owner signs up
    phone_masked: str
    may_manage: bool
    created_at: datetime


def _member(row) -> Member:
    return msgspec.convert(dict(row), Member)


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) > 7 else "****" + phone[-2:]


async def role_in(plan: plans.Plan, customer_id: int) -> Role:
    """The customer's part in the plan; NotFound when they have none (another's plan is not there)."""
    if plan.customer_id == customer_id:
        return "owner"
    may_manage = await current_connection().fetchval(
        "select may_manage from elder_care_family where plan_id = $1 and member_id = $2", plan.id, customer_id)
    if may_manage is None:
        raise NotFound("plan")
    return "manager" if may_manage else "reader"


async def plan_for(plan_id: int, customer_id: int, *, manage: bool = False) -> tuple[plans.Plan, Role]:
    """The plan as the customer may see it; `manage`: they must be allowed to change it."""
    plan = await plans.get_plan(plan_id)
    role = await role_in(plan, customer_id)
    if manage and role == "reader":
        raise Forbidden("Only the plan's owner, or family they allowed, can change it.")
    return plan, role


async def shared_with(customer_id: int) -> list[plans.Plan]:
    """Plans of others the customer was invited to."""
    ids = [r["plan_id"] for r in await current_connection().fetch("select plan_id from elder_care_family where member_id = $1", customer_id)]
    return await plans.plans_by_id(ids) if ids else []


async def members(plan_id: int) -> list[Member]:
    rows = await current_connection().fetch(
        "select id, plan_id, member_id, phone_masked, may_manage, created_at from elder_care_family where plan_id = $1 order by id",
        plan_id)
    return [_member(r) for r in rows]


async def invite(plan: plans.Plan, phone: str, may_manage: bool) -> Member:
    """Invite a family member by phone (the owner's act): linked at once when the number is a
    customer's, else when its owner signs up (`link_new_customer`)."""
    number = re.sub(r"[\s-]", "", phone)
    if not PHONE.match(number):
        raise ValidationFailed({"phone": N_("Enter a valid phone number.")})
    member_id = await customer_id_for_phone(current_tenant(), number)
    if member_id == plan.customer_id:
        raise ValidationFailed({"phone": N_("That is your own number.")})
    conn = current_connection()
    existing = await conn.fetch("select phone_cipher, member_id from elder_care_family where plan_id = $1", plan.id)
    if any((member_id is not None and r["member_id"] == member_id) or decrypt_text(r["phone_cipher"], context=CONTEXT) == number
           for r in existing):
        raise ValidationFailed({"phone": N_("This number is already invited.")})
    if len(existing) >= 10:
        raise ValidationFailed({"phone": N_("A plan has at most 10 family members.")})
    row = await conn.fetchrow(
        "insert into elder_care_family (tenant_id, plan_id, member_id, phone_cipher, phone_masked, may_manage) "
        "values ($1, $2, $3, $4, $5, $6) returning id, plan_id, member_id, phone_masked, may_manage, created_at",
        current_tenant().id, plan.id, member_id, encrypt_text(number, context=CONTEXT), _mask(number), may_manage)
    return _member(row)


async def remove(plan: plans.Plan, member_row_id: int) -> None:
    done = await current_connection().fetchval(
        "delete from elder_care_family where id = $1 and plan_id = $2 returning id", member_row_id, plan.id)
    if done is None:
        raise NotFound("member")


async def link_new_customer(customer_id: int) -> int:
    """A customer signed up: the invitations waiting for their number become theirs. Returns how
    many (the invitations of a franchise waiting for sign-up are few)."""
    conn = current_connection()
    linked = 0
    for row in await conn.fetch("select id, phone_cipher from elder_care_family where member_id is null"):
        if await customer_id_for_phone(current_tenant(), decrypt_text(row["phone_cipher"], context=CONTEXT)) == customer_id:
            try:
                async with conn.transaction():
                    await conn.execute("update elder_care_family set member_id = $2 where id = $1", row["id"], customer_id)
                linked += 1
            except asyncpg.exceptions.UniqueViolationError:
                pass  # the same plan invited them twice under two spellings: one is enough
    return linked


def refuse_if_not_owner(role: Role) -> None:
    if role != "owner":
        raise Conflict("Only the plan's owner can do that.")
