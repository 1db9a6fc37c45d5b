"""Training in the staff app (mobile): my courses (due, in progress, passed), a course and its
lessons (read as I open them), the quiz (graded on the server) and its result, and my
certificates. A worker sees only their own attempts and certificates."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from platform_core import clock
from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError, NotFound
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import error_context, form_data, redirect_after_post
from platform_core.web.pages import page

from . import learning
from .console_views import STATUS_LABELS, STATUS_TONES

GUARDS = [require_staff]


def _zone() -> ZoneInfo:
    return ZoneInfo(current_tenant().timezone)


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "status_tones": STATUS_TONES, "tz": _zone()}


@get("/staff/training", guards=GUARDS, include_in_schema=False, name="staff-training")
async def my_training(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    courses = await learning.worker_courses(staff.id)
    return page(request, "training/staff_courses.html", **_labels(),
                due=[c for c in courses if c.required and c.status != "passed"],
                in_progress=[c for c in courses if not c.required and c.status in ("in_progress", "failed")],
                passed=[c for c in courses if c.status == "passed"],
                more=[c for c in courses if not c.required and c.status == "not_started"])


async def _course_page(request: Request, staff_id: int, course_id: int, *, status_code: int = 200, **context) -> Response:
    course, standing, read = await learning.course_for_worker(staff_id, course_id)
    return page(request, "training/staff_course.html", status_code=status_code, course=course, standing=standing, read=read, now=clock.now(),
                certificate_id=await learning.certificate_for(staff_id, course_id), **_labels(), **context)


@get("/staff/training/{course_id:int}", guards=GUARDS, include_in_schema=False, name="staff-training-course")
async def course_page(request: Request, principal: NamedDependency[Principal], course_id: PathId) -> Response:
    staff = await active_staff(principal)
    return await _course_page(request, staff.id, course_id)


@get("/staff/training/{course_id:int}/lessons/{key:str}", guards=GUARDS, include_in_schema=False, name="staff-training-lesson")
async def lesson_page(request: Request, principal: NamedDependency[Principal], course_id: PathId, key: FromPath[str]) -> Response:
    staff = await active_staff(principal)
    course, _, _ = await learning.course_for_worker(staff.id, course_id)
    keys = [lesson.key for lesson in course.lessons]
    if key not in keys:
        raise NotFound("lesson")
    # Opening the lesson is reading it: the progress the course page and the office see.
    if course.state == "published":
        await learning.read_lesson(staff.id, course_id, key)
    at = keys.index(key)
    return page(request, "training/staff_lesson.html", course=course, lesson=course.lessons[at], number=at + 1,
                next_key=keys[at + 1] if at + 1 < len(keys) else None, previous_key=keys[at - 1] if at else None)


@post("/staff/training/{course_id:int}/quiz", guards=GUARDS, include_in_schema=False, name="staff-training-quiz-start")
async def start_quiz(request: Request, principal: NamedDependency[Principal], course_id: PathId) -> Response:
    staff = await active_staff(principal)
    try:
        attempt = await learning.start_attempt(staff.id, course_id)
    except HearthError as exc:
        return await _course_page(request, staff.id, course_id, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"/staff/training/{course_id}/quiz/{attempt.id}")


@get("/staff/training/{course_id:int}/quiz/{attempt_id:int}", guards=GUARDS, include_in_schema=False, name="staff-training-quiz")
async def quiz_page(request: Request, principal: NamedDependency[Principal], course_id: PathId, attempt_id: PathId) -> Response:
    staff = await active_staff(principal)
    course, _, _ = await learning.course_for_worker(staff.id, course_id)
    attempt = await learning.get_attempt(staff.id, course_id, attempt_id)
    if attempt.state != "open":
        return redirect_after_post(request, f"/staff/training/{course_id}/results/{attempt_id}")
    return page(request, "training/staff_quiz.html", course=course, attempt=attempt, questions=learning.quiz_questions(course),
                chosen={}, errors={})


@post("/staff/training/{course_id:int}/quiz/{attempt_id:int}", guards=GUARDS, include_in_schema=False, name="staff-training-quiz-submit")
async def submit_quiz(request: Request, principal: NamedDependency[Principal], course_id: PathId, attempt_id: PathId) -> Response:
    staff = await active_staff(principal)
    answers = {k.removeprefix("q-"): v for k, v in (await form_data(request)).items() if k.startswith("q-")}
    try:
        await learning.submit_attempt(staff.id, course_id, attempt_id, answers)
    except HearthError as exc:
        course, _, _ = await learning.course_for_worker(staff.id, course_id)
        return page(request, "training/staff_quiz.html", status_code=exc.status_code, course=course,
                    attempt=await learning.get_attempt(staff.id, course_id, attempt_id), questions=learning.quiz_questions(course),
                    chosen=answers, **error_context(exc))
    return redirect_after_post(request, f"/staff/training/{course_id}/results/{attempt_id}")


@get("/staff/training/{course_id:int}/results/{attempt_id:int}", guards=GUARDS, include_in_schema=False, name="staff-training-result")
async def result_page(request: Request, principal: NamedDependency[Principal], course_id: PathId, attempt_id: PathId) -> Response:
    staff = await active_staff(principal)
    course, _, _ = await learning.course_for_worker(staff.id, course_id)
    attempt = await learning.get_attempt(staff.id, course_id, attempt_id)
    if attempt.state == "open":
        return redirect_after_post(request, f"/staff/training/{course_id}/quiz/{attempt_id}")
    return page(request, "training/staff_result.html", course=course, attempt=attempt,
                certificate_id=await learning.certificate_for(staff.id, course_id), **_labels())


@post("/staff/training/{course_id:int}/finish", guards=GUARDS, include_in_schema=False, name="staff-training-finish")
async def finish(request: Request, principal: NamedDependency[Principal], course_id: PathId) -> Response:
    staff = await active_staff(principal)
    try:
        certificate = await learning.finish_course(staff.id, course_id)
    except HearthError as exc:
        return await _course_page(request, staff.id, course_id, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"/staff/training/certificates/{certificate.id}")


@get("/staff/training/certificates/{certificate_id:int}", guards=GUARDS, include_in_schema=False, name="staff-training-certificate")
async def certificate_page(request: Request, principal: NamedDependency[Principal], certificate_id: PathId) -> Response:
    staff = await active_staff(principal)
    return page(request, "training/certificate.html", certificate=await learning.get_certificate(certificate_id, staff_id=staff.id),
                tz=_zone(), tenant_name=current_tenant().name, back="/staff/training")


STAFF_HANDLERS = [my_training, course_page, lesson_page, start_quiz, quiz_page, submit_quiz, result_page, finish, certificate_page]
