"""The console's campaign pages (Marketing → Campaigns), `marketing.manage`: the list with each
campaign's state and headline results, the draft's form with the audience's size, a confirmation
page before sending, scheduling or cancelling (plain forms: no script needed), and the results."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from platform_core.accounts.guards import require_console
from platform_core.errors import HearthError, ValidationFailed
from platform_core.promotions.services import list_templates
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import done_notice, error_context
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import campaigns, segments
from .schemas import CAMPAIGN_AUDIENCES, CampaignCreate

BASE = "/console/marketing/campaigns"
AUDIENCE_LABELS = {
    "segment": N_("A saved segment"),
    "registration": N_("Triggered: on registration"),
    "last_order": N_("Triggered: days after the last order"),
}
CHANNEL_LABELS = {"inbox": N_("Inbox"), "sms": N_("SMS (only customers who agreed)"), "banner": N_("Banner on the site")}
ACTIONS = ("send", "schedule", "cancel")
NOTICES = {
    "saved": N_("The campaign is saved."),
    "send": N_("The campaign is being sent."),
    "schedule": N_("The campaign is scheduled."),
    "cancel": N_("The campaign is cancelled."),
}
_TEXT_FIELDS = {"name": 80, "title": 100, "body": 1000}
_NUMBER_FIELDS = ("segment_id", "trigger_days", "template_id", "coupon_cap", "banner_days")
_CHECKS = ("via_inbox", "via_sms", "via_banner")
_DIGITS = re.compile(r"^[0-9]{1,19}$")


def _campaign_data(values: dict[str, str]) -> CampaignCreate:
    """The form as CampaignCreate; every wrong field named at once."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for field, limit in _TEXT_FIELDS.items():
        value = values.get(field, "").strip()
        if "\x00" in value or len(value) > limit:
            errors[field] = _("Use at most %(num)s characters, without control characters.", num=limit)
        elif not value and field != "body":
            errors[field] = N_("This field is required.")
        data[field] = value
    if values.get("audience") not in CAMPAIGN_AUDIENCES:
        errors["audience"] = N_("Choose an audience from the list.")
    data["audience"] = values.get("audience")
    for field in _NUMBER_FIELDS:
        value = values.get(field, "").strip()
        if value and not _DIGITS.match(value):
            errors[field] = N_("Enter a whole number.")
        elif value:
            data[field] = int(value)
    for field in _CHECKS:
        data[field] = values.get(field) == "1"
    if errors:
        raise ValidationFailed(errors)
    try:
        return msgspec.convert(data, CampaignCreate)
    except msgspec.ValidationError as exc:
        at = re.search(r"at `\$\.(\w+)`", str(exc))
        raise ValidationFailed({at.group(1) if at else "form": N_("This value is out of range.")}) from None


def _values(campaign) -> dict[str, str]:
    raw = msgspec.structs.asdict(campaign)
    values = {k: "" if raw[k] is None else str(raw[k]) for k in (*_TEXT_FIELDS, *_NUMBER_FIELDS, "audience")}
    values.update({k: "1" if raw[k] else "" for k in _CHECKS})
    return values


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k, ""))[:2000] for k in (*_TEXT_FIELDS, *_NUMBER_FIELDS, *_CHECKS, "audience")}


async def _audience_size(campaign) -> int | None:
    """How many a segment campaign would reach now (before consent per channel); None for triggers."""
    if campaign is None or campaign.segment_id is None:
        return None
    segment = await segments.get_segment(campaign.segment_id)
    return await segments.segment_size(segment.filters)


