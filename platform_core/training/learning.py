"""A worker's side of training: lessons read, the quiz (graded here; the browser never gets the
right answers), the retake wait, certificates, and on_course_passed. Also what the office and the
rest of the platform ask of it: which courses a worker or a category requires, and who is due.

A quiz attempt is a row opened when the quiz starts and graded once: the grading locks the row
and answers only an attempt still open, so two submits of the same attempt racing count once
(the loser is told it was already submitted). One pass per worker and course (a partial unique
index), so a pass and its certificate and its on_course_passed happen once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from platform_core import clock
from platform_core.bounds import is_digits
from platform_core.catalog.services import list_items
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import CourseEvent, Requirement, RequirementQuery
from platform_core.runtime import current_runtime
from platform_core.staff.services import get_worker, list_workers
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.i18n import translations

from .schemas import Attempt, Certificate, Course, DueRow, QuizQuestion, WorkerCourse
from .services import FRANCHISE, get_course, kept_requirements, list_courses
from .sync import ensure_courses

_ATTEMPT = "id, course_id, course_version, state, correct, total, score, started_at, submitted_at, retake_at"


def _attempt(row: asyncpg.Record) -> Attempt:
    return Attempt(**{k: row[k] for k in row.keys()})


# --------------------------------------------------------------------------- what is required


async def worker_categories(staff_id: int) -> set[str]:
    """The categories a worker can serve: those with a bookable item whose required skills the
    worker has."""
    skills = set((await get_worker(staff_id)).skills)
    return {item.category_code for item in await list_items(for_customer=current_tenant()) if set(item.required_skills) <= skills}


def is_required(course: Course, categories: set[str]) -> bool:
    return course.onboarding or bool(categories & set(course.categories))


# Head office's published courses this franchise has no copy of yet (a franchise created since),
# required as head office suggests until the copy is made.
_UNCOPIED = """
select h.code, h.title from core_training_hq_course h
where h.state = 'published' and $1 = any(h.categories)
  and not exists (select 1 from core_training_course c where c.hq_course_id = h.id or c.code = h.code)
"""


async def _required_for(category: str) -> tuple[tuple[str, str], ...]:
    """(code, title) of the published courses `category` requires, head office's included."""
    required = [(c.code, c.title) for c in await list_courses(states=("published",)) if category in c.categories]
    required += [(r["code"], r["title"]) for r in await current_connection().fetch(_UNCOPIED, category)]
    return tuple(required)


async def order_requirement(query: RequirementQuery) -> Requirement | None:
    """compute_order_requirements: the courses required for the query's category. Only reads
    (dispatch and the booking pages ask it, perhaps on a replica): head office's courses not yet
    copied in count as head office suggests. Onboarding courses are due for everyone but gate no
    work: publishing one must not take every worker off the schedule at once; a franchise that
    wants a gate names the categories."""
    required = await kept_requirements.get(query.tenant, (query.category,), lambda: _required_for(query.category))
    if not required:
        return None
    titles = ", ".join(title for _, title in required)
    reason = translations(query.tenant.locale).ugettext("Training required: %(titles)s") % {"titles": titles}
    return Requirement(courses=[code for code, _ in required], reason=reason[:300])


# --------------------------------------------------------------------------- a worker's courses


async def _standing(staff_ids: list[int]) -> dict[tuple[int, int], dict]:
    """(staff, course) -> lessons read, the latest submitted attempt and the certificate."""
    conn = current_connection()
    found: dict[tuple[int, int], dict] = {}
    for row in await conn.fetch("select staff_id, course_id, lessons_read from core_training_progress "
                                "where staff_id = any($1)", staff_ids):
        found.setdefault((row["staff_id"], row["course_id"]), {})["read"] = set(row["lessons_read"])
    for row in await conn.fetch(
            "select distinct on (staff_id, course_id) staff_id, course_id, state, score, retake_at from core_training_attempt "
            "where staff_id = any($1) and state <> 'open' order by staff_id, course_id, started_at desc", staff_ids):
        found.setdefault((row["staff_id"], row["course_id"]), {})["attempt"] = row
    for row in await conn.fetch("select staff_id, course_id, number, passed_at, score from core_training_certificate "
                                "where staff_id = any($1)", staff_ids):
        found.setdefault((row["staff_id"], row["course_id"]), {})["certificate"] = row
    return found


