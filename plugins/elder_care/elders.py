"""The elders a customer cares for and their care assessments. What an assessment says is health
data: it is stored only sealed (`encrypt_text`, context "elder_care.elder"); the level and the
Barthel total, which every quote and dispatch reads, stay plain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from platform_core.plugin_api import (
    Line,
    Name,
    NotFound,
    Text,
    ValidationFailed,
    current_connection,
    current_tenant,
    decrypt_text,
    encrypt_text,
    text,
)
from platform_core.plugin_api import (
    lazy_gettext as N_,
)

from . import care

CONTEXT = "elder_care.elder"
Age = Annotated[int, msgspec.Meta(ge=40, le=130)]


class AssessmentForm(msgspec.Struct, frozen=True, kw_only=True):
    """The assessment as the family fills it in (the form's fields, flat)."""

    name: text(100, min_length=1)  # type: ignore[valid-type]
    age: Age
    relation: Line = ""
    mobility: care.Mobility
    cognition: care.Cognition
    adl_feeding: int = -1
    adl_bathing: int = -1
    adl_grooming: int = -1
    adl_dressing: int = -1
    adl_bowels: int = -1
    adl_bladder: int = -1
    adl_toilet: int = -1
    adl_transfers: int = -1
    adl_mobility: int = -1
    adl_stairs: int = -1
    conditions: Text = ""
    medication: Text = ""
    contact_name: Name = ""
    contact_phone: text(30) = ""  # type: ignore[valid-type]
    contact_relation: Line = ""

    def activities(self) -> dict[str, int]:
        return {code: getattr(self, f"adl_{code}") for code in care.BARTHEL}


class ElderData(msgspec.Struct, frozen=True, kw_only=True):
    """What is sealed: the answers as given."""

    name: str
    age: int
    relation: str
    mobility: str
    cognition: str
    activities: dict[str, int]
    conditions: str
    medication: str
    contact_name: str
    contact_phone: str
    contact_relation: str


class Elder(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    customer_id: int
    level: int
    barthel: int
    assessed_at: datetime
    data: ElderData

    @property
    def outcome(self) -> care.Outcome:
        return care.assess(care.Scores(activities=self.data.activities, cognition=self.data.cognition,  # type: ignore[arg-type]
                                       mobility=self.data.mobility))  # type: ignore[arg-type]


def _elder(row) -> Elder:
    data = msgspec.json.decode(decrypt_text(row["data_cipher"], context=CONTEXT), type=ElderData)
    return Elder(id=row["id"], customer_id=row["customer_id"], level=row["level"], barthel=row["barthel"],
                 assessed_at=row["assessed_at"], data=data)


def _checked(form: AssessmentForm) -> tuple[ElderData, care.Outcome]:
    errors = care.activity_errors(form.activities())
    if bool(form.contact_name) != bool(form.contact_phone):
        errors["contact_phone" if form.contact_name else "contact_name"] = N_("Give the emergency contact's name and phone.")
    if errors:
        raise ValidationFailed(errors)
    outcome = care.assess(care.Scores(activities=form.activities(), cognition=form.cognition, mobility=form.mobility))
    data = ElderData(name=form.name.strip(), age=form.age, relation=form.relation.strip(), mobility=form.mobility, cognition=form.cognition,
                     activities=form.activities(), conditions=form.conditions.strip(), medication=form.medication.strip(),
                     contact_name=form.contact_name.strip(), contact_phone=form.contact_phone.strip(),
                     contact_relation=form.contact_relation.strip())
    return data, outcome


async def assess(customer_id: int, form: AssessmentForm, elder_id: int | None = None) -> Elder:
    """Record an assessment: a new elder, or a new assessment of one of the customer's own."""
    data, outcome = _checked(form)
    sealed = encrypt_text(msgspec.json.encode(data).decode(), context=CONTEXT)
    conn = current_connection()
    if elder_id is None:
        row = await conn.fetchrow(
            "insert into elder_care_elder (tenant_id, customer_id, level, barthel, data_cipher) values ($1, $2, $3, $4, $5) "
            "returning id, customer_id, level, barthel, data_cipher, assessed_at",
            current_tenant().id, customer_id, outcome.level, outcome.barthel, sealed)
    else:
        row = await conn.fetchrow(
            "update elder_care_elder set level = $3, barthel = $4, data_cipher = $5, assessed_at = now() "
            "where id = $1 and customer_id = $2 returning id, customer_id, level, barthel, data_cipher, assessed_at",
            elder_id, customer_id, outcome.level, outcome.barthel, sealed)
        if row is None:
            raise NotFound("elder")
    return _elder(row)


async def elders_of(customer_id: int) -> list[Elder]:
    rows = await current_connection().fetch(
        "select id, customer_id, level, barthel, data_cipher, assessed_at from elder_care_elder where customer_id = $1 order by id",
        customer_id)
    return [_elder(r) for r in rows]


async def get_elder(elder_id: int) -> Elder:
    """An elder of the franchise (who may see it is the caller's to check)."""
    row = await current_connection().fetchrow(
        "select id, customer_id, level, barthel, data_cipher, assessed_at from elder_care_elder where id = $1", elder_id)
    if row is None:
        raise NotFound("elder")
    return _elder(row)


async def customer_level(customer_id: int) -> int | None:
    """The highest care level among the customer's assessed elders (None: none assessed yet):
    what a one-off booking of the customer's is priced and staffed by."""
    return await current_connection().fetchval("select max(level) from elder_care_elder where customer_id = $1", customer_id)
