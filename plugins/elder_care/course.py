"""The carer course the plugin ships (养老护理基础), offered to the training domain through
provide_training_courses: written as English msgids, made in the franchise's language."""

from __future__ import annotations

from platform_core.plugin_api import (
    CourseSpec,
    LessonSpec,
    QuizQuestionSpec,
    translate_to,
)
from platform_core.plugin_api import lazy_gettext as N_

from .care import COURSE

LESSONS = [
    (N_("Respect and safety"),
     N_("Greet the elder by the name they like, explain each step before you take it and let them do what they can themselves.\n\n"
        "Before you start, look around for what could make them fall: wet floors, loose rugs, poor light. Keep the way to the "
        "toilet clear and the bed at a height they can sit up from.")),
    (N_("Moving and transfers"),
     N_("Bend your knees, not your back. Stand close, use a transfer belt where there is one, and move on a count the elder "
        "knows. Lock the wheelchair's brakes before every transfer.\n\n"
        "Turn a bedridden elder at least every two hours and look at the heels, hips and lower back for red skin that "
        "does not fade.")),
    (N_("Vital signs and when to call for help"),
     N_("Measure blood pressure seated after five minutes of rest, the arm at heart height. Record the pulse over a full "
        "minute.\n\n"
        "Call the emergency number and the family at once for chest pain, sudden weakness of one side, slurred speech, "
        "a fall with pain, or breathing trouble. Write what you saw and when in the care log.")),
    (N_("Medication and the care log"),
     N_("Give only the medicines the family listed, at the times they set, and never change a dose. If a dose was missed "
        "or refused, write it down and tell the family.\n\n"
        "After each visit, tick the tasks you did, write the vital signs, the mood and anything unusual: the family reads "
        "the log the same day.")),
]

QUESTIONS = [
    (N_("Before moving an elder from a wheelchair to the bed, you first:"),
     [N_("Lock the wheelchair's brakes"), N_("Lift them quickly"), N_("Ask them to stand alone")], 0),
    (N_("How often should a bedridden elder be turned?"),
     [N_("Once a day"), N_("At least every two hours"), N_("Only when they ask")], 1),
    (N_("Blood pressure is best measured:"),
     [N_("Right after walking"), N_("Seated, after five minutes of rest"), N_("Lying on the side")], 1),
    (N_("The elder suddenly cannot lift one arm and their speech is slurred. You:"),
     [N_("Let them rest and check later"), N_("Call the emergency number and the family at once"), N_("Give them water")], 1),
    (N_("The elder refused a dose of their medicine. You:"),
     [N_("Give a double dose next time"), N_("Hide it in their food"), N_("Write it in the care log and tell the family")], 2),
]


def course_spec(locale: str) -> CourseSpec:
    def t(message: str) -> str:
        return translate_to(locale, message)

    return CourseSpec(
        code=COURSE, title=t(N_("Elder care basics")),
        summary=t(N_("Safety, transfers, vital signs, medication and the care log: required before a carer is offered elder care visits.")),
        lessons=[LessonSpec(title=t(title), body=t(body)) for title, body in LESSONS],
        questions=[QuizQuestionSpec(prompt=t(prompt), choices=[t(c) for c in choices], answer=answer) for prompt, choices, answer in QUESTIONS],
        pass_mark=80, retake_after_hours=24, categories=["elder_care"],
    )