def _worker_course(staff_id: int, course: Course, standing: dict, required: bool) -> WorkerCourse:
    read = len(standing.get("read", set()) & {lesson.key for lesson in course.lessons})
    attempt, certificate = standing.get("attempt"), standing.get("certificate")
    if certificate:
        status = "passed"
    elif attempt is not None and attempt["state"] == "failed":
        status = "failed"
    elif standing.get("read"):
        status = "in_progress"
    else:
        status = "not_started"
    return WorkerCourse(
        staff_id=staff_id, course_id=course.id, code=course.code, title=course.title, summary=course.summary,
        lesson_count=len(course.lessons), lessons_read=read, status=status, required=required,
        score=certificate["score"] if certificate else (attempt["score"] if attempt else None),
        retake_at=attempt["retake_at"] if status == "failed" else None,
        passed_at=certificate["passed_at"] if certificate else None, certificate_no=certificate["number"] if certificate else None,
    )


async def worker_courses(staff_id: int) -> list[WorkerCourse]:
    """Every published course as this worker stands with it (required ones first), and the
    archived ones they passed (their certificates stay)."""
    await ensure_courses(current_tenant())
    categories = await worker_categories(staff_id)
    standing = await _standing([staff_id])
    rows = []
    for course in await list_courses():
        mine = standing.get((staff_id, course.id), {})
        if course.state == "published" or (course.state == "archived" and "certificate" in mine):
            rows.append(_worker_course(staff_id, course, mine, course.state == "published" and is_required(course, categories)))
    return sorted(rows, key=lambda r: (not r.required, r.title))


async def course_for_worker(staff_id: int, course_id: int) -> tuple[Course, WorkerCourse, set[str]]:
    """A published course the worker may take (or an archived one they passed), with where they
    stand and the keys of the lessons they read."""
    course = await get_course(course_id)
    standing = (await _standing([staff_id])).get((staff_id, course_id), {})
    if course.state != "published" and "certificate" not in standing:
        raise NotFound("course")
    required = is_required(course, await worker_categories(staff_id))
    return course, _worker_course(staff_id, course, standing, required), standing.get("read", set())


async def read_lesson(staff_id: int, course_id: int, key: str) -> None:
    """The worker opened a lesson: recorded once."""
    course = await get_course(course_id)
    if course.state != "published" or key not in {lesson.key for lesson in course.lessons}:
        raise NotFound("lesson")
    await current_connection().execute(
        "insert into core_training_progress (tenant_id, staff_id, course_id, lessons_read) "
        "values ($1, $2, $3, array[$4]) on conflict (tenant_id, staff_id, course_id) do update set "
        "lessons_read = case when $4 = any(core_training_progress.lessons_read) then core_training_progress.lessons_read "
        "else core_training_progress.lessons_read || $4 end, updated_at = now()",
        current_tenant().id, staff_id, course_id, key)


# --------------------------------------------------------------------------- the quiz


def quiz_questions(course: Course) -> list[QuizQuestion]:
    return [QuizQuestion(key=q.key, prompt=q.prompt, choices=q.choices) for q in course.questions]


async def _ready_for_quiz(staff_id: int, course: Course) -> None:
    conn = current_connection()
    if course.state != "published":
        raise NotFound("course")
    if await conn.fetchval("select 1 from core_training_certificate where staff_id = $1 and course_id = $2", staff_id, course.id):
        raise Conflict("You have passed this course already.")
    read = await conn.fetchval("select lessons_read from core_training_progress where staff_id = $1 and course_id = $2",
                               staff_id, course.id) or []
    if {lesson.key for lesson in course.lessons} - set(read):
        raise Conflict("Read every lesson before the quiz.")
    wait = await conn.fetchval(
        "select retake_at from core_training_attempt where staff_id = $1 and course_id = $2 and state = 'failed' "
        "order by started_at desc limit 1", staff_id, course.id)
    if wait is not None and wait > clock.now():
        raise RetakeWait(wait)


