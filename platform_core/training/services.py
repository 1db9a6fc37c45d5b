"""Training's courses as the office and head office write them: create, the course's own fields,
its lessons and questions, draft -> published -> archived. No HTTP here.

One set of functions serves both authors, by the table they write (`FRANCHISE`, a franchise's
own courses under its row-level security; `HEAD_OFFICE`, the platform's). A franchise's copy of
a head-office course keeps head office's content (only where it is required is the franchise's);
a plugin's course is the franchise's to edit, and once edited the plugin no longer updates it
(sync.py). Every change to a franchise course's content raises its ``version``: a quiz opened
before the change is not graded against the new questions (learning.py). Passes already made
are kept through any edit: certificates are their own rows.
"""

from __future__ import annotations

import secrets
from typing import Any, NamedTuple

import asyncpg
import msgspec

from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.tenancy.stamped import Stamped
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import (
    MAX_LESSONS,
    MAX_QUESTIONS,
    Course,
    CourseCreate,
    CourseSettings,
    Lesson,
    LessonInput,
    Question,
    QuestionInput,
    Requirement,
)


class Store(NamedTuple):
    """Whose courses: the table, and whether edits bump the version at once (a franchise's) or
    only when published (head office's, whose version is what franchises' copies follow)."""

    table: str
    head_office: bool


FRANCHISE = Store("core_training_course", head_office=False)
HEAD_OFFICE = Store("core_training_hq_course", head_office=True)

_COLUMNS = "id, code, title, summary, lessons, questions, pass_mark, retake_after_hours, categories, onboarding, state, version, updated_at"
_FRANCHISE_COLUMNS = _COLUMNS + ", hq_course_id, source_plugin, edited"


# The published courses each category requires, by the franchise's stamp (training_0002's trigger
# renews it when a course's state, categories, code or title change): dispatch, the booking pages
# and every placement ask for them without a statement.
kept_requirements: Stamped[tuple[tuple[str, str], ...]] = Stamped("training_requirements", limit=10_000)


def courses_changed() -> None:
    """A course changed in this transaction: its later reads of the requirements go to the database."""
    kept_requirements.written()


def _columns(store: Store) -> str:
    return _COLUMNS if store.head_office else _FRANCHISE_COLUMNS


def course_from_row(row: asyncpg.Record) -> Course:
    keys = row.keys()
    origin = "head_office" if "hq_course_id" in keys and row["hq_course_id"] else (
        "plugin" if "source_plugin" in keys and row["source_plugin"] else "franchise")
    return Course(
        id=row["id"], code=row["code"], title=row["title"], summary=row["summary"],
        lessons=msgspec.json.decode(row["lessons"], type=list[Lesson]),
        questions=msgspec.json.decode(row["questions"], type=list[Question]),
        pass_mark=row["pass_mark"], retake_after_hours=row["retake_after_hours"], categories=list(row["categories"]),
        onboarding=row["onboarding"], state=row["state"], version=row["version"], origin=origin,
        source_plugin=row["source_plugin"] if "source_plugin" in keys else None,
        edited=row["edited"] if "edited" in keys else False, updated_at=row["updated_at"],
    )


def new_key() -> str:
    return secrets.token_hex(6)


async def list_courses(store: Store = FRANCHISE, *, states: tuple[str, ...] = ("draft", "published", "archived")) -> list[Course]:
    rows = await current_connection().fetch(
        f"select {_columns(store)} from {store.table} where state = any($1) "
        "order by case state when 'published' then 0 when 'draft' then 1 else 2 end, title", list(states))
    return [course_from_row(r) for r in rows]


async def get_course(course_id: int, store: Store = FRANCHISE, *, lock: bool = False) -> Course:
    row = await current_connection().fetchrow(
        f"select {_columns(store)} from {store.table} where id = $1{' for update' if lock else ''}", course_id)
    if row is None:
        raise NotFound("course")
    return course_from_row(row)


async def create_course(data: CourseCreate, store: Store = FRANCHISE) -> Course:
    conn = current_connection()
    if await conn.fetchval(f"select 1 from {store.table} where code = $1", data.code):
        raise Conflict("A course with this code already exists.", fields={"code": "Already in use."})
    tenant = "" if store.head_office else "tenant_id, "
    value = "" if store.head_office else "nullif(current_setting('app.tenant_id', true), '')::bigint, "
    try:
        # A savepoint: the loser of two creates racing for the code gets the same 409.
        async with conn.transaction():
            row = await conn.fetchrow(
                f"insert into {store.table} ({tenant}code, title, summary) values ({value}$1, $2, $3) returning {_columns(store)}",
                data.code, data.title.strip(), data.summary.strip())
    except asyncpg.UniqueViolationError:
        raise Conflict("A course with this code already exists.", fields={"code": "Already in use."}) from None
    return course_from_row(row)


async def _editable(course_id: int, store: Store) -> Course:
    course = await get_course(course_id, store, lock=True)
    if course.content_locked:
        raise Conflict("This course is head office's: only where it is required can be changed here.")
    return course


