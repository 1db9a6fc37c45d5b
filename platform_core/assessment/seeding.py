"""The demo's assessment ([assessment] in tenants/*.toml): the franchise's formula and rules,
last month's scorecards from the facts written for each worker (the demo has no order history
to compute them from; the real formula scores them), workers on watch and coaching notes. Each
part is applied once: cards only when last month has none, a watch only when the worker has no
open one, a note only when the worker has none with the same text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.staff.services import list_workers
from platform_core.tenancy.context import current_tenant, tenant_scope

from . import formula, scorecards, watch
from .schemas import AssessmentSettings, CoachingNoteCreate, Facts, WatchChange


class CardSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A worker's month as people say it: averages of stars and an on-time share in per cent."""

    staff: str
    reviews: int = 0
    quality: float = 0
    attitude: float = 0
    skill: float = 0
    complaints: int = 0
    completed: int = 0
    on_time_pct: int = 100
    no_shows: int = 0
    declines: int = 0
    customers: int = 0
    repeat_customers: int = 0

    def facts(self) -> Facts:
        return Facts(reviews=self.reviews, quality_sum=round(self.quality * self.reviews), attitude_sum=round(self.attitude * self.reviews),
                     skill_sum=round(self.skill * self.reviews), complaints=self.complaints,
                     completed=self.completed, arrivals_known=self.completed, on_time=round(self.completed * self.on_time_pct / 100),
                     no_shows=self.no_shows, declines=self.declines, customers=self.customers, repeat_customers=self.repeat_customers)


class AssessmentSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    settings: AssessmentSettings | None = None
    cards: list[CardSpec] = []
    # {staff, reason}; notes: {staff, note, follow_up_in_days}
    watch: list[dict[str, str]] = []
    notes: list[dict[str, Any]] = []


async def _store_cards(cards: list[CardSpec], ids: dict[str, int], settings: AssessmentSettings) -> int:
    month = formula.previous_month(clock.today(scorecards.zone()))
    if await scorecards.computed_months([month]):
        return 0
    scored = {ids[c.staff]: (c, *formula.score(c.facts(), settings)) for c in cards if c.staff in ids}
    ranks = formula.ranking({k: v[1] for k, v in scored.items()}, {k: v[0].completed for k, v in scored.items()}, settings.min_jobs)
    for staff_id, (card, total, parts) in scored.items():
        await current_connection().execute(
            "insert into core_scorecard (tenant_id, staff_id, month, score, parts, completed, rank, ranked) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8)", current_tenant().id, staff_id, month, total,
            msgspec.json.encode(parts).decode(), card.completed, ranks.get(staff_id), len(ranks))
    return len(scored)


async def apply_assessment(tenant_id: int, slug: str, entry: dict[str, Any]) -> list[str]:
    spec = msgspec.convert(entry, AssessmentSpec)
    changes: list[str] = []
    async with tenant_scope(tenant_id):
        ids = {w.name: w.id for w in await list_workers()}
        if spec.settings is not None and await scorecards.get_settings() != spec.settings:
            await scorecards.save_settings(spec.settings, by=None)
            changes.append(f"{slug}: assessment formula set")
        if count := await _store_cards(spec.cards, ids, await scorecards.get_settings()):
            changes.append(f"{slug}: {count} scorecards for last month")
        watched = await watch.watched_ids()
        for w in spec.watch:
            if w["staff"] in ids and ids[w["staff"]] not in watched:
                await watch.put_on_watch(WatchChange(staff_id=ids[w["staff"]], reason=w["reason"]), by=None)
                changes.append(f"{slug}: {w['staff']} on watch")
        for n in spec.notes:
            staff_id = ids.get(n["staff"])
            if staff_id is None or any(existing.note == n["note"] for existing in await watch.notes(staff_id)):
                continue
            days = n.get("follow_up_in_days")
            today = clock.today(scorecards.zone())
            await watch.add_note(CoachingNoteCreate(staff_id=staff_id, note=n["note"],
                                                    follow_up_on=today + timedelta(days=int(days)) if days else None),
                                 by=None, today=today)
            changes.append(f"{slug}: coaching note for {n['staff']}")
    return changes
