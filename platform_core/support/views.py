"""Feedback pages: the customer's list and form (/account/feedback) and the console inbox
(/console/feedback: filter by status, answer, close)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from platform_core.accounts.guards import require_console, require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError
from platform_core.web.bounds import PathId
from platform_core.web.forms import error_context, parse_form
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services
from .schemas import ComplaintDecision, FeedbackCreate

KINDS = (("problem", N_("A problem")), ("suggestion", N_("A suggestion")))
STATUS_LABELS = {"open": N_("Awaiting answer"), "answered": N_("Answered"), "closed": N_("Closed")}
STATUS_TONES = {"open": "warning", "answered": "success", "closed": None}


def _values(form: Any) -> dict[str, str]:
    return {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}


class FeedbackPages(Controller):
    path = "/account/feedback"
    guards = [require_customer]
    include_in_schema = False

    async def _list(self, request: Request, customer_id: int, *, status_code: int = 200, **context: Any) -> Response:
        context.setdefault("values", {"kind": "problem", "order_number": request.query_params.get("order", "")[:24]})
        context.setdefault("errors", {})
        sent = request.query_params.get("done") == "sent"
        return page(request, "support/feedback.html", status_code=status_code, items=await services.feedback_of_customer(customer_id),
                    kinds=KINDS, status_labels=STATUS_LABELS, status_tones=STATUS_TONES,
                    flash=[("success", _("Thank you. We will get back to you here."))] if sent else [], **context)

    @get("", name="feedback")
    async def list_page(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await active_customer(principal)
        return await self._list(request, customer.id)

    @post("", name="feedback-send")
    async def send(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await active_customer(principal)
        values = _values(await request.form())
        try:
            data: FeedbackCreate = await parse_form(request, FeedbackCreate)
            await services.send_feedback(customer.id, data)
        except HearthError as exc:
            return await self._list(request, customer.id, status_code=exc.status_code, values=values, **error_context(exc))
        return Redirect("/account/feedback?done=sent", status_code=303)

    @get("/{feedback_id:int}", name="feedback-detail")
    async def detail(self, request: Request, principal: NamedDependency[Principal], feedback_id: PathId) -> Response:
        customer = await active_customer(principal)
        item = await services.get_feedback(feedback_id, customer_id=customer.id)
        return page(request, "support/feedback_detail.html", item=item, kinds=dict(KINDS), status_labels=STATUS_LABELS,
                    status_tones=STATUS_TONES)


# --------------------------------------------------------------------------- the console

CONSOLE_NOTICES = {"answered": N_("The answer is sent. The customer sees it in their account."), "closed": N_("The feedback is closed."),
                   "decided": N_("The complaint's outcome is recorded.")}
OUTCOMES = (("upheld", N_("Upheld against the worker")), ("not_upheld", N_("Not upheld")))


class FeedbackInbox(Controller):
    path = "/console/feedback"
    guards = [require_console("support.manage")]
    include_in_schema = False

    @get("", name="console-feedback")
    async def inbox(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        status = status if status in STATUS_LABELS else ""
        notice = CONSOLE_NOTICES.get(request.query_params.get("done", ""))
        return page(request, "support/console_inbox.html", console=True, items=await services.inbox(status or None), status=status,
                    status_labels=STATUS_LABELS, status_tones=STATUS_TONES, kinds=dict(KINDS),
                    flash=[("success", _(notice))] if notice else [])

    async def _detail(self, request: Request, feedback_id: int, *, status_code: int = 200, **context: Any) -> Response:
        context.setdefault("values", {})
        context.setdefault("errors", {})
        notice = CONSOLE_NOTICES.get(request.query_params.get("done", ""))
        context.setdefault("flash", [("success", _(notice))] if notice else [])
        return page(request, "support/console_detail.html", console=True, status_code=status_code, item=await services.inbox_item(feedback_id),
                    status_labels=STATUS_LABELS, status_tones=STATUS_TONES, kinds=dict(KINDS), outcomes=OUTCOMES, **context)

    @get("/{feedback_id:int}", name="console-feedback-detail")
    async def detail(self, request: Request, feedback_id: PathId) -> Response:
        return await self._detail(request, feedback_id)

    @post("/{feedback_id:int}/answer", name="console-feedback-answer")
    async def answer(self, request: Request, feedback_id: PathId) -> Response:
        values = _values(await request.form())
        user = request.scope["state"]["console_user"]
        try:
            await services.answer_feedback(feedback_id, user.id, values.get("answer", ""), close=values.get("close") == "1")
        except HearthError as exc:
            return await self._detail(request, feedback_id, status_code=exc.status_code, values=values, **error_context(exc))
        return Redirect("/console/feedback?done=answered", status_code=303)

    @post("/{feedback_id:int}/outcome", name="console-feedback-outcome")
    async def outcome(self, request: Request, feedback_id: PathId) -> Response:
        values = _values(await request.form())
        user = request.scope["state"]["console_user"]
        try:
            data: ComplaintDecision = await parse_form(request, ComplaintDecision)
            await services.decide_complaint(feedback_id, user.id, data)
        except HearthError as exc:
            return await self._detail(request, feedback_id, status_code=exc.status_code, values=values, **error_context(exc))
        return Redirect(f"/console/feedback/{feedback_id}?done=decided", status_code=303)

    @post("/{feedback_id:int}/close", name="console-feedback-close")
    async def close(self, feedback_id: PathId) -> Response:
        await services.close_feedback(feedback_id)
        return Redirect("/console/feedback?done=closed", status_code=303)


PAGE_HANDLERS = [FeedbackPages, FeedbackInbox]
