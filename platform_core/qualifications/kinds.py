"""Credential kinds: the built-in ones every franchise knows (other domains and plugins name them
by code: elder care asks for ``elderly_carer`` and ``health_certificate``, and from care level 3
``first_aid`` and ``senior_elderly_carer``) and the franchise's own,
added in the console. A background check is not a kind: it is a field of the application."""

from __future__ import annotations

import re

import asyncpg
import msgspec

from platform_core.db import current_connection
from platform_core.errors import Conflict, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import KindCreate


class Kind(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str  # a msgid for a built-in kind, the franchise's own words otherwise
    expires: bool
    built_in: bool

    @property
    def label(self) -> str:
        return _(self.name) if self.built_in else self.name


BUILT_IN: dict[str, Kind] = {k.code: k for k in (
    Kind(code="id_card", name=N_("ID card"), expires=False, built_in=True),
    Kind(code="health_certificate", name=N_("Health certificate"), expires=True, built_in=True),
    Kind(code="housekeeper", name=N_("Housekeeper certificate"), expires=False, built_in=True),
    Kind(code="childcare", name=N_("Childcare worker certificate"), expires=False, built_in=True),
    Kind(code="maternity", name=N_("Maternity nurse certificate"), expires=False, built_in=True),
    Kind(code="elderly_carer", name=N_("Elderly carer certificate"), expires=False, built_in=True),
    # Elder care's higher care levels ask for these two.
    Kind(code="senior_elderly_carer", name=N_("Senior elderly carer certificate"), expires=False, built_in=True),
    Kind(code="first_aid", name=N_("First aid certificate"), expires=True, built_in=True),
    Kind(code="electrician", name=N_("Electrician's licence"), expires=True, built_in=True),
)}
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


async def all_kinds() -> dict[str, Kind]:
    """Every kind the franchise knows, built-in first, by code."""
    rows = await current_connection().fetch("select code, name, expires from core_credential_kind order by name")
    return {**BUILT_IN, **{r["code"]: Kind(code=r["code"], name=r["name"], expires=r["expires"], built_in=False) for r in rows}}


def label_of(kinds: dict[str, Kind], code: str) -> str:
    """A kind's name; a code nobody defined (a plugin's own) is shown as it is."""
    kind = kinds.get(code)
    return kind.label if kind else code


async def add_kind(data: KindCreate) -> Kind:
    code, name = data.code.strip().lower(), " ".join(data.name.split())
    errors = {}
    if not CODE.match(code):
        errors["code"] = N_("Use 2 to 40 lower-case letters, digits and underscores, starting with a letter.")
    elif code in BUILT_IN:
        errors["code"] = N_("This code is a built-in kind.")
    if not name:
        errors["name"] = N_("This field is required.")
    if errors:
        raise ValidationFailed(errors)
    try:
        async with current_connection().transaction():
            await current_connection().execute(
                "insert into core_credential_kind (tenant_id, code, name, expires) values ($1, $2, $3, $4)",
                current_tenant().id, code, name, data.expires)
    except asyncpg.UniqueViolationError:
        raise Conflict(N_("A kind with this code exists already."), fields={"code": N_("A kind with this code exists already.")}) from None
    return Kind(code=code, name=name, expires=data.expires, built_in=False)
