"""Shared by the training tests: a published course with lessons and a quiz, written through the
services as the console would."""

from __future__ import annotations

from platform_core.tenancy.context import tenant_scope
from platform_core.training import services
from platform_core.training.schemas import (
    CourseCreate,
    CourseSettings,
    LessonInput,
    QuestionInput,
)


async def published_course(tenant, *, code: str = "safety", categories=("cleaning",), onboarding: bool = False,
                           pass_mark: int = 60, retake_after_hours: int = 24, questions: int = 2) -> int:
    async with tenant_scope(tenant.id):
        course = await services.create_course(CourseCreate(code=code, title=f"课程 {code}", summary="服务规范"))
        await services.update_settings(course.id, CourseSettings(title=f"课程 {code}", pass_mark=pass_mark,
                                                                 retake_after_hours=retake_after_hours, categories=list(categories),
                                                                 onboarding=onboarding))
        await services.save_lesson(course.id, None, LessonInput(title="进门之前", body="敲门三下。\n\n出示工牌。"))
        await services.save_lesson(course.id, None, LessonInput(title="用电安全", body="先断电再清洁。"))
        for i in range(questions):
            await services.save_question(course.id, None, QuestionInput(prompt=f"问题 {i}", choices=["对", "错", "不知道"], answer=0))
        await services.publish(course.id)
        return course.id


async def read_all(tenant, staff_id: int, course_id: int) -> None:
    from platform_core.training import learning

    async with tenant_scope(tenant.id):
        course = await services.get_course(course_id)
        for lesson in course.lessons:
            await learning.read_lesson(staff_id, course_id, lesson.key)


async def answers(tenant, course_id: int, *, right: int) -> dict[str, str]:
    """Posted answers with the first `right` questions right and the rest wrong."""
    async with tenant_scope(tenant.id):
        course = await services.get_course(course_id)
    return {q.key: str(q.answer if i < right else (q.answer + 1) % len(q.choices)) for i, q in enumerate(course.questions)}