class CampaignPages(Controller):
    path = BASE
    guards = [require_console("marketing.manage")]
    include_in_schema = False

    @get("", name="console-campaigns")
    async def index(self, request: Request) -> Response:
        return page(request, "marketing/campaigns.html", console=True, rows=await campaigns.list_campaigns(),
                    states=campaigns.STATE_LABELS, tones=campaigns.STATE_TONES, audiences=AUDIENCE_LABELS,
                    flash=done_notice(request, NOTICES))

    async def _form(self, request: Request, *, campaign=None, values: dict[str, str], status_code: int = 200, **context: Any) -> Response:
        context.setdefault("errors", {})
        templates = [(str(t.id), t.name) for t in await list_templates("active")]
        return page(request, "marketing/campaign_form.html", console=True, status_code=status_code, campaign=campaign, values=values,
                    audience_options=[(k, _(v)) for k, v in AUDIENCE_LABELS.items()],
                    segment_options=[("", "—")] + [(str(s.id), s.name) for s in await segments.list_segments()],
                    template_options=[("", _("No coupon: only the message"))] + templates, channels=CHANNEL_LABELS,
                    size=await _audience_size(campaign), flash=done_notice(request, NOTICES), **context)

    @get("/new", name="console-campaign-new")
    async def new(self, request: Request) -> Response:
        return await self._form(request, values={"audience": "segment", "via_inbox": "1", "banner_days": "7"})

    @post("/new", name="console-campaign-create")
    async def create(self, request: Request) -> Response:
        return await self._submit(request, None)

    @get("/{campaign_id:int}", name="console-campaign")
    async def detail(self, request: Request, campaign_id: PathId) -> Response:
        campaign = await campaigns.get_campaign(campaign_id)
        if campaign.state == "draft":
            return await self._form(request, campaign=campaign, values=_values(campaign))
        return page(request, "marketing/campaign.html", console=True, campaign=campaign,
                    results=await campaigns.campaign_results(campaign_id), states=campaigns.STATE_LABELS,
                    tones=campaigns.STATE_TONES, audiences=AUDIENCE_LABELS, currency=current_tenant().currency,
                    flash=done_notice(request, NOTICES))

    @post("/{campaign_id:int}", name="console-campaign-save")
    async def save(self, request: Request, campaign_id: PathId) -> Response:
        return await self._submit(request, await campaigns.get_campaign(campaign_id))

    async def _submit(self, request: Request, campaign) -> Response:
        values = await _form_values(request)
        try:
            data = _campaign_data(values)
            saved = await (campaigns.update_campaign(campaign.id, data) if campaign else campaigns.create_campaign(data))
        except HearthError as exc:
            return await self._form(request, campaign=campaign, values=values, status_code=exc.status_code, **error_context(exc))
        return Redirect(f"{BASE}/{saved.id}?done=saved", status_code=303)

    async def _confirm(self, request: Request, campaign, action: str, values: dict[str, str], status_code: int = 200,
                       **context: Any) -> Response:
        context.setdefault("errors", {})
        return page(request, "marketing/campaign_confirm.html", console=True, status_code=status_code, campaign=campaign,
                    action=action, values=values, size=await _audience_size(campaign), audiences=AUDIENCE_LABELS,
                    channels=CHANNEL_LABELS, timezone=current_tenant().timezone, **context)

    @get("/{campaign_id:int}/confirm", name="console-campaign-confirm")
    async def confirm(self, request: Request, campaign_id: PathId) -> Response:
        campaign = await campaigns.get_campaign(campaign_id)
        action = request.query_params.get("action", "")
        if action not in ACTIONS:
            action = "send"
        values = {k: str(request.query_params.get(k, ""))[:20] for k in ("day", "time")}
        return await self._confirm(request, campaign, action, values)

    @post("/{campaign_id:int}/send", name="console-campaign-send")
    async def send(self, request: Request, campaign_id: PathId) -> Response:
        return await self._act(request, campaign_id, "send")

    @post("/{campaign_id:int}/schedule", name="console-campaign-schedule")
    async def schedule(self, request: Request, campaign_id: PathId) -> Response:
        return await self._act(request, campaign_id, "schedule")

    @post("/{campaign_id:int}/cancel", name="console-campaign-cancel")
    async def cancel(self, request: Request, campaign_id: PathId) -> Response:
        return await self._act(request, campaign_id, "cancel")

    async def _act(self, request: Request, campaign_id: int, action: str) -> Response:
        campaign = await campaigns.get_campaign(campaign_id)
        form = await request.form()
        values = {k: str(form.get(k, ""))[:20] for k in ("day", "time")}
        try:
            if action == "cancel":
                await campaigns.cancel_campaign(campaign_id)
            elif action == "send":
                await campaigns.schedule_campaign(campaign_id)
            else:
                at = campaigns.local_datetime(values["day"], values["time"], current_tenant().timezone)
                await campaigns.schedule_campaign(campaign_id, at)
        except HearthError as exc:
            return await self._confirm(request, campaign, action, values, status_code=exc.status_code, **error_context(exc))
        return Redirect(f"{BASE}/{campaign_id}?done={action}", status_code=303)


CONSOLE_HANDLERS = [CampaignPages]
