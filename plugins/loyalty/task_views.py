"""The customer's tasks (/p/loyalty/tasks and /p/loyalty/api/tasks), their share links (made from
the page or /p/loyalty/api/shares) and the links' landing, /p/loyalty/s/{code}."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect

from platform_core.plugin_api import (
    ValidationFailed,
    is_bot,
    is_digits,
    lazy_gettext,
    page,
    referrer_cookie,
    require_customer,
    service_categories,
    service_items,
    signed_in_customer,
)

from . import sharing, tasks
from .checkin_views import customer_of as _customer


class PriorityHeld(msgspec.Struct, frozen=True, kw_only=True):
    services: list[str]  # the titles of the items, and of the categories, it is for
    extra_days: int
    ends_at: datetime


class TasksPanel(msgspec.Struct, frozen=True, kw_only=True):
    """The tasks as the member centre and the tasks page show them (GET /p/loyalty/api/tasks)."""

    tasks: list[tasks.TaskState]
    done: int
    total: int
    links: list[sharing.ShareLink]
    priority: list[PriorityHeld]


async def tasks_panel(customer_id: int) -> TasksPanel:
    states = await tasks.task_states(customer_id)
    grants = await tasks.priority_grants(customer_id)
    items = {i.id: i.title for i in await service_items()} if grants else {}
    categories = {c.code: c.title for c in await service_categories()} if grants else {}
    return TasksPanel(
        tasks=states, done=sum(1 for t in states if t.done), total=len(states), links=await sharing.my_links(customer_id),
        priority=[
            PriorityHeld(services=[items[i] for i in g.item_ids if i in items] + [categories[c] for c in g.categories if c in categories],
                         extra_days=g.extra_days, ends_at=g.ends_at)
            for g in grants
        ],
    )


def _shares_tasks(panel: TasksPanel) -> bool:
    return any(t.kind.startswith("share_") and not t.done for t in panel.tasks)


@get("/tasks", guards=[require_customer], include_in_schema=False, name="loyalty-tasks")
async def tasks_page(request: Request) -> Response:
    return await _tasks_page(request)


async def _tasks_page(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    customer_id = await _customer(request)
    panel = await tasks_panel(customer_id)
    return page(request, "loyalty/tasks.html", status_code=status_code, panel=panel, kinds=tasks.KINDS,
                items=[(str(i.id), i.title) for i in await service_items()], errors=errors or {},
                base_url=str(request.base_url).rstrip("/"), share_open=_shares_tasks(panel))


@post("/tasks/share", guards=[require_customer], include_in_schema=False, name="loyalty-tasks-share")
async def share_from_page(request: Request) -> Response:
    form = await request.form()
    raw = str(form.get("item_id") or "")
    try:
        if not is_digits(raw) or len(raw) > 19:
            raise ValidationFailed({"item_id": lazy_gettext("Choose a service to share.")})
        link = await sharing.share_link(await _customer(request), int(raw))
    except ValidationFailed as exc:
        return await _tasks_page(request, errors=exc.fields, status_code=400)
    return Redirect(f"/p/loyalty/tasks#share-{link.code}", status_code=303)


@get("/s/{code:str}", include_in_schema=False, name="loyalty-share")
async def share_landing(request: Request, code: FromPath[str]) -> Redirect:
    """A share link: to the service's page; a new visitor is counted and remembered for sign-up."""
    landing = await sharing.land(code, request.cookies.get(sharing.VISITOR_COOKIE, ""), await signed_in_customer(request),
                                 counts=not is_bot(request.headers.get("user-agent", "")))
    cookies = []
    if landing.visitor:
        cookies.append(Cookie(key=sharing.VISITOR_COOKIE, value=landing.visitor, max_age=sharing.VISITOR_DAYS * 86400,
                              httponly=True, samesite="lax", path="/p/loyalty/s"))
    if landing.referrer:
        cookies.append(referrer_cookie(landing.referrer))
    return Redirect(landing.location, status_code=302, cookies=cookies)


@get("/api/tasks", guards=[require_customer], operation_id="loyaltyTasks", tags=["Loyalty"],
     summary="The tasks, their rewards and your progress; your share links and priority booking")
async def tasks_api(request: Request) -> TasksPanel:
    return await tasks_panel(await _customer(request))


@post("/api/shares", guards=[require_customer], operation_id="loyaltyShareLink", tags=["Loyalty"], status_code=200,
      summary="Your share link of a service (made the first time)")
async def share_api(request: Request, data: JSONBody[sharing.ShareCreate]) -> sharing.ShareLink:
    """`url` is the path on the franchise's host; a new visitor who opens it counts for your
    share tasks, and again when they sign up."""
    return await sharing.share_link(await _customer(request), data.item_id)


HANDLERS = [tasks_page, share_from_page, share_landing, tasks_api, share_api]
