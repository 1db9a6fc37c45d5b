"""The worker's scorecard in the staff app (/staff/scorecard): this month's and earlier cards
with each part ("why this score"), the rewards and penalties the rules gave, and an appeal of a
deduction with its answer. A worker sees only their own."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency

from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    error_context,
    form_data,
    parse_form,
    redirect_after_post,
)
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import appeals, rules, scorecards
from .labels import page_labels
from .schemas import AppealCreate

APPEALED = N_("Your appeal is sent. The office will decide and you will see the answer here.")


async def _page(request: Request, staff_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    extra.setdefault("values", {})
    extra.setdefault("errors", {})
    flash = [("success", _(APPEALED))] if request.query_params.get("done") == "appealed" else []
    cards = await scorecards.worker_cards(staff_id)
    return page(request, "assessment/staff_scorecard.html", status_code=status_code, cards=cards, card=cards[0] if cards else None,
                items=await rules.items(staff_id=staff_id, limit=100), flash=flash, **page_labels(), **extra)


@get("/staff/scorecard", guards=[require_staff], include_in_schema=False, name="staff-scorecard")
async def my_scorecard(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    return await _page(request, staff.id)


@post("/staff/scorecard/items/{item_id:int}/appeal", guards=[require_staff], include_in_schema=False, name="staff-scorecard-appeal")
async def appeal(request: Request, principal: NamedDependency[Principal], item_id: PathId) -> Response:
    staff = await active_staff(principal)
    values = await form_data(request)
    try:
        data: AppealCreate = await parse_form(request, AppealCreate)
        await appeals.appeal_item(staff.id, item_id, data)
    except HearthError as exc:
        return await _page(request, staff.id, status_code=exc.status_code, values=values, failed=item_id, **error_context(exc))
    return redirect_after_post(request, "/staff/scorecard?done=appealed#items")


STAFF_HANDLERS = [my_scorecard, appeal]
