"""Courses a franchise did not write: head office's, copied in, and plugins', made from their
CourseSpec (provide_training_courses), the way the catalog makes plugin categories.

Head office's copies follow head office's ``version``: a copy behind it takes the new content and
state. This runs for every franchise when head office publishes, and before a franchise's
training pages are read (`ensure_courses`: one query when nothing is behind), so a franchise
created later has them the first time its office or workers look (the requirement hook, which
only reads, counts the ones not copied yet). Where a copy is required stays the franchise's
choice after the first copy.

A plugin's course is made once; the plugin's later versions (told apart by a digest of the spec)
update it only while the office has not edited it. A franchise course already using the code wins.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import msgspec

from platform_core.db import current_connection
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import CourseSpec
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import acting_for, tenant_scope
from platform_core.tenancy.schemas import TenantContext
from platform_core.tenancy.services import tenant_ids
from platform_core.web import uploads

from .schemas import (
    CODE_PATTERN,
    MAX_CHOICES,
    MAX_LESSONS,
    MAX_QUESTIONS,
    Lesson,
    Question,
)
from .services import courses_changed

_BEHIND = """
select h.id, h.code, h.title, h.summary, h.lessons, h.questions, h.pass_mark, h.retake_after_hours, h.categories,
       h.onboarding, h.state, h.version
from core_training_hq_course h
left join core_training_course c on c.hq_course_id = h.id
where h.state <> 'draft' and (c.id is null or c.hq_version < h.version)
  and not exists (select 1 from core_training_course o where o.code = h.code and o.hq_course_id is distinct from h.id)
"""


def head_office_media_dir() -> Path:
    return Path(current_runtime().settings.data_dir) / "media" / "hq"


class _HeadOffice:
    """Stands for a franchise in web.uploads, which keeps files under media/<its id>: head
    office's go under media/hq."""

    id = "hq"


def save_head_office_file(data: bytes, *, video: bool) -> str:
    """Keep a picture or video head office uploads, checked as a franchise's are; copied into a
    franchise's media when its copy of the course is made (pages serve media per franchise)."""
    return (uploads.save_video if video else uploads.save_image)(_HeadOffice(), data)  # type: ignore[arg-type]


def _copy_media(tenant: TenantContext, lessons: list[Lesson]) -> None:
    source, target = head_office_media_dir(), uploads.media_dir(tenant)
    for lesson in lessons:
        for url in (lesson.image_url, lesson.video_url):
            name = url[len(uploads.URL_PREFIX):]
            if url.startswith(uploads.URL_PREFIX) and uploads.NAME.match(name) and (source / name).is_file() and not (target / name).exists():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / name, target / name)


async def sync_head_office(tenant: TenantContext) -> int:
    """Bring the franchise's copies of head office's courses up to date; returns how many changed."""
    conn = current_connection()
    changed = 0
    for row in await conn.fetch(_BEHIND):
        _copy_media(tenant, msgspec.json.decode(row["lessons"], type=list[Lesson]))
        courses_changed()
        await conn.execute(
            "insert into core_training_course (tenant_id, code, title, summary, lessons, questions, pass_mark, retake_after_hours, "
            " categories, onboarding, state, version, hq_course_id, hq_version) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) "
            "on conflict (tenant_id, hq_course_id) do update set title = excluded.title, summary = excluded.summary, "
            " lessons = excluded.lessons, questions = excluded.questions, pass_mark = excluded.pass_mark, "
            " retake_after_hours = excluded.retake_after_hours, state = excluded.state, hq_version = excluded.hq_version, "
            " version = core_training_course.version + 1, updated_at = now()",
            tenant.id, row["code"], row["title"], row["summary"], row["lessons"], row["questions"], row["pass_mark"],
            row["retake_after_hours"], row["categories"], row["onboarding"], row["state"], row["id"], row["version"])
        changed += 1
    return changed


