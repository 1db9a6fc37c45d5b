"""The check-in's page (/p/loyalty/checkin: the month's calendar, today's reward, the streak and the
button, a plain form post) and its JSON API (/p/loyalty/api/checkin)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from platform_core.plugin_api import (
    Conflict,
    page,
    require_customer,
    signed_in_customer,
)

from . import checkin

DONE = {"ok", "again"}


async def customer_of(request: Request) -> int:
    """The signed-in customer's id, on a route behind require_customer."""
    customer_id = await signed_in_customer(request)
    assert customer_id is not None  # behind require_customer
    return customer_id


@get("/checkin", guards=[require_customer], include_in_schema=False, name="loyalty-checkin")
async def checkin_page(request: Request) -> Response:
    customer_id = await customer_of(request)
    month = request.query_params.get("month")
    panel = await checkin.checkin_panel(customer_id, month)
    year, number = (int(p) for p in panel.month.split("-"))
    done = request.query_params.get("done")
    return page(
        request, "loyalty/checkin.html", panel=panel, weeks=checkin.month_grid(year, number, panel.days),
        previous=checkin.shifted(year, number, -1), following=checkin.shifted(year, number, 1),
        done=done if done in DONE else None,
    )


@post("/checkin", guards=[require_customer], include_in_schema=False, name="loyalty-checkin-post")
async def checkin_post(request: Request) -> Redirect:
    """The button: checked in, or (a second tap) told it was done already; back to the page."""
    try:
        await checkin.check_in(await customer_of(request))
        done = "ok"
    except Conflict:
        done = "again"
    return Redirect(f"/p/loyalty/checkin?done={done}", status_code=303)


@get("/api/checkin", guards=[require_customer], operation_id="loyaltyCheckinState", tags=["Loyalty"],
     summary="Today's check-in, the streak and a month's calendar")
async def checkin_state(request: Request, month: FromQuery[str | None] = None) -> checkin.CheckinPanel:
    """`month` is YYYY-MM on the franchise's calendar (this month when absent)."""
    return await checkin.checkin_panel(await customer_of(request), month)


@post("/api/checkin", guards=[require_customer], operation_id="loyaltyCheckIn", tags=["Loyalty"], status_code=201,
      summary="Check in today")
async def checkin_api(request: Request) -> checkin.CheckinDone:
    """Once a day on the franchise's calendar: 409 when already checked in today."""
    return await checkin.check_in(await customer_of(request))


HANDLERS = [checkin_page, checkin_post, checkin_state, checkin_api]