class RetakeWait(Conflict):
    """A failed quiz may be taken again only from `retake_at`."""

    def __init__(self, retake_at: datetime) -> None:
        super().__init__("You can take the quiz again after the wait.")
        self.retake_at = retake_at


async def start_attempt(staff_id: int, course_id: int) -> Attempt:
    """The worker's open attempt at the quiz (opened now, or the one already open for this
    version of the course)."""
    course = await get_course(course_id)
    if not course.questions:
        raise NotFound("quiz")
    await _ready_for_quiz(staff_id, course)
    conn = current_connection()
    # An attempt opened before the course changed is void: its questions are not the quiz's now.
    await conn.execute("delete from core_training_attempt where staff_id = $1 and course_id = $2 and state = 'open' "
                       "and course_version <> $3", staff_id, course_id, course.version)
    await conn.execute(
        "insert into core_training_attempt (tenant_id, staff_id, course_id, course_version, started_at, total) "
        "values ($1, $2, $3, $4, $5, $6) on conflict (tenant_id, staff_id, course_id) where state = 'open' do nothing",
        current_tenant().id, staff_id, course_id, course.version, clock.now(), len(course.questions))
    row = await conn.fetchrow(f"select {_ATTEMPT} from core_training_attempt where staff_id = $1 and course_id = $2 and state = 'open'",
                              staff_id, course_id)
    return _attempt(row)


async def submit_attempt(staff_id: int, course_id: int, attempt_id: int, answers: dict[str, str]) -> Attempt:
    """Grade an open attempt once. `answers` maps a question's key to the chosen choice's index
    as posted; every question needs one."""
    conn = current_connection()
    # The course is read, not locked: an edit meanwhile raises its version, which the attempt's
    # is checked against; only the attempt's row is locked.
    course = await get_course(course_id)
    row = await conn.fetchrow(f"select {_ATTEMPT} from core_training_attempt where id = $1 and staff_id = $2 and course_id = $3 for update",
                              attempt_id, staff_id, course_id)
    if row is None:
        raise NotFound("attempt")
    if row["state"] != "open":
        raise Conflict("This quiz was already submitted.")
    if row["course_version"] != course.version or course.state != "published":
        await conn.execute("delete from core_training_attempt where id = $1", attempt_id)
        raise Conflict("The course changed while you took the quiz: please start it again.")
    chosen: dict[str, int] = {}
    missing = {}
    for question in course.questions:
        value = answers.get(question.key, "")
        if not is_digits(value) or int(value) >= len(question.choices):
            missing[f"q-{question.key}"] = N_("Choose an answer.")
        else:
            chosen[question.key] = int(value)
    if missing:
        raise ValidationFailed(missing)
    correct = sum(1 for q in course.questions if chosen[q.key] == q.answer)
    total = len(course.questions)
    score = correct * 100 // total
    passed = score >= course.pass_mark
    now = clock.now()
    retake_at = None if passed else now + timedelta(hours=course.retake_after_hours)
    row = await conn.fetchrow(
        "update core_training_attempt set state = $2, answers = $3, correct = $4, total = $5, score = $6, submitted_at = $7, "
        f"retake_at = $8 where id = $1 returning {_ATTEMPT}",
        attempt_id, "passed" if passed else "failed", msgspec.json.encode(chosen).decode(), correct, total, score, now, retake_at)
    if passed:
        await _certify(staff_id, course, attempt_id, score, now)
    return _attempt(row)


async def finish_course(staff_id: int, course_id: int) -> Certificate:
    """A course without a quiz is passed by reading every lesson."""
    course = await get_course(course_id)
    if course.questions:
        raise Conflict("This course ends with a quiz.")
    await _ready_for_quiz(staff_id, course)
    return await _certify(staff_id, course, None, None, clock.now())


