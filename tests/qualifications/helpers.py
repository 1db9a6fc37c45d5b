"""Shared by the qualifications tests: a worker's approved credential, a test plugin that adds
requirements through compute_order_requirements, and one registered for the test's length."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import Requirement
from platform_core.qualifications import credentials
from platform_core.qualifications.schemas import DocumentCreate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import png_image


async def give_credential(tenant, staff_id: int, kind: str, *, expires_on: date | None = None, number: str = "HC-2026-0001",
                          approve: bool = True) -> int:
    """An approved (or pending) credential of the worker, as if uploaded and reviewed."""
    async with tenant_scope(tenant.id):
        doc = await credentials.add_document(DocumentCreate(kind=kind, number=number, issuer="广州市卫生健康委", expires_on=expires_on),
                                             png_image(), staff_id=staff_id)
        if approve:
            await credentials.review_document(doc.id, approve=True, reason="", by=0)
        return doc.id


class CarerRules:
    """A category plugin's requirements: its category needs a credential and a course."""

    def __init__(self, category: str, *, credentials: tuple[str, ...] = (), courses: tuple[str, ...] = ()) -> None:
        self.category, self.credentials, self.courses = category, credentials, courses

    @hookimpl
    def compute_order_requirements(self, query):
        if query.category != self.category:
            return None
        return Requirement(credentials=list(self.credentials), courses=list(self.courses), reason="care level 3")


@contextmanager
def requirements_plugin(runtime, plugin: CarerRules):
    runtime.pm.register(plugin, name="core.test_carer_rules")
    try:
        yield plugin
    finally:
        runtime.pm.unregister(name="core.test_carer_rules")


async def join_verified(client, sms, phone: str) -> None:
    """The candidate proves the phone on /join (code, then the cookie that keeps it)."""
    from platform_core.testing.factories import post_form

    sent = await post_form(client, "/join/code", {"phone": phone})
    assert sent.status_code == 200 and 'name="code"' in sent.text, sent.text[:500]
    verified = await post_form(client, "/join/verify", {"phone": phone, "code": sms.code_for(phone)})
    assert verified.status_code == 303, verified.text[:500]


def application_form(category: str, **overrides) -> dict:
    return {"name": "刘秀英", "gender": "female", "birth_year": "1978", "years_experience": "6", "categories": [category],
            "skills": ["cleaning"], "districts": "天河区, 越秀区", "service_radius_km": "8", "bio": "做家政六年，细心。",
            "id_number": "440106197803150023", "doc0_kind": "health_certificate", "doc0_number": "GZ-HC-778812",
            "doc0_issuer": "广州市疾控中心", "doc0_issued_on": "2026-03-01", "doc0_expires_on": "2027-03-01", **overrides}


def application_files(*, with_certificate: bool = True) -> dict:
    files = {"id_photo": ("id.png", png_image(), "image/png")}
    if with_certificate:
        files["doc0_photo"] = ("cert.png", png_image(5, 4), "image/png")
    return files
