"""`[training]` of a tenant file (the demo): the franchise's courses (`[[training.courses]]`, each
a CourseSpec: lessons, questions, pass mark, categories, onboarding) and where its workers stand
(`[[training.progress]]`: phone, course, state "passed", "failed" or "reading"). Idempotent: a
course made once is left alone, and so is a worker who has started the course."""

from __future__ import annotations

from typing import Any

import msgspec

from platform_core.accounts import services as accounts
from platform_core.crypto import Keyring
from platform_core.db import current_connection
from platform_core.pluginsys.contexts import CourseSpec
from platform_core.tenancy.context import tenant_scope

from . import learning, services
from .sync import course_content

STATES = ("passed", "failed", "reading")


async def apply_training(keyring: Keyring, tenant_id: int, spec: dict[str, list[dict[str, Any]]]) -> list[str]:
    changes: list[str] = []
    async with tenant_scope(tenant_id) as tenant:
        conn = current_connection()
        for entry in spec.get("courses", []):
            course = msgspec.convert(entry, CourseSpec)
            if await conn.fetchval("select 1 from core_training_course where code = $1", course.code):
                continue
            lessons, questions = course_content(course)
            services.courses_changed()
            await conn.execute(
                "insert into core_training_course (tenant_id, code, title, summary, lessons, questions, pass_mark, retake_after_hours, "
                " categories, onboarding, state, version) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'published', 1)",
                tenant.id, course.code, course.title, course.summary, msgspec.json.encode(lessons).decode(),
                msgspec.json.encode(questions).decode(), course.pass_mark, course.retake_after_hours, course.categories, course.onboarding)
            changes.append(f"{tenant.slug}: course {course.code} created")
        codes = {c.code: c for c in await services.list_courses()}
        for entry in spec.get("progress", []):
            staff_id = await accounts.staff_id_for_phone(keyring, tenant, entry["phone"])
            course = codes.get(entry["course"])
            if staff_id is None or course is None or entry.get("state") not in STATES:
                raise ValueError(f"[[training.progress]] names an unknown worker, course or state: {entry}")
            if await conn.fetchval("select 1 from core_training_progress where staff_id = $1 and course_id = $2", staff_id, course.id):
                continue
            await _take(staff_id, course, entry["state"])
            changes.append(f"{tenant.slug}: training of {entry['phone']} in {course.code}: {entry['state']}")
    return changes


async def _take(staff_id: int, course: Any, state: str) -> None:
    """Walk the worker through the course as the staff app would, so passes fire on_course_passed."""
    lessons = course.lessons if state != "reading" else course.lessons[:1]
    for lesson in lessons:
        await learning.read_lesson(staff_id, course.id, lesson.key)
    if state == "reading":
        return
    if not course.questions:
        await learning.finish_course(staff_id, course.id)
        return
    attempt = await learning.start_attempt(staff_id, course.id)
    right = state == "passed"
    answers = {q.key: str(q.answer if right else (q.answer + 1) % len(q.choices)) for q in course.questions}
    await learning.submit_attempt(staff_id, course.id, attempt.id, answers)