async def _certify(staff_id: int, course: Course, attempt_id: int | None, score: int | None, passed_at: datetime) -> Certificate:
    """The certificate of completion, and on_course_passed in this transaction (a second pass of
    the same course is refused by the unique index before it is told)."""
    conn = current_connection()
    tenant = current_tenant()
    certificate_id = await conn.fetchval("select nextval(pg_get_serial_sequence('core_training_certificate', 'id'))")
    # The sequence is shared by every franchise, so the number is unique; the date makes it legible.
    number = f"TC{passed_at.astimezone(ZoneInfo(tenant.timezone)):%Y%m%d}-{certificate_id:06d}"
    try:
        # A savepoint: a racing second pass is refused here and the request can still answer.
        async with conn.transaction():
            await conn.execute(
                "insert into core_training_certificate (id, tenant_id, number, staff_id, course_id, attempt_id, course_title, score, passed_at) "
                "values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                certificate_id, tenant.id, number, staff_id, course.id, attempt_id, course.title, score, passed_at)
    except asyncpg.UniqueViolationError:
        raise Conflict("You have passed this course already.") from None
    await tell(current_runtime().hooks(tenant).on_course_passed, event=CourseEvent(
        tenant=tenant, staff_id=staff_id, course_code=course.code, certificate_no=number, passed_at=passed_at))
    return await get_certificate(certificate_id, staff_id=staff_id)


async def get_certificate(certificate_id: int, *, staff_id: int | None = None) -> Certificate:
    """A certificate; with `staff_id`, only that worker's (another's is not found)."""
    row = await current_connection().fetchrow(
        "select id, number, staff_id, course_id, course_title, score, passed_at from core_training_certificate "
        "where id = $1 and ($2::bigint is null or staff_id = $2)", certificate_id, staff_id)
    if row is None:
        raise NotFound("certificate")
    return Certificate(**dict(row), staff_name=(await get_worker(row["staff_id"])).name)


async def certificate_for(staff_id: int, course_id: int) -> int | None:
    return await current_connection().fetchval(
        "select id from core_training_certificate where staff_id = $1 and course_id = $2", staff_id, course_id)


# --------------------------------------------------------------------------- the office's view


async def who_is_due(*, course_id: int | None = None, category: str | None = None, status: str | None = None) -> list[DueRow]:
    """Active workers x the courses required of them, with where each stands."""
    await ensure_courses(current_tenant())
    courses = [c for c in await list_courses(states=("published",))
               if (course_id is None or c.id == course_id) and (not category or c.onboarding or category in c.categories)]
    workers = await list_workers(status="active")
    if not courses or not workers:
        return []
    items = await list_items(for_customer=current_tenant())
    standing = await _standing([w.id for w in workers])
    rows = []
    for worker in workers:
        skills = set(worker.skills)
        categories = {i.category_code for i in items if set(i.required_skills) <= skills}
        for course in courses:
            if is_required(course, categories):
                row = _worker_course(worker.id, course, standing.get((worker.id, course.id), {}), True)
                if status is None or row.status == status:
                    rows.append(DueRow(staff_id=worker.id, staff_name=worker.name, course=row))
    order = {"failed": 0, "not_started": 1, "in_progress": 2, "passed": 3}
    return sorted(rows, key=lambda r: (order[r.course.status], r.staff_name, r.course.title))


async def nudge(staff_id: int, course_id: int) -> None:
    """Remind a worker of a course due: an entry in their inbox (and their channels), in the
    franchise's language."""
    course = await get_course(course_id, FRANCHISE)
    worker = await get_worker(staff_id)
    if course.state != "published" or worker.status != "active":
        raise NotFound("course")
    if await certificate_for(staff_id, course_id):
        raise Conflict("This worker has passed the course already.")
    text = translations(current_tenant().locale).ugettext("Training due: %(title)s") % {"title": course.title}
    await add_notification(NotificationCreate(recipient_kind="staff", recipient_id=staff_id, title=text[:200],
                                              link=f"/staff/training/{course_id}"))


async def get_attempt(staff_id: int, course_id: int, attempt_id: int) -> Attempt:
    """One of the worker's own attempts (another's is not found)."""
    row = await current_connection().fetchrow(
        f"select {_ATTEMPT} from core_training_attempt where id = $1 and staff_id = $2 and course_id = $3", attempt_id, staff_id, course_id)
    if row is None:
        raise NotFound("attempt")
    return _attempt(row)
