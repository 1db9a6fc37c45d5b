"""Who may do a piece of work: the franchise's rules for the category and item joined with every
``compute_order_requirements`` answer (plugins', the training domain's), checked against each
worker's approved credentials and recorded course passes.

The check is by date at query time: a credential counts while it is approved and its expiry is
not before the visit's local day, so an expired or revoked one takes the worker off the work at
once, with no job to run. A worker is eligible when nothing is missing."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import msgspec

from platform_core.db import current_connection
from platform_core.pluginsys.calls import collect
from platform_core.pluginsys.contexts import CourseEvent, Requirement, RequirementQuery
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.stamped import Stamped
from platform_core.web.i18n import gettext as _

from .kinds import all_kinds, label_of
from .schemas import Needs, Rule


async def rules(category: str | None = None) -> list[Rule]:
    rows = await current_connection().fetch(
        "select id, category, item_id, kind from core_credential_requirement where ($1::text is null or category = $1) "
        "order by category, item_id nulls first, kind", category)
    return [Rule(**dict(r)) for r in rows]


# The franchise's rules by its stamp (a trigger on the rules renews it, qualifications_0001): a
# booking checks them on every placement and every page of times without a statement.
_kept_rules: Stamped[tuple[Rule, ...]] = Stamped("credential_rules", limit=10_000)


async def kept_rules() -> tuple[Rule, ...]:
    return await _kept_rules.get(current_tenant(), ("all",), lambda: _all_rules())


async def _all_rules() -> tuple[Rule, ...]:
    return tuple(await rules())


def rules_written() -> None:
    """A rule changed in this transaction: read them from the database until it ends."""
    _kept_rules.written()


async def needs(*, category: str, item_id: int, customer_id: int | None = None, order_id: int | None = None) -> Needs:
    """What the work needs: the franchise's rules for its category and item, and each plugin's."""
    credentials = {r.kind for r in await kept_rules() if r.category == category and r.item_id in (None, item_id)}
    courses: set[str] = set()
    reasons: list[str] = []
    tenant = current_tenant()
    caller = current_runtime().hooks(tenant).compute_order_requirements
    if caller.get_hookimpls():
        query = RequirementQuery(tenant=tenant, category=category, item_id=item_id, customer_id=customer_id, order_id=order_id)
        for found in await collect(caller, query=query):
            answer = msgspec.convert(found.value, Requirement, from_attributes=True)
            credentials.update(answer.credentials)
            courses.update(answer.courses)
            if answer.reason:
                reasons.append(answer.reason)
    return Needs(credentials=frozenset(credentials), courses=frozenset(courses), reasons=tuple(reasons))


def _day_start(on: date) -> datetime:
    return datetime.combine(on, time(0), tzinfo=ZoneInfo(current_tenant().timezone))


# Which workers hold what on a day, by the franchise's stamp (a trigger on credentials and course
# passes renews it, qualifications_0002): the item page and every placement of work with
# requirements ask. Validity is by the local day, which is part of the key, so an expiry needs no
# write to take effect.
_kept_held: Stamped[dict[int, tuple[frozenset[str], frozenset[str]]]] = Stamped("credentials_held", limit=10_000)


def holdings_written() -> None:
    """A credential or course pass changed in this transaction: read them from the database until it ends."""
    _kept_held.written()


async def held_on(staff_ids: list[int], on: date, kinds: frozenset[str], courses: frozenset[str]) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    """The required kinds and courses each worker holds, valid on the local day `on`."""
    if not (kinds or courses):
        return {sid: (frozenset(), frozenset()) for sid in staff_ids}
    ids = tuple(sorted(set(staff_ids)))
    return await _kept_held.get(current_tenant(), ("held", ids, on, kinds, courses), lambda: _read_held(ids, on, kinds, courses))


async def _read_held(staff_ids: tuple[int, ...], on: date, kinds: frozenset[str], courses: frozenset[str]) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    held: dict[int, tuple[set[str], set[str]]] = {sid: (set(), set()) for sid in staff_ids}
    # Credentials and course passes in one round trip.
    for r in await current_connection().fetch(
        "select staff_id, kind as code, true as credential from core_credential where staff_id = any($1::bigint[]) "
        "and kind = any($2::text[]) and state = 'approved' and (expires_on is null or expires_on >= $3) "
        "union all select staff_id, course_code, false from core_course_pass where staff_id = any($1::bigint[]) "
        "and course_code = any($4::text[]) and (expires_at is null or expires_at > $5)",
        list(staff_ids), sorted(kinds), on, sorted(courses), _day_start(on),
    ):
        held[r["staff_id"]][0 if r["credential"] else 1].add(r["code"])
    return {sid: (frozenset(k), frozenset(c)) for sid, (k, c) in held.items()}


async def missing_for(staff_ids: list[int], work: Needs, on: date) -> dict[int, list[str]]:
    """For each worker, what they lack for `work` on the local day `on`, in the reader's language
    (empty: eligible)."""
    if work.empty or not staff_ids:
        return {sid: [] for sid in staff_ids}
    held = await held_on(staff_ids, on, work.credentials, work.courses)
    kinds = await all_kinds() if work.credentials else {}
    out: dict[int, list[str]] = {}
    for sid in staff_ids:
        have_kinds, have_courses = held[sid]
        lacking = [_("%(kind)s (valid on %(day)s)", kind=label_of(kinds, k), day=on.isoformat()) for k in sorted(work.credentials - have_kinds)]
        lacking += [_("the course %(code)s", code=c) for c in sorted(work.courses - have_courses)]
        if lacking and work.reasons:
            lacking.append(" · ".join(work.reasons))
        out[sid] = lacking
    return out


async def eligibility(
    staff_ids: list[int], *, category: str, item_id: int, on: date, customer_id: int | None = None, order_id: int | None = None,
) -> dict[int, list[str]]:
    """Staff id → what is missing for this work on the local day `on`, translated; empty means
    eligible. The franchise's rules and every compute_order_requirements answer, joined."""
    work = await needs(category=category, item_id=item_id, customer_id=customer_id, order_id=order_id)
    return await missing_for(list(staff_ids), work, on)


async def eligible_among(staff_ids: list[int], work: Needs, on: date) -> set[int]:
    """The workers of `staff_ids` who lack nothing for `work` on `on`."""
    if work.empty:
        return set(staff_ids)
    held = await held_on(staff_ids, on, work.credentials, work.courses)
    return {sid for sid, (k, c) in held.items() if work.credentials <= k and work.courses <= c}


async def record_course_pass(event: CourseEvent) -> None:
    """on_course_passed: keep the worker's latest pass of the course (an older one told late does
    not replace a newer)."""
    holdings_written()
    await current_connection().execute(
        "insert into core_course_pass (tenant_id, staff_id, course_code, certificate_no, passed_at, expires_at) "
        "values ($1, $2, $3, $4, $5, $6) on conflict (tenant_id, staff_id, course_code) do update set "
        "certificate_no = excluded.certificate_no, passed_at = excluded.passed_at, expires_at = excluded.expires_at "
        "where core_course_pass.passed_at <= excluded.passed_at",
        event.tenant.id, event.staff_id, event.course_code[:64], event.certificate_no[:64], event.passed_at, event.expires_at)


async def course_passes(staff_id: int) -> list[dict]:
    rows = await current_connection().fetch(
        "select course_code, certificate_no, passed_at, expires_at from core_course_pass where staff_id = $1 order by passed_at desc", staff_id)
    return [dict(r) for r in rows]
