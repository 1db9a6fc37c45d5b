"""`hearth tenants apply`: a tenant file's [qualifications] section, applied once (twice = no
change): the franchise's requirement rules, its workers' credentials (matched by worker, kind and
number) and candidates' applications waiting for review (matched by phone).

Dates are written relative to the day the file is applied (`expires_in_days`), so a demo applied
any day has a credential about to expire. The photos are drawn here: a plain card picture."""

from __future__ import annotations

import struct
import tomllib
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from platform_core import clock
from platform_core.accounts.phones import phone_index
from platform_core.accounts.services import staff_id_for_phone
from platform_core.catalog.services import category_refs, get_item_by_slug
from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope

from . import applications, credentials
from .eligibility import rules_written
from .schemas import ApplicationCreate, DocumentCreate


def card_picture(rgb: tuple[int, int, int], width: int = 86, height: int = 54) -> bytes:
    """A PNG the size ratio of an ID card: a coloured card with a white band, as a stand-in photo."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"".join(bytes((255, 255, 255)) if 8 <= y <= 16 and 6 <= x <= 60 else bytes(rgb)
                                     for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _document(entry: dict[str, Any], today) -> DocumentCreate:
    expires = entry.get("expires_in_days")
    issued = entry.get("issued_days_ago")
    return DocumentCreate(kind=entry["kind"], number=entry["number"], issuer=entry.get("issuer", ""),
                          issued_on=today - timedelta(days=issued) if issued is not None else None,
                          expires_on=today + timedelta(days=expires) if expires is not None else None)


async def apply_qualifications_file(tenant_id: int, slug: str, path: Path) -> list[str]:
    section = tomllib.loads(path.read_text(encoding="utf-8")).get("qualifications")
    if not section:
        return []
    changes: list[str] = []
    keyring = current_runtime().keyring
    async with tenant_scope(tenant_id) as tenant:
        conn = current_connection()
        today = clock.today(tenant.timezone)
        known = {c.code for c in await category_refs()}
        for rule in section.get("requirements", []):
            item_id = None
            if rule.get("item"):
                try:
                    item_id = (await get_item_by_slug(rule["item"])).id
                except NotFound:
                    item_id = None
            if rule["category"] not in known or (rule.get("item") and item_id is None):
                raise ValidationFailed({"qualifications.requirements": f"{rule} names no category or service of {slug}"})
            rules_written()
            added = await conn.fetchval(
                "insert into core_credential_requirement (tenant_id, category, item_id, kind) values ($1, $2, $3, $4) "
                "on conflict do nothing returning id", tenant_id, rule["category"], item_id, rule["kind"])
            if added:
                changes.append(f"{slug}: requirement {rule['kind']} for {rule.get('item') or rule['category']} created")
        for entry in section.get("credentials", []):
            staff_id = await staff_id_for_phone(keyring, tenant, entry["phone"])
            if staff_id is None:
                raise ValidationFailed({"qualifications.credentials": f"{entry['phone']} is no worker of {slug}"})
            masked = credentials.mask("".join(entry["number"].split()))
            if await conn.fetchval("select 1 from core_credential where staff_id = $1 and kind = $2 and number_masked = $3",
                                   staff_id, entry["kind"], masked):
                continue
            doc = await credentials.add_document(_document(entry, today), card_picture(tuple(entry.get("color", (44, 110, 170)))),
                                                 staff_id=staff_id)
            await credentials.review_document(doc.id, approve=True, reason="", by=0)
            changes.append(f"{slug}: credential {entry['kind']} of {entry['phone']} created")
        for entry in section.get("applications", []):
            if await conn.fetchval("select 1 from core_staff_application where phone_index = $1", phone_index(keyring, entry["phone"])):
                continue
            data = msgspec.convert({k: v for k, v in entry.items() if k not in ("phone", "documents")}, ApplicationCreate)
            uploads = [(_document(d, today), card_picture(tuple(d.get("color", (60, 140, 90))))) for d in entry.get("documents", [])]
            await applications.submit_application(entry["phone"], data, card_picture((70, 80, 200)), uploads)
            changes.append(f"{slug}: application of {entry['name']} created")
    return changes
