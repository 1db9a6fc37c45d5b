"""The worker's pay statements in the staff app: the list (newest period first) and one
statement with its lines and the reasons of bonuses and deductions. A worker sees only their
own: another's statement is not found."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency

from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.web.bounds import PathId
from platform_core.web.pages import page

from . import services
from .console_views import LINE_LABELS, STATE_LABELS, STATE_TONES


@get("/staff/statements", guards=[require_staff], include_in_schema=False, name="staff-statements")
async def my_statements(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    return page(request, "staff_pay/staff_statements.html", statements=await services.worker_statements(staff.id),
                state_labels=STATE_LABELS, state_tones=STATE_TONES)


@get("/staff/statements/{statement_id:int}", guards=[require_staff], include_in_schema=False, name="staff-statement")
async def my_statement(request: Request, principal: NamedDependency[Principal], statement_id: PathId) -> Response:
    staff = await active_staff(principal)
    statement = await services.get_statement(statement_id, staff_id=staff.id)
    return page(request, "staff_pay/staff_statement.html", statement=statement, state_labels=STATE_LABELS, state_tones=STATE_TONES,
                line_labels=LINE_LABELS, tz=services.zone())


STAFF_HANDLERS = [my_statements, my_statement]
