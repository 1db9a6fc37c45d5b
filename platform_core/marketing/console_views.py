"""The console's Marketing pages: segments (list with sizes, the filter builder with its
preview) and partner channels (list, create and edit, link and QR code, report). Guarded by
`marketing.manage`. The builder works as a plain form (Preview and Save buttons); with htmx a
change of any field refreshes the preview in place."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from platform_core.accounts.guards import require_console
from platform_core.errors import HearthError, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import done_notice, error_context, optional_int
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import channels, segments
from .schemas import (
    CHANNEL_KINDS,
    REPORT_PERIODS,
    ChannelCreate,
    SegmentCreate,
    SegmentFilter,
)

BASE = "/console/marketing"
KIND_LABELS = {"agency": N_("Property agency"), "wechat_group": N_("WeChat group"), "flyer": N_("Flyer"), "other": N_("Other")}
NOTICES = {
    "segment": N_("The segment is saved."),
    "deleted": N_("The segment is deleted."),
    "channel": N_("The channel is saved."),
}
PER_PAGE = 50
_FORM_FIELDS = 200


async def _builder(request: Request) -> list[dict[str, Any]]:
    """The offered filters, each with its parameters as inputs (choices where it names some)."""
    found = []
    for spec in segments.segment_filters().values():
        options = await spec.options() if spec.options is not None else {}
        params = [
            {"name": f.name, "label": spec.param_labels.get(f.name, f.name), "options": options.get(f.name),
             "default": "" if f.default is msgspec.NODEFAULT else f.default}
            for f in msgspec.structs.fields(spec.params)
        ]
        found.append({"name": spec.name, "label": spec.label, "params": params})
    return found


def _filters_from_values(values: dict[str, Any]) -> list[SegmentFilter]:
    """The ticked filters (`use`) with their parameters (`f.{filter}.{param}`), blanks left to
    the filter's defaults."""
    chosen = []
    for name in values.get("use", []):
        prefix = f"f.{name}."
        params = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix) and isinstance(v, str) and v.strip()}
        chosen.append(SegmentFilter(name=name, params={k: v.strip() for k, v in params.items()}))
    return chosen


async def _values(request: Request) -> dict[str, Any]:
    form = await request.form()
    if len(form) > _FORM_FIELDS:
        raise ValidationFailed({"form": N_("This form has too many fields.")})
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k not in ("csrf_token", "use")}
    values["use"] = [str(v)[:80] for v in form.getall("use", [])][:20]
    return values


def _segment_values(segment) -> dict[str, Any]:
    values: dict[str, Any] = {"name": segment.name, "use": [f.name for f in segment.filters]}
    for f in segment.filters:
        values.update({f"f.{f.name}.{k}": str(v) for k, v in f.params.items()})
    return values


async def _preview(filters: list[SegmentFilter], page_number: int = 1):
    segments.check_filters(filters, segments.segment_filters())
    return await segments.segment_page(filters, page=page_number, per_page=PER_PAGE)


class SegmentPages(Controller):
    path = f"{BASE}/segments"
    guards = [require_console("marketing.manage")]
    include_in_schema = False

    @get("", name="console-segments")
    async def index(self, request: Request) -> Response:
        rows = [(s, await segments.segment_size(s.filters), segments.unavailable_filters(s.filters))
                for s in await segments.list_segments()]
        labels = {name: spec.label for name, spec in segments.segment_filters().items()}
        return page(request, "marketing/segments.html", console=True, rows=rows, labels=labels, flash=done_notice(request, NOTICES))

    async def _form(self, request: Request, *, segment=None, values: dict[str, Any], status_code: int = 200,
                    preview=None, **context: Any) -> Response:
        context.setdefault("errors", {})
        return page(request, "marketing/segment_form.html", console=True, status_code=status_code, segment=segment,
                    builder=await _builder(request), values=values, preview=preview, currency=request_currency(),
                    flash=done_notice(request, NOTICES), **context)

    @get("/new", name="console-segment-new")
    async def new(self, request: Request) -> Response:
        return await self._form(request, values={"name": "", "use": []})

    @post("/new", name="console-segment-create")
    async def create(self, request: Request) -> Response:
        return await self._submit(request, None)

    @get("/{segment_id:int}", name="console-segment")
    async def detail(self, request: Request, segment_id: PathId) -> Response:
        segment = await segments.get_segment(segment_id)
        page_number = min(max(optional_int(request.query_params.get("page")) or 1, 1), 100_000)
        preview = await segments.segment_page(segment.filters, page=page_number, per_page=PER_PAGE)
        return await self._form(request, segment=segment, values=_segment_values(segment), preview=preview)

    @post("/{segment_id:int}", name="console-segment-save")
    async def save(self, request: Request, segment_id: PathId) -> Response:
        return await self._submit(request, await segments.get_segment(segment_id))

    async def _submit(self, request: Request, segment) -> Response:
        values: dict[str, Any] = {"name": "", "use": []}
        try:
            values = await _values(request)
            filters = _filters_from_values(values)
            if values.get("action") == "preview":
                return await self._form(request, segment=segment, values=values, preview=await _preview(filters))
            data = SegmentCreate(name=_segment_name(values.get("name", "")), filters=filters)
            saved = await (segments.update_segment(segment.id, data) if segment else segments.create_segment(data))
        except HearthError as exc:
            return await self._form(request, segment=segment, values=values, status_code=exc.status_code, **error_context(exc))
        return Redirect(f"{BASE}/segments/{saved.id}?done=segment", status_code=303)

    @post("/preview", name="console-segment-preview")
    async def preview(self, request: Request) -> Response:
        """The builder's preview alone (htmx): size and the first page of members, or the errors."""
        try:
            values = await _values(request)
            preview = await _preview(_filters_from_values(values))
        except HearthError as exc:
            return page(request, "marketing/_segment_preview.html", status_code=exc.status_code, preview=None,
                        currency=request_currency(), **error_context(exc))
        return page(request, "marketing/_segment_preview.html", preview=preview, currency=request_currency(), errors={})

    @post("/{segment_id:int}/delete", name="console-segment-delete")
    async def delete(self, segment_id: PathId) -> Response:
        await segments.delete_segment(segment_id)
        return Redirect(f"{BASE}/segments?done=deleted", status_code=303)


