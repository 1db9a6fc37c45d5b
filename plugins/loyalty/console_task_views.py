"""The console's tasks (/p/loyalty/console/tasks): the list with how many customers completed each,
a form to create or change one (its reward: points, a coupon, priority booking for chosen
services), and turning one off or on. Check-in's rewards are in the plugin's settings form."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.plugin_api import (
    NotFound,
    ValidationFailed,
    coupon_templates,
    lazy_gettext,
    page,
    require_console,
    service_categories,
    service_items,
)

from . import tasks

PERMISSION = "marketing.manage"
_MULTI = ("priority_item_ids", "priority_categories")
_FIELD = re.compile(r"at `\$\.([a-z_]+)")
_MESSAGES = {
    "int": lazy_gettext("Enter a whole number in the allowed range."),
    "code": lazy_gettext("Use lowercase letters, digits, - and _ (at most 32)."),
    "text": lazy_gettext("This is empty, too long or has characters that are not allowed."),
    "kind": lazy_gettext("Choose one of the kinds."),
}
_FIELD_KIND = {"code": "code", "title": "text", "description": "text", "kind": "kind", "priority_categories": "text"}


def _values(form) -> dict[str, Any]:
    """The form as TaskInput reads it: blanks left out (the defaults), the two lists whole."""
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if k not in (*_MULTI, "csrf_token") and str(v).strip()}
    for name in _MULTI:
        values[name] = [str(v) for v in form.getall(name)] if name in form else []
    values["active"] = form.get("active") == "1"
    return values


def _decode(values: dict[str, Any]) -> tasks.TaskInput:
    try:
        return msgspec.convert(values, tasks.TaskInput, strict=False)
    except msgspec.ValidationError as exc:
        match = _FIELD.search(str(exc))
        field = match.group(1) if match else "code"
        if "Object missing required field `" in str(exc):
            field = str(exc).split("`")[1]
            raise ValidationFailed({field: lazy_gettext("This field is required.")}) from None
        raise ValidationFailed({field: _MESSAGES[_FIELD_KIND.get(field, "int")]}) from None


async def _form(request: Request, task: tasks.TaskView | None, values: dict[str, Any], errors: dict[str, str],
                status_code: int = 200) -> Response:
    return page(
        request, "loyalty/console_task_form.html", console=True, status_code=status_code, task=task, values=values, errors=errors,
        kinds=[(k, label) for k, label in tasks.KINDS.items()],
        templates=[("", "—")] + [(str(t.id), t.name) for t in await coupon_templates("active")],
        item_options=[(str(i.id), i.title) for i in await service_items()],
        category_options=[(c.code, c.title) for c in await service_categories()],
    )


def _shown(task: tasks.TaskView | None) -> dict[str, Any]:
    if task is None:
        return {"kind": "profile", "active": True, "reward_points": "100", "priority_item_ids": [], "priority_categories": []}
    shown: dict[str, Any] = msgspec.structs.asdict(task)
    shown["priority_item_ids"] = [str(i) for i in task.priority_item_ids]
    shown["reward_coupon_template_id"] = str(task.reward_coupon_template_id or "")
    return shown


@get("/console/tasks", guards=[require_console(PERMISSION)], include_in_schema=False, name="loyalty-console-tasks")
async def task_list(request: Request) -> Response:
    return page(request, "loyalty/console_tasks.html", console=True, tasks=await tasks.list_tasks(),
                counts=await tasks.completion_counts(), kinds=tasks.KINDS)


@get("/console/tasks/new", guards=[require_console(PERMISSION)], include_in_schema=False, name="loyalty-console-task-new")
async def new_task(request: Request) -> Response:
    return await _form(request, None, _shown(None), {})


@get("/console/tasks/{task_id:int}", guards=[require_console(PERMISSION)], include_in_schema=False, name="loyalty-console-task")
async def edit_task(request: Request, task_id: FromPath[int]) -> Response:
    task = await _task(task_id)
    return await _form(request, task, _shown(task), {})


async def _task(task_id: int) -> tasks.TaskView:
    if not 1 <= task_id <= 2**63 - 1:
        raise NotFound("task")
    return await tasks.get_task(task_id)


async def _save(request: Request, task: tasks.TaskView | None) -> Response:
    values = _values(await request.form())
    try:
        await tasks.save_task(_decode(values), task.id if task else None)
    except ValidationFailed as exc:
        return await _form(request, task, values, exc.fields, status_code=400)
    return Redirect("/p/loyalty/console/tasks", status_code=303)


@post("/console/tasks/new", guards=[require_console(PERMISSION)], include_in_schema=False, name="loyalty-console-task-create")
async def create_task(request: Request) -> Response:
    return await _save(request, None)


@post("/console/tasks/{task_id:int}", guards=[require_console(PERMISSION)], include_in_schema=False, name="loyalty-console-task-save")
async def save_task(request: Request, task_id: FromPath[int]) -> Response:
    return await _save(request, await _task(task_id))


@post("/console/tasks/{task_id:int}/active", guards=[require_console(PERMISSION)], include_in_schema=False,
      name="loyalty-console-task-active")
async def toggle_task(request: Request, task_id: FromPath[int]) -> Redirect:
    """Turn a task off (customers who completed it keep its reward) or on again."""
    task = await _task(task_id)
    await tasks.set_active(task.id, not task.active)
    return Redirect("/p/loyalty/console/tasks", status_code=303)


HANDLERS = [task_list, new_task, edit_task, create_task, save_task, toggle_task]