async def _write(store: Store, course_id: int, **changes: Any) -> None:
    """Apply `changes` to the course; a franchise's content change raises its version and, on a
    plugin's course, stops the plugin's updates from overwriting it."""
    encoded = {k: (msgspec.json.encode(v).decode() if k in ("lessons", "questions") else v) for k, v in changes.items()}
    sets = [f"{name} = ${i}" for i, name in enumerate(encoded, start=2)]
    if not store.head_office:
        sets += ["version = version + 1", "edited = true"]
    courses_changed()
    await current_connection().execute(
        f"update {store.table} set {', '.join(sets)}, updated_at = now() where id = $1", course_id, *encoded.values())


async def update_settings(course_id: int, data: CourseSettings, store: Store = FRANCHISE) -> Course:
    await _editable(course_id, store)
    await _write(store, course_id, title=data.title.strip(), summary=data.summary.strip(), pass_mark=data.pass_mark,
                 retake_after_hours=data.retake_after_hours, categories=sorted(set(data.categories)), onboarding=data.onboarding)
    return await get_course(course_id, store)


async def set_requirement(course_id: int, data: Requirement) -> Course:
    """Where a franchise requires a course (any course, head office's included). Not content: the
    version stays, and a plugin keeps updating its course."""
    await get_course(course_id, FRANCHISE, lock=True)
    courses_changed()
    await current_connection().execute(
        "update core_training_course set categories = $2, onboarding = $3, updated_at = now() where id = $1",
        course_id, sorted(set(data.categories)), data.onboarding)
    return await get_course(course_id)


def _check_media(data: LessonInput) -> None:
    errors = {}
    if data.image_url and not data.image_url.startswith(("/media/", "https://")):
        errors["image_url"] = N_("Use an uploaded picture or an https address.")
    if data.video_url and not data.video_url.startswith(("/media/", "https://")):
        errors["video_url"] = N_("Upload an MP4 video or give an https address.")
    if errors:
        raise ValidationFailed(errors)


async def save_lesson(course_id: int, key: str | None, data: LessonInput, store: Store = FRANCHISE) -> Course:
    """Add a lesson (key None) at the end, or change the lesson of that key."""
    _check_media(data)
    course = await _editable(course_id, store)
    lessons = list(course.lessons)
    lesson = Lesson(key=key or new_key(), title=data.title.strip(), body=data.body.strip(), image_url=data.image_url,
                    video_url=data.video_url)
    if key is None:
        if len(lessons) >= MAX_LESSONS:
            raise ValidationFailed({"title": "A course has at most 40 lessons."})
        lessons.append(lesson)
    else:
        lessons[_index(lessons, key)] = lesson
    await _write(store, course_id, lessons=lessons)
    return await get_course(course_id, store)


async def save_question(course_id: int, key: str | None, data: QuestionInput, store: Store = FRANCHISE) -> Course:
    choices = [c.strip() for c in data.choices if c.strip()]
    if len(choices) < 2:
        raise ValidationFailed({"choices": "Give at least two choices."})
    if data.answer >= len(choices):
        raise ValidationFailed({"answer": "Mark one of the choices as the right answer."})
    course = await _editable(course_id, store)
    questions = list(course.questions)
    question = Question(key=key or new_key(), prompt=data.prompt.strip(), choices=choices, answer=data.answer)
    if key is None:
        if len(questions) >= MAX_QUESTIONS:
            raise ValidationFailed({"prompt": "A quiz has at most 50 questions."})
        questions.append(question)
    else:
        questions[_index(questions, key)] = question
    await _write(store, course_id, questions=questions)
    return await get_course(course_id, store)


def _index(rows: list[Any], key: str) -> int:
    for at, row in enumerate(rows):
        if row.key == key:
            return at
    raise NotFound("lesson")


async def move(course_id: int, part: str, key: str, op: str, store: Store = FRANCHISE) -> Course:
    """Move a lesson or question ("lessons" / "questions") up or down, or remove it."""
    if part not in ("lessons", "questions") or op not in ("up", "down", "remove"):
        raise NotFound("lesson")
    course = await _editable(course_id, store)
    rows = list(getattr(course, part))
    at = _index(rows, key)
    if op == "remove":
        rows.pop(at)
    else:
        to = at - 1 if op == "up" else at + 1
        if not 0 <= to < len(rows):
            return course
        rows[at], rows[to] = rows[to], rows[at]
    await _write(store, course_id, **{part: rows})
    return await get_course(course_id, store)


async def publish(course_id: int, store: Store = FRANCHISE) -> Course:
    """Draft or archived -> published (head office: again, which updates every franchise's copy)."""
    course = await get_course(course_id, store, lock=True)
    if course.content_locked:
        raise Conflict("This course is head office's: only where it is required can be changed here.")
    if not course.lessons:
        raise Conflict("Add at least one lesson before publishing.")
    bump = ", version = version + 1" if store.head_office else ""
    courses_changed()
    await current_connection().execute(f"update {store.table} set state = 'published'{bump}, updated_at = now() where id = $1", course_id)
    return await get_course(course_id, store)


async def archive(course_id: int, store: Store = FRANCHISE) -> Course:
    """Published -> archived: no longer due nor offered; passes and certificates stay."""
    course = await get_course(course_id, store, lock=True)
    if course.content_locked:
        raise Conflict("This course is head office's: only where it is required can be changed here.")
    if course.state != "published":
        raise Conflict("Only a published course can be archived.")
    bump = ", version = version + 1" if store.head_office else ""
    courses_changed()
    await current_connection().execute(f"update {store.table} set state = 'archived'{bump}, updated_at = now() where id = $1", course_id)
    return await get_course(course_id, store)