def _segment_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": N_("This field is required.")})
    if len(name) > 80 or "\x00" in name:
        raise ValidationFailed({"name": N_("Use at most 80 characters, without control characters.")})
    return name


def request_currency() -> str:
    return current_tenant().currency


def _link(request: Request, channel) -> str:
    scheme = "https" if current_runtime().settings.cookie_secure else request.url.scheme
    return channels.link_for(channel, request.url.netloc, scheme)


class ChannelPages(Controller):
    path = f"{BASE}/channels"
    guards = [require_console("marketing.manage")]
    include_in_schema = False

    @get("", name="console-channels")
    async def index(self, request: Request) -> Response:
        return page(request, "marketing/channels.html", console=True, rows=await channels.list_channels(), kinds=KIND_LABELS,
                    flash=done_notice(request, NOTICES))

    async def _form(self, request: Request, *, channel=None, values: dict[str, Any], status_code: int = 200, **context: Any) -> Response:
        context.setdefault("errors", {})
        days = optional_int(request.query_params.get("days"))
        days = days if days in REPORT_PERIODS else 30
        report = await channels.channel_report(channel.id, days) if channel else None
        return page(request, "marketing/channel.html", console=True, status_code=status_code, channel=channel, values=values,
                    kinds=KIND_LABELS, kind_options=[(k, _(KIND_LABELS[k])) for k in CHANNEL_KINDS], report=report,
                    periods=REPORT_PERIODS, cookie_days=current_runtime().settings.channel_cookie_days,
                    link=_link(request, channel) if channel else "", currency=request_currency(),
                    flash=done_notice(request, NOTICES), **context)

    @get("/new", name="console-channel-new")
    async def new(self, request: Request) -> Response:
        return await self._form(request, values={"name": "", "kind": "agency", "notes": ""})

    @post("/new", name="console-channel-create")
    async def create(self, request: Request) -> Response:
        return await self._submit(request, None)

    @get("/{channel_id:int}", name="console-channel")
    async def detail(self, request: Request, channel_id: PathId) -> Response:
        channel = await channels.get_channel(channel_id)
        return await self._form(request, channel=channel, values={"name": channel.name, "kind": channel.kind, "notes": channel.notes})

    @post("/{channel_id:int}", name="console-channel-save")
    async def save(self, request: Request, channel_id: PathId) -> Response:
        return await self._submit(request, await channels.get_channel(channel_id))

    async def _submit(self, request: Request, channel) -> Response:
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("name", "kind", "notes")}
        try:
            data = _channel_data(values)
            saved = await (channels.update_channel(channel.id, data) if channel else channels.create_channel(data))
        except HearthError as exc:
            return await self._form(request, channel=channel, values=values, status_code=exc.status_code, **error_context(exc))
        return Redirect(f"{BASE}/channels/{saved.id}?done=channel", status_code=303)

    async def _qr(self, request: Request, channel_id: int, kind: str) -> Response:
        channel = await channels.get_channel(channel_id)
        headers = {"Cache-Control": "private, max-age=3600"}
        if request.query_params.get("download"):
            headers["Content-Disposition"] = f'attachment; filename="channel-{channel.code}.{kind}"'
        media = "image/png" if kind == "png" else "image/svg+xml"
        return Response(content=channels.qr_code(_link(request, channel), kind), media_type=media, headers=headers)

    @get("/{channel_id:int}/qr.png", name="console-channel-qr-png")
    async def qr_png(self, request: Request, channel_id: PathId) -> Response:
        return await self._qr(request, channel_id, "png")

    @get("/{channel_id:int}/qr.svg", name="console-channel-qr-svg")
    async def qr_svg(self, request: Request, channel_id: PathId) -> Response:
        return await self._qr(request, channel_id, "svg")

    @get("/{channel_id:int}/print", name="console-channel-print")
    async def print_page(self, request: Request, channel_id: PathId) -> Response:
        channel = await channels.get_channel(channel_id)
        return page(request, "marketing/channel_print.html", channel=channel, link=_link(request, channel), kinds=KIND_LABELS)


def _channel_data(values: dict[str, str]) -> ChannelCreate:
    """The form as ChannelCreate; every wrong field named at once."""
    errors: dict[str, str] = {}
    name, notes = values["name"].strip(), values["notes"].strip()
    if not name:
        errors["name"] = N_("This field is required.")
    elif len(name) > 80 or "\x00" in name:
        errors["name"] = N_("Use at most 80 characters, without control characters.")
    if values["kind"] not in CHANNEL_KINDS:
        errors["kind"] = N_("Choose a kind from the list.")
    if len(notes) > 1000 or "\x00" in notes:
        errors["notes"] = N_("Use at most 1000 characters, without control characters.")
    if errors:
        raise ValidationFailed(errors)
    return ChannelCreate(name=name, kind=values["kind"], notes=notes)  # type: ignore[arg-type]


CONSOLE_HANDLERS = [SegmentPages, ChannelPages]
