"""Training's Structs: a course with its lessons and quiz as the office edits it, the forms that
change it, and what a worker sees of it (never the right answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from platform_core.bounds import Url, text

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
CourseCode = Annotated[str, Meta(min_length=2, max_length=40, pattern=CODE_PATTERN)]
CourseState = Literal["draft", "published", "archived"]
Origin = Literal["franchise", "head_office", "plugin"]
Status = Literal["not_started", "in_progress", "failed", "passed"]
PassMark = Annotated[int, Meta(ge=1, le=100)]
RetakeHours = Annotated[int, Meta(ge=0, le=8760)]
CategoryCodes = Annotated[list[Annotated[str, Meta(max_length=64, pattern=CODE_PATTERN)]], Meta(max_length=50)]
MAX_LESSONS = 40
MAX_QUESTIONS = 50
MAX_CHOICES = 6


class Lesson(msgspec.Struct, kw_only=True):
    """One lesson: paragraphs of text (blank lines between them), an optional picture and video.
    ``key`` stays with the lesson through edits, so a worker's progress survives them."""

    key: str
    title: str
    body: str = ""
    image_url: str = ""
    video_url: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    @property
    def video_is_file(self) -> bool:
        return self.video_url.startswith("/media/")


class Question(msgspec.Struct, kw_only=True):
    """A single-choice question; ``answer`` is the index of the right choice."""

    key: str
    prompt: str
    choices: list[str]
    answer: int


class Course(msgspec.Struct, kw_only=True):
    id: int
    code: str
    title: str
    summary: str
    lessons: list[Lesson]
    questions: list[Question]
    pass_mark: int
    retake_after_hours: int
    categories: list[str]
    onboarding: bool
    state: CourseState
    version: int
    origin: Origin = "franchise"
    source_plugin: str | None = None
    edited: bool = False
    updated_at: datetime | None = None

    @property
    def content_locked(self) -> bool:
        """Head office's content is head office's: a franchise chooses only where it is required."""
        return self.origin == "head_office"


class CourseCreate(msgspec.Struct, frozen=True, kw_only=True):
    code: CourseCode
    title: text(120, min_length=1)  # type: ignore[valid-type]
    summary: text(1000) = ""  # type: ignore[valid-type]


class CourseSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The course's own fields (not its lessons and questions)."""

    title: text(120, min_length=1)  # type: ignore[valid-type]
    summary: text(1000) = ""  # type: ignore[valid-type]
    pass_mark: PassMark = 80
    retake_after_hours: RetakeHours = 24
    categories: CategoryCodes = []
    onboarding: bool = False


class Requirement(msgspec.Struct, frozen=True, kw_only=True):
    """Where a course is required: what a franchise may choose for head office's courses too."""

    categories: CategoryCodes = []
    onboarding: bool = False


class LessonInput(msgspec.Struct, frozen=True, kw_only=True):
    title: text(120, min_length=1)  # type: ignore[valid-type]
    body: text(10_000) = ""  # type: ignore[valid-type]
    image_url: Url = ""
    video_url: Url = ""


class QuestionInput(msgspec.Struct, frozen=True, kw_only=True):
    prompt: text(500, min_length=1)  # type: ignore[valid-type]
    choices: Annotated[list[text(200, min_length=1)], Meta(min_length=2, max_length=MAX_CHOICES)]  # type: ignore[valid-type]
    answer: Annotated[int, Meta(ge=0, le=MAX_CHOICES - 1)]


class QuizQuestion(msgspec.Struct, frozen=True, kw_only=True):
    """A question as the worker's browser gets it: no answer."""

    key: str
    prompt: str
    choices: list[str]


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    course_id: int
    course_version: int
    state: Literal["open", "passed", "failed"]
    correct: int
    total: int
    score: int
    started_at: datetime
    submitted_at: datetime | None = None
    retake_at: datetime | None = None


class Certificate(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    staff_id: int
    staff_name: str
    course_id: int
    course_title: str
    score: int | None
    passed_at: datetime


class WorkerCourse(msgspec.Struct, frozen=True, kw_only=True):
    """One course as one worker stands with it: the staff app's lists and the office's who-is-due."""

    staff_id: int
    course_id: int
    code: str
    title: str
    summary: str
    lesson_count: int
    lessons_read: int
    status: Status
    required: bool
    score: int | None = None
    retake_at: datetime | None = None
    passed_at: datetime | None = None
    certificate_no: str | None = None


class DueRow(msgspec.Struct, frozen=True, kw_only=True):
    """A worker and a course required of them, for the office's who-is-due."""

    staff_id: int
    staff_name: str
    course: WorkerCourse
