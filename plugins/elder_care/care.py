"""The care assessment, pure: the ten activities of daily living scored as the Barthel index
does (0 to 100), cognition and mobility, and the care level (1 to 4) they give, with the reasons
a family reads. The level decides what a carer must hold (`requirement_for`)."""

from __future__ import annotations

from typing import Literal

import msgspec

from platform_core.plugin_api import lazy_gettext as N_

# The Barthel index's ten activities and the scores each allows (Mahoney & Barthel, 1965).
BARTHEL: dict[str, tuple[str, tuple[int, ...]]] = {
    "feeding": (N_("Feeding"), (0, 5, 10)),
    "bathing": (N_("Bathing"), (0, 5)),
    "grooming": (N_("Grooming"), (0, 5)),
    "dressing": (N_("Dressing"), (0, 5, 10)),
    "bowels": (N_("Bowel control"), (0, 5, 10)),
    "bladder": (N_("Bladder control"), (0, 5, 10)),
    "toilet": (N_("Toilet use"), (0, 5, 10)),
    "transfers": (N_("Transfers (bed to chair)"), (0, 5, 10, 15)),
    "mobility": (N_("Walking on level ground"), (0, 5, 10, 15)),
    "stairs": (N_("Stairs"), (0, 5, 10)),
}

# What each score means, by how many answers the activity has: the highest is "independent".
_WORDS = {
    2: (N_("Needs help"), N_("Independent")),
    3: (N_("Needs full help"), N_("Needs some help"), N_("Independent")),
    4: (N_("Cannot at all"), N_("Needs a lot of help"), N_("Needs a little help"), N_("Independent")),
}


def answers(code: str) -> list[tuple[int, str]]:
    """(score, msgid) of an activity's answers, the most independent first."""
    allowed = BARTHEL[code][1]
    return list(reversed(list(zip(allowed, _WORDS[len(allowed)]))))

Cognition = Literal["normal", "mild", "moderate", "severe"]
Mobility = Literal["walks", "aid", "wheelchair", "bedridden"]

COGNITION = {"normal": N_("No memory problems"), "mild": N_("Mild forgetfulness"),
             "moderate": N_("Moderate impairment (needs reminding and supervision)"),
             "severe": N_("Severe impairment (dementia, needs constant supervision)")}
MOBILITY = {"walks": N_("Walks unaided"), "aid": N_("Walks with a stick or frame"), "wheelchair": N_("Uses a wheelchair"),
            "bedridden": N_("Bedridden")}

LEVELS = {1: N_("Level 1 · light care"), 2: N_("Level 2 · moderate care"), 3: N_("Level 3 · heavy care"),
          4: N_("Level 4 · full care")}

# What a carer must hold at each level: every carer the elderly carer's certificate (养老护理员)
# and a health certificate; heavy care adds first aid, full care a senior carer's certificate.
# The codes are credential kinds of the franchise (docs/workers.md).
LEVEL_CREDENTIALS: dict[int, list[str]] = {
    1: ["elderly_carer", "health_certificate"],
    2: ["elderly_carer", "health_certificate"],
    3: ["elderly_carer", "health_certificate", "first_aid"],
    4: ["elderly_carer", "health_certificate", "first_aid", "senior_elderly_carer"],
}
CREDENTIAL_LABELS = {"elderly_carer": N_("Elderly carer certificate"), "health_certificate": N_("Health certificate"),
                     "first_aid": N_("First aid certificate"), "senior_elderly_carer": N_("Senior elderly carer certificate")}
COURSE = "elder-care-basics"


class Scores(msgspec.Struct, frozen=True, kw_only=True):
    """What an assessment scored: the Barthel answers by activity, cognition and mobility."""

    activities: dict[str, int]
    cognition: Cognition
    mobility: Mobility


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    barthel: int
    level: int
    # (English msgid, its values), in the order they weigh; translated where shown.
    reasons: list[tuple[str, dict[str, int]]]


def activity_errors(activities: dict[str, int]) -> dict[str, str]:
    """Each activity must be answered with one of its scores."""
    errors = {}
    for code, (_, allowed) in BARTHEL.items():
        if activities.get(code) not in allowed:
            errors[f"adl_{code}"] = N_("Choose one of the answers.")
    return errors


def barthel_band(total: int) -> int:
    """The level the Barthel total alone gives: 61 and over mild dependence or none (1), 41 to
    60 moderate (2), 21 to 40 severe (3), 20 and under total dependence (4)."""
    if total >= 61:
        return 1
    if total >= 41:
        return 2
    if total >= 21:
        return 3
    return 4


_COGNITION_LEVEL = {"normal": 1, "mild": 2, "moderate": 3, "severe": 4}


def assess(scores: Scores) -> Outcome:
    """The care level: the highest of what the Barthel total, cognition and mobility each call
    for (an elder who scores well but has dementia still needs constant care)."""
    total = sum(scores.activities[code] for code in BARTHEL)
    by_adl, by_mind = barthel_band(total), _COGNITION_LEVEL[scores.cognition]
    by_body = 3 if scores.mobility == "bedridden" else 1
    level = max(by_adl, by_mind, by_body)
    reasons = [(N_("Daily living scores %(total)s of 100, which alone calls for level %(level)s."), {"total": total, "level": by_adl})]
    if by_mind > 1:
        reasons.append((N_("The memory and orientation answer calls for level %(level)s."), {"level": by_mind}))
    if by_body > 1:
        reasons.append((N_("Being bedridden calls for level %(level)s at least."), {"level": by_body}))
    return Outcome(barthel=total, level=level, reasons=reasons)


def requirement_for(level: int) -> tuple[list[str], list[str]]:
    """(credential kinds, course codes) a carer must hold for an elder of `level`."""
    return list(LEVEL_CREDENTIALS[max(1, min(4, level))]), [COURSE]
