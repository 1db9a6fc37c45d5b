"""The staff app's home: the worker's visits today in order, with their times, then what comes
next; a job on offer waiting for an answer is pointed out at the top."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.di import NamedDependency

from platform_core import clock
from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.catalog.services import item_titles
from platform_core.dispatch.offers import offers_for
from platform_core.orders.privacy import all_for_worker
from platform_core.orders.visit import worker_visits
from platform_core.tenancy.context import current_tenant
from platform_core.web.pages import page

# "Coming up" looks this many days past today.
AHEAD_DAYS = 7


@get("/staff/", guards=[require_staff], include_in_schema=False, name="staff-home")
async def staff_home(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    tz = ZoneInfo(current_tenant().timezone)
    today = clock.today(tz)
    midnight = datetime.combine(today, time(0), tz)
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tz)
    visits = await all_for_worker(await worker_visits(staff.id, midnight, tomorrow))
    upcoming = await all_for_worker(await worker_visits(staff.id, tomorrow, tomorrow + timedelta(days=AHEAD_DAYS)))
    titles = await item_titles({o.item_id for o in visits + upcoming})
    waiting = [a for a in await offers_for(staff.id) if a.status == "offered"]
    return page(request, "tracking/today.html", staff=staff, today=today, visits=visits, upcoming=upcoming, titles=titles,
                offers=len(waiting), timezone=tz)


HANDLERS = [staff_home]
