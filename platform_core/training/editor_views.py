"""The course editor, one set of pages for two authors: a franchise's office in the console
(`/console/training`, `staff.manage`) and head office in the platform console
(`/platform/training`, operators). `editor_handlers` makes each author's routes over its store;
the franchise's also choose where head office's courses are required (console_views.py)."""

from __future__ import annotations

import re
from typing import Any, Callable

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from platform_core.catalog.services import list_categories
from platform_core.errors import HearthError, NotFound, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web import uploads
from platform_core.web.bounds import PathId
from platform_core.web.csrf import CSRF_FIELD
from platform_core.web.forms import (
    as_struct,
    done_notice,
    error_context,
    redirect_after_post,
)
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services, sync
from .schemas import CourseCreate, CourseSettings, LessonInput, QuestionInput
from .services import Store

STATE_LABELS = {"draft": N_("Draft"), "published": N_("Published"), "archived": N_("Archived")}
STATE_TONES = {"draft": "warning", "published": "success", "archived": "neutral"}
ORIGIN_LABELS = {"franchise": N_("Ours"), "head_office": N_("Head office"), "plugin": N_("From a plugin")}
NOTICES = {
    "created": N_("The course is created: add its lessons and quiz, then publish it."),
    "saved": N_("The course is saved."),
    "lesson": N_("The lesson is saved."),
    "question": N_("The question is saved."),
    "moved": N_("The course is saved."),
    "published": N_("The course is published: workers can take it."),
    "archived": N_("The course is archived: it is no longer due. Passes made are kept."),
    "required": N_("Where the course is required is saved."),
    "nudged": N_("The worker is reminded."),
}
KEY = r"^[a-z0-9]{1,16}$"


class Author:
    """Who writes here: the URL base, the guard, the store, the layout, and where uploads go."""

    def __init__(self, *, base: str, name: str, guards: list[Any], store: Store, layout: str) -> None:
        self.base, self.name, self.guards, self.store, self.layout = base, name, guards, store, layout

    def save_file(self, data: bytes, *, video: bool) -> str:
        if self.store.head_office:
            return sync.save_head_office_file(data, video=video)
        return (uploads.save_video if video else uploads.save_image)(current_tenant(), data)


async def category_options(author: Author) -> list[tuple[str, str]]:
    if author.store.head_office:
        return []
    return [(c.code, c.title) for c in await list_categories(current_tenant(), for_customer=False)]