async def publish_to_every_franchise() -> int:
    """After head office publishes or archives (a platform request): every franchise's copy now,
    in the request's one transaction. Returns the franchises updated."""
    updated = 0
    for tenant_id in await tenant_ids():
        async with acting_for(tenant_id) as tenant:
            updated += bool(await sync_head_office(tenant))
    return updated


def _digest(spec: CourseSpec) -> str:
    return hashlib.sha256(msgspec.json.encode(spec)).hexdigest()


def course_content(spec: CourseSpec) -> tuple[list[Lesson], list[Question]]:
    """The spec's lessons and questions within the editor's bounds; a question whose answer is not
    one of its choices is left out rather than graded wrongly. Keys follow positions, so a
    plugin's update keeps workers' progress."""
    lessons = [Lesson(key=f"p{i}", title=lesson.title[:120], body=lesson.body[:10_000], image_url=lesson.image_url[:2000],
                      video_url=lesson.video_url[:2000]) for i, lesson in enumerate(spec.lessons[:MAX_LESSONS])]
    questions = [Question(key=f"q{i}", prompt=q.prompt[:500], choices=[c[:200] for c in q.choices[:MAX_CHOICES]], answer=q.answer)
                 for i, q in enumerate(spec.questions[:MAX_QUESTIONS])
                 if 2 <= len(q.choices) and 0 <= q.answer < min(len(q.choices), MAX_CHOICES)]
    return lessons, questions


async def sync_plugin_courses(tenant: TenantContext) -> list[str]:
    """Make or update the courses of the plugins the tenant has on; returns the codes written."""
    conn = current_connection()
    written = []
    for plugin, spec in collect_now(current_runtime().hooks(tenant).provide_training_courses):
        if not re.match(CODE_PATTERN, spec.code) or len(spec.code) > 40:
            continue
        digest = _digest(spec)
        lessons, questions = course_content(spec)
        values = (spec.title[:120], spec.summary[:1000], msgspec.json.encode(lessons).decode(), msgspec.json.encode(questions).decode(),
                  min(max(spec.pass_mark, 1), 100), min(max(spec.retake_after_hours, 0), 8760), sorted(set(spec.categories))[:50],
                  spec.onboarding)
        existing = await conn.fetchrow("select id, source_plugin, plugin_digest, edited from core_training_course where code = $1", spec.code)
        if existing is None:
            courses_changed()
            await conn.execute(
                "insert into core_training_course (tenant_id, code, title, summary, lessons, questions, pass_mark, retake_after_hours, "
                " categories, onboarding, state, version, source_plugin, plugin_digest) "
                "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'published', 1, $11, $12) on conflict (tenant_id, code) do nothing",
                tenant.id, spec.code, *values, plugin, digest)
        elif existing["source_plugin"] == plugin and not existing["edited"] and existing["plugin_digest"] != digest:
            courses_changed()
            await conn.execute(
                "update core_training_course set title = $2, summary = $3, lessons = $4, questions = $5, pass_mark = $6, "
                " retake_after_hours = $7, categories = $8, onboarding = $9, plugin_digest = $10, version = version + 1, "
                " updated_at = now() where id = $1",
                existing["id"], *values, digest)
        else:
            continue
        written.append(spec.code)
    return written


async def ensure_courses(tenant: TenantContext) -> None:
    """Before a franchise's training is read: head office's courses it does not have yet."""
    await sync_head_office(tenant)


async def sync_every_tenant() -> None:
    """At startup, for every franchise with a course-shipping plugin on, in its own transaction:
    the plugins' courses installed or upgraded since the last start. (Head office's come with
    `ensure_courses`.)"""
    providers = {plugin for plugin, _ in collect_now(current_runtime().pm.hook.provide_training_courses)}
    if not providers:
        return
    for tenant_id in await tenant_ids():
        async with tenant_scope(tenant_id) as tenant:
            if tenant.enabled_plugins & providers:
                await sync_plugin_courses(tenant)
