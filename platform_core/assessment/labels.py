"""How the pages word the assessment: the parts of a score, the rules, an adjustment's and an
appeal's state (English msgids; the templates translate them)."""

from __future__ import annotations

from platform_core.web.i18n import lazy_gettext as N_

from . import scorecards
from .schemas import Part

PART_LABELS = {
    "quality": N_("Quality"), "attitude": N_("Attitude"), "skill": N_("Skill"), "complaints": N_("Complaints upheld"),
    "on_time": N_("On-time arrival"), "no_shows": N_("No-shows"), "declines": N_("Declined jobs"), "jobs": N_("Completed jobs"),
    "repeat": N_("Repeat customers"),
}
PART_HELP = {
    "quality": N_("Average of the customers' quality stars (1 to 5)."),
    "attitude": N_("Average of the customers' attitude stars (1 to 5)."),
    "skill": N_("Average of the customers' skill stars (1 to 5)."),
    "complaints": N_("Complaints upheld against the worker; full marks with none, none at the limit."),
    "on_time": N_("Share of visits where the worker arrived within the grace after the scheduled start."),
    "no_shows": N_("Visits the worker did not show up for; full marks with none, none at the limit."),
    "declines": N_("Jobs offered and declined; full marks with none, none at the limit."),
    "jobs": N_("Completed jobs, against the month's target."),
    "repeat": N_("Share of customers who had booked this worker before, against the target."),
}
RULE_LABELS = {"top_decile": N_("Top-tenth bonus"), "complaint": N_("Upheld complaint"), "low_rating": N_("Low rating")}
STATE_LABELS = {"proposed": N_("Awaiting approval"), "approved": N_("Approved"), "rejected": N_("Withdrawn")}
STATE_TONES = {"proposed": "warning", "approved": "success", "rejected": None}
APPEAL_LABELS = {"open": N_("Appeal waiting"), "upheld": N_("Appeal upheld"), "rejected": N_("Appeal rejected")}
APPEAL_TONES = {"open": "warning", "upheld": "success", "rejected": "danger"}


def part_value(part: Part) -> str:
    """A part's value as people read it: stars with two decimals, a share in per cent, a count."""
    if part.value is None:
        return "—"
    if part.name in ("quality", "attitude", "skill"):
        return f"{part.value:.2f}"
    if part.name in ("on_time", "repeat"):
        return f"{part.value * 100:.0f}%"
    return str(int(part.value))


def page_labels() -> dict:
    """What every assessment page passes its template."""
    return {"part_labels": PART_LABELS, "part_help": PART_HELP, "rule_labels": RULE_LABELS, "state_labels": STATE_LABELS,
            "state_tones": STATE_TONES, "appeal_labels": APPEAL_LABELS, "appeal_tones": APPEAL_TONES, "part_value": part_value,
            "tz": scorecards.zone()}