async def _lesson_form(request: Request, author: Author) -> tuple[dict[str, str], dict[str, str]]:
    """The lesson's fields, with a picture or video uploaded (`<field>:file`) stored and put in
    its field; a video may instead be an https address (`video_link`)."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if k != CSRF_FIELD and not isinstance(v, UploadFile) and ":" not in k}
    errors: dict[str, str] = {}
    for name in ("image_url", "video_url"):
        upload = form.get(f"{name}:file")
        if form.get(f"{name}:remove") == "1":
            values[name] = ""
        if isinstance(upload, UploadFile) and upload.filename:
            video = name == "video_url"
            try:
                data = await upload.read((uploads.MAX_VIDEO_BYTES if video else uploads.MAX_BYTES) + 1)
                values[name] = author.save_file(data, video=video)
            except ValidationFailed as exc:
                errors[name] = exc.fields["file"]
    link = values.pop("video_link", "")
    if link:
        if not link.startswith("https://"):
            errors["video_link"] = N_("Give an https address, or upload the video.")
        else:
            values["video_url"] = link
    return values, errors


def editor_handlers(author: Author, *, extra_context: Callable[[Any], Any] | None = None) -> list[Any]:
    base, guards, store = author.base, author.guards, author.store

    async def course_page(request: Request, course_id: int, *, status_code: int = 200, **context: Any) -> Response:
        course = await services.get_course(course_id, store)
        extra = await extra_context(course) if extra_context else {}
        context.setdefault("errors", {})
        return page(request, "training/editor_course.html", console=True, status_code=status_code, course=course, base=base,
                    layout=author.layout, head_office=store.head_office, states=STATE_LABELS, tones=STATE_TONES,
                    origins=ORIGIN_LABELS, categories=await category_options(author), flash=done_notice(request, NOTICES),
                    **extra, **context)

    async def list_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
        if not store.head_office:
            await sync.ensure_courses(current_tenant())
        context.setdefault("errors", {})
        context.setdefault("values", {})
        return page(request, "training/editor_list.html", console=True, status_code=status_code, base=base, layout=author.layout,
                    courses=await services.list_courses(store), head_office=store.head_office, states=STATE_LABELS, tones=STATE_TONES,
                    origins=ORIGIN_LABELS, flash=done_notice(request, NOTICES), **context)

    @get(base, guards=guards, include_in_schema=False, name=f"{author.name}-training")
    async def courses(request: Request) -> Response:
        return await list_page(request)

    @post(base, guards=guards, include_in_schema=False, name=f"{author.name}-training-create")
    async def create(request: Request) -> Response:
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if k != CSRF_FIELD}
        try:
            course = await services.create_course(as_struct(values, CourseCreate), store)
        except HearthError as exc:
            return await list_page(request, status_code=exc.status_code, values=values, show_form=True, **error_context(exc))
        return redirect_after_post(request, f"{base}/{course.id}?done=created")

    @get(f"{base}/{{course_id:int}}", guards=guards, include_in_schema=False, name=f"{author.name}-training-course")
    async def course(request: Request, course_id: PathId) -> Response:
        return await course_page(request, course_id)

    @post(f"{base}/{{course_id:int}}/settings", guards=guards, include_in_schema=False, name=f"{author.name}-training-settings")
    async def settings(request: Request, course_id: PathId) -> Response:
        form = await request.form()
        values: dict[str, Any] = {k: str(v) for k, v in form.items() if k not in (CSRF_FIELD, "categories")}
        values["onboarding"] = values.get("onboarding") == "1"
        values["categories"] = [str(c) for c in form.getall("categories")] if "categories" in form else _codes(values.pop("category_codes", ""))
        try:
            await services.update_settings(course_id, as_struct(values, CourseSettings), store)
        except HearthError as exc:
            return await course_page(request, course_id, status_code=exc.status_code, settings_values=values, **error_context(exc))
        return redirect_after_post(request, f"{base}/{course_id}?done=saved")

    @post(f"{base}/{{course_id:int}}/lessons", guards=guards, include_in_schema=False, name=f"{author.name}-training-lesson-add")
    async def add_lesson(request: Request, course_id: PathId) -> Response:
        return await _save_lesson(request, course_id, None)

    @post(f"{base}/{{course_id:int}}/lessons/{{key:str}}", guards=guards, include_in_schema=False, name=f"{author.name}-training-lesson")
    async def save_lesson(request: Request, course_id: PathId, key: FromPath[str]) -> Response:
        return await _save_lesson(request, course_id, _key(key))

    async def _save_lesson(request: Request, course_id: int, key: str | None) -> Response:
        values, upload_errors = await _lesson_form(request, author)
        try:
            if upload_errors:
                raise ValidationFailed(upload_errors)
            await services.save_lesson(course_id, key, as_struct(values, LessonInput), store)
        except HearthError as exc:
            return await course_page(request, course_id, status_code=exc.status_code, lesson_key=key or "new", lesson_values=values,
                                     **error_context(exc))
        return redirect_after_post(request, f"{base}/{course_id}?done=lesson#lessons")

    @post(f"{base}/{{course_id:int}}/questions", guards=guards, include_in_schema=False, name=f"{author.name}-training-question-add")
    async def add_question(request: Request, course_id: PathId) -> Response:
        return await _save_question(request, course_id, None)

    @post(f"{base}/{{course_id:int}}/questions/{{key:str}}", guards=guards, include_in_schema=False, name=f"{author.name}-training-question")
    async def save_question(request: Request, course_id: PathId, key: FromPath[str]) -> Response:
        return await _save_question(request, course_id, _key(key))

    async def _save_question(request: Request, course_id: int, key: str | None) -> Response:
        form = await request.form()
        values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if k != CSRF_FIELD and not k.startswith("choice")}
        choices = [str(form.get(f"choice{i}", "")).strip() for i in range(6)]
        values["choices"] = [c for c in choices if c]
        try:
            # The right answer is ticked among the filled choices; its index counts only those.
            picked = int(values.get("answer", ""))
            values["answer"] = sum(1 for c in choices[:picked] if c) if 0 <= picked < 6 and choices[picked] else 99
        except ValueError:
            values["answer"] = 99
        try:
            await services.save_question(course_id, key, as_struct(values, QuestionInput), store)
        except HearthError as exc:
            return await course_page(request, course_id, status_code=exc.status_code, question_key=key or "new",
                                     question_values={**values, "choices": choices, "answer": form.get("answer")},
                                     **error_context(exc))
        return redirect_after_post(request, f"{base}/{course_id}?done=question#quiz")

    @post(f"{base}/{{course_id:int}}/{{part:str}}/{{key:str}}/{{op:str}}", guards=guards, include_in_schema=False,
          name=f"{author.name}-training-move")
    async def move(request: Request, course_id: PathId, part: FromPath[str], key: FromPath[str], op: FromPath[str]) -> Response:
        try:
            await services.move(course_id, part, _key(key), op, store)
        except HearthError as exc:
            return await course_page(request, course_id, status_code=exc.status_code, **error_context(exc))
        anchor = "lessons" if part == "lessons" else "quiz"
        return redirect_after_post(request, f"{base}/{course_id}?done=moved#{anchor}")

    @post(f"{base}/{{course_id:int}}/publish", guards=guards, include_in_schema=False, name=f"{author.name}-training-publish")
    async def publish(request: Request, course_id: PathId) -> Response:
        try:
            await services.publish(course_id, store)
            if store.head_office:
                await sync.publish_to_every_franchise()
        except HearthError as exc:
            return await course_page(request, course_id, status_code=exc.status_code, **error_context(exc))
        return redirect_after_post(request, f"{base}/{course_id}?done=published")

    @post(f"{base}/{{course_id:int}}/archive", guards=guards, include_in_schema=False, name=f"{author.name}-training-archive")
    async def archive(request: Request, course_id: PathId) -> Response:
        try:
            await services.archive(course_id, store)
            if store.head_office:
                await sync.publish_to_every_franchise()
        except HearthError as exc:
            return await course_page(request, course_id, status_code=exc.status_code, **error_context(exc))
        return redirect_after_post(request, f"{base}/{course_id}?done=archived")

    return [courses, create, course, settings, add_lesson, save_lesson, add_question, save_question, move, publish, archive]


def _key(key: str) -> str:
    if not re.match(KEY, key):
        raise NotFound("lesson")
    return key


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]
