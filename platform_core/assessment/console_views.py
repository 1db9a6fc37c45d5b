"""The console's assessment pages (permission staff.manage): the service quality page
(/console/quality: complaint rate, low ratings, trends, watch list, coaching notes and
follow-ups), the month's scorecards with "why this score", computing them and applying the
rules, the formula with a preview, and the appeals to decide."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from litestar import Request, Response, get, post

from platform_core import clock
from platform_core.accounts.guards import require_console
from platform_core.errors import HearthError, ValidationFailed
from platform_core.money import to_minor
from platform_core.staff.services import list_workers
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    as_struct,
    error_context,
    form_data,
    redirect_after_post,
)
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import appeals, formula, quality, rules, scorecards, watch
from .labels import page_labels
from .schemas import (
    MAX_AMOUNT,
    PART_NAMES,
    AppealDecision,
    AssessmentSettings,
    CoachingNoteCreate,
    Facts,
    FollowUpDone,
    WatchChange,
)

MANAGE = require_console("staff.manage")
NOTICES = {
    "watched": N_("The worker is on watch."), "unwatched": N_("The worker is off watch."), "noted": N_("The coaching note is kept."),
    "followed": N_("The follow-up is recorded."), "computed": N_("The scorecards are computed."),
    "applied": N_("The rules are applied: the rewards and penalties wait for approval in Bonuses and deductions."),
    "saved": N_("The formula is saved."), "decided": N_("The appeal is decided. The worker sees the decision."),
}
DEFAULTS = AssessmentSettings()
MONEY_FIELDS = ("top_decile_bonus", "complaint_deduction", "low_rating_deduction")
NUMBER_FIELDS = ("grace_minutes", "complaints_cap", "no_shows_cap", "declines_cap", "jobs_target", "repeat_target_pct",
                 "low_rating_stars", "min_jobs", "watch_below")


def _user(request: Request) -> int:
    return request.scope["state"]["console_user"].id


def _flash(request: Request) -> list[tuple[str, str]]:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return [("success", _(notice))] if notice else []


def _month(value: str | None) -> date:
    """A `YYYY-MM` from the address; anything else (or a month not yet begun): last month."""
    last = formula.previous_month(clock.today(scorecards.zone()))
    match = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if match and 2000 <= int(match[1]) <= 2100 and 1 <= int(match[2]) <= 12:
        chosen = date(int(match[1]), int(match[2]), 1)
        if chosen <= scorecards.this_month():
            return chosen
    return last


def _month_options(current: date) -> list[tuple[str, str]]:
    months = quality.months_back(scorecards.this_month(), 13)
    if current not in months:
        months.append(current)
    return [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months]


# --------------------------------------------------------------------------- service quality


async def _quality_page(request: Request, *, status_code: int = 200, **extra: Any) -> Response:
    month = _month(request.query_params.get("month"))
    settings = await scorecards.get_settings()
    cards = await scorecards.month_cards(month)
    reviews, numbers = await quality.month_low_reviews(month, settings)
    today = clock.today(scorecards.zone())
    workers = await list_workers()
    extra.setdefault("form", "")
    extra.setdefault("values", {})
    extra.setdefault("errors", {})
    return page(request, "assessment/console_quality.html", console=True, status_code=status_code, month=month,
                month_options=_month_options(month), trend=await quality.trend(month, settings), low_reviews=reviews,
                order_numbers=numbers, worker_options=[(str(w.id), w.name) for w in workers], names={w.id: w.name for w in workers},
                watches=await watch.on_watch(), watch_history=await watch.watch_history(limit=10),
                suggestions=quality.watch_suggestions(cards, settings), settings=settings, notes=await watch.notes(limit=20),
                due=await watch.due_follow_ups(today + timedelta(days=7)), today=today, flash=_flash(request), **page_labels(), **extra)


@get("/console/quality", guards=[MANAGE], include_in_schema=False, name="console-quality")
async def quality_page(request: Request) -> Response:
    return await _quality_page(request)


async def _form_action(request: Request, action, done: str, form: str) -> Response:
    values = await form_data(request)
    try:
        await action(values)
    except HearthError as exc:
        return await _quality_page(request, status_code=exc.status_code, values=values, form=form, **error_context(exc))
    return redirect_after_post(request, f"/console/quality?done={done}#{form}")


@post("/console/quality/watch", guards=[MANAGE], include_in_schema=False, name="console-quality-watch")
async def put_on_watch(request: Request) -> Response:
    async def act(values: dict[str, str]) -> None:
        await watch.put_on_watch(as_struct(values, WatchChange), by=_user(request))
    return await _form_action(request, act, "watched", "watch")


@post("/console/quality/watch/end", guards=[MANAGE], include_in_schema=False, name="console-quality-unwatch")
async def take_off_watch(request: Request) -> Response:
    async def act(values: dict[str, str]) -> None:
        await watch.take_off_watch(as_struct(values, WatchChange), by=_user(request))
    return await _form_action(request, act, "unwatched", "watch")


@post("/console/quality/notes", guards=[MANAGE], include_in_schema=False, name="console-quality-note")
async def add_note(request: Request) -> Response:
    async def act(values: dict[str, str]) -> None:
        data = as_struct({**values, "follow_up_on": values.get("follow_up_on") or None}, CoachingNoteCreate)
        await watch.add_note(data, by=_user(request), today=clock.today(scorecards.zone()))
    return await _form_action(request, act, "noted", "notes")


@post("/console/quality/notes/{note_id:int}/done", guards=[MANAGE], include_in_schema=False, name="console-quality-follow-up")
async def follow_up_done(request: Request, note_id: PathId) -> Response:
    async def act(values: dict[str, str]) -> None:
        await watch.complete_follow_up(note_id, as_struct(values, FollowUpDone), by=_user(request))
    return await _form_action(request, act, "followed", "follow-ups")


# --------------------------------------------------------------------------- scorecards


async def _cards_page(request: Request, month: date, *, status_code: int = 200, **extra: Any) -> Response:
    return page(request, "assessment/console_scorecards.html", console=True, status_code=status_code, month=month,
                month_options=_month_options(month), cards=await scorecards.month_cards(month), items=await rules.items(month=month),
                settings=await scorecards.get_settings(), flash=_flash(request), **page_labels(), **extra)


@get("/console/quality/scorecards", guards=[MANAGE], include_in_schema=False, name="console-scorecards")
async def cards_page(request: Request) -> Response:
    return await _cards_page(request, _month(request.query_params.get("month")))


@post("/console/quality/scorecards/compute", guards=[MANAGE], include_in_schema=False, name="console-scorecards-compute")
async def compute(request: Request) -> Response:
    month = _month((await form_data(request)).get("month"))
    await scorecards.compute_month(month, by=_user(request))
    return redirect_after_post(request, f"/console/quality/scorecards?month={month:%Y-%m}&done=computed")


@post("/console/quality/scorecards/apply", guards=[MANAGE], include_in_schema=False, name="console-scorecards-apply")
async def apply(request: Request) -> Response:
    month = _month((await form_data(request)).get("month"))
    await rules.apply_rules(month)
    return redirect_after_post(request, f"/console/quality/scorecards?month={month:%Y-%m}&done=applied")


@get("/console/quality/scorecards/{card_id:int}", guards=[MANAGE], include_in_schema=False, name="console-scorecard")
async def card_page(request: Request, card_id: PathId) -> Response:
    card = await scorecards.get_card(card_id)
    return page(request, "assessment/console_scorecard.html", console=True, card=card,
                items=await rules.items(month=card.month, staff_id=card.staff_id), notes=await watch.notes(card.staff_id, limit=10),
                **page_labels())


# --------------------------------------------------------------------------- the formula


def _settings_values(s: AssessmentSettings) -> dict[str, str]:
    values = {f"w_{name}": str(s.weights.get(name, 0)) for name in PART_NAMES}
    values.update({name: str(getattr(s, name)) for name in NUMBER_FIELDS})
    values.update({name: f"{getattr(s, name) / 100:.2f}".removesuffix(".00") for name in MONEY_FIELDS})
    return values


def _settings_from(values: dict[str, str]) -> AssessmentSettings:
    errors: dict[str, str] = {}
    money: dict[str, int] = {}
    for name in MONEY_FIELDS:
        try:
            money[name] = to_minor(values.get(name) or "0")
        except ValueError:
            money[name] = -1
        if not 0 <= money[name] <= MAX_AMOUNT:
            errors[name] = "Enter an amount from 0 to 100000, like 50 or 49.90 (0 turns the rule off)."
    if errors:
        raise ValidationFailed(errors)
    data: dict[str, Any] = {"weights": {name: values.get(f"w_{name}", "0") or "0" for name in PART_NAMES}, **money}
    # A field the form did not send keeps its default; one sent empty is refused at the field.
    data.update({name: values.get(name, str(getattr(DEFAULTS, name))) for name in NUMBER_FIELDS})
    settings = as_struct(data, AssessmentSettings)
    if not sum(settings.weights.values()):
        raise ValidationFailed({"w_quality": "Give at least one part a weight."})
    return settings


async def _formula_page(request: Request, values: dict[str, str], *, status_code: int = 200, **extra: Any) -> Response:
    extra.setdefault("errors", {})
    return page(request, "assessment/console_formula.html", console=True, status_code=status_code, values=values,
                part_names=PART_NAMES, month=_month(values.get("month")), month_options=_month_options(_month(values.get("month"))),
                flash=_flash(request), **page_labels(), **extra)


@get("/console/quality/formula", guards=[MANAGE], include_in_schema=False, name="console-quality-formula")
async def formula_page(request: Request) -> Response:
    return await _formula_page(request, _settings_values(await scorecards.get_settings()))


@post("/console/quality/formula", guards=[MANAGE], include_in_schema=False, name="console-quality-formula-save")
async def save_formula(request: Request) -> Response:
    """Save, or (with `preview`) show what the month's scores would be under the posted formula."""
    values = await form_data(request)
    try:
        settings = _settings_from(values)
        if values.get("preview"):
            month = _month(values.get("month"))
            facts = await scorecards.month_facts(month, settings)
            names = {w.id: w.name for w in await list_workers()}
            preview = sorted(((names.get(k, ""), *formula.score(f, settings)) for k, f in facts.items() if _has_data(f)),
                             key=lambda row: -(row[1] if row[1] is not None else -1))
            return await _formula_page(request, values, preview=preview)
        await scorecards.save_settings(settings, by=_user(request))
    except HearthError as exc:
        return await _formula_page(request, values, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, "/console/quality/formula?done=saved")


def _has_data(f: Facts) -> bool:
    return bool(f.reviews or f.completed or f.complaints or f.no_shows or f.declines)


# --------------------------------------------------------------------------- appeals


async def _appeals_page(request: Request, *, status_code: int = 200, **extra: Any) -> Response:
    extra.setdefault("values", {})
    extra.setdefault("errors", {})
    return page(request, "assessment/console_appeals.html", console=True, status_code=status_code,
                open_items=await rules.items(appeals="open"), decided=[i for i in await rules.items(limit=300) if i.appeal and i.appeal.state != "open"],
                flash=_flash(request), **page_labels(), **extra)


@get("/console/quality/appeals", guards=[MANAGE], include_in_schema=False, name="console-quality-appeals")
async def appeals_page(request: Request) -> Response:
    return await _appeals_page(request)


@post("/console/quality/appeals/{appeal_id:int}/decide", guards=[MANAGE], include_in_schema=False, name="console-quality-appeal-decide")
async def decide(request: Request, appeal_id: PathId) -> Response:
    values = await form_data(request)
    try:
        await appeals.decide_appeal(appeal_id, as_struct(values, AppealDecision), by=_user(request))
    except HearthError as exc:
        return await _appeals_page(request, status_code=exc.status_code, values=values, failed=appeal_id, **error_context(exc))
    return redirect_after_post(request, "/console/quality/appeals?done=decided")


CONSOLE_HANDLERS = [quality_page, put_on_watch, take_off_watch, add_note, follow_up_done, cards_page, compute, apply, card_page,
                    formula_page, save_formula, appeals_page, decide]
