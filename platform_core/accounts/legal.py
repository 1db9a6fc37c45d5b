"""The franchise's user agreement (《用户协议》) and privacy policy (《隐私政策》): published in
versions from the console, shown at /legal/terms and /legal/privacy, accepted by customers when
they register and again after a new version is published.

A franchise without any published document asks for no consent: there is nothing to accept
(`hearth tenants apply` gives the demo franchises default texts, legal_defaults.py).
"""

from __future__ import annotations

from pathlib import Path

from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext

from .schemas import (
    LEGAL_BODY_LIMIT,
    LEGAL_KINDS,
    LegalDocument,
    LegalDocumentPublish,
    LegalVersions,
)

_COLUMNS = "kind, version, body_zh, body_en, published_by, published_at"


class ConsentRequired(ValidationFailed):
    """Sign-in stops here until the customer accepts `versions`; `renewed` when they had
    accepted an earlier version (the page says the documents changed)."""

    def __init__(self, versions: LegalVersions, *, renewed: bool) -> None:
        super().__init__({"accept_terms": lazy_gettext("Read and accept the User Agreement and the Privacy Policy to continue.")})
        self.versions = versions
        self.renewed = renewed


def _document(row) -> LegalDocument:
    return LegalDocument(**dict(row))


async def current_document(kind: str) -> LegalDocument:
    """The version in force of `kind`; NotFound when the franchise has published none."""
    if kind not in LEGAL_KINDS:
        raise NotFound("page")
    row = await current_connection().fetchrow(
        f"select {_COLUMNS} from core_legal_document where kind = $1 order by version desc limit 1", kind
    )
    if row is None:
        raise NotFound("page")
    return _document(row)


async def document_versions(kind: str) -> list[LegalDocument]:
    """Every published version of `kind`, newest first (the console's history)."""
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from core_legal_document where kind = $1 order by version desc", kind
    )
    return [_document(r) for r in rows]


async def current_versions() -> LegalVersions:
    rows = await current_connection().fetch("select kind, max(version) as version from core_legal_document group by kind")
    return LegalVersions(**{r["kind"]: r["version"] for r in rows})


async def publish_document(tenant: TenantContext, kind: str, data: LegalDocumentPublish, *, by: str) -> LegalDocument:
    """Publish the next version of `kind`. The same text as the version in force is refused:
    a new version makes every customer accept again, so it must change something."""
    if kind not in LEGAL_KINDS:
        raise NotFound("page")
    body_zh, body_en = data.body_zh.strip(), data.body_en.strip()
    errors: dict[str, str] = {}
    if not body_zh:
        errors["body_zh"] = lazy_gettext("Write the Chinese text; it is the one in force.")
    for name, body in (("body_zh", body_zh), ("body_en", body_en)):
        if len(body) > LEGAL_BODY_LIMIT:
            errors[name] = lazy_gettext("This is too long.")
    if errors:
        raise ValidationFailed(errors)
    conn = current_connection()
    # The lock serialises two owners publishing at once: each gets its own version number.
    await conn.execute("select pg_advisory_xact_lock(hashtext('core_legal_document:' || $1), $2)", kind, tenant.id)
    latest = await conn.fetchrow(
        "select version, body_zh, body_en from core_legal_document where kind = $1 order by version desc limit 1", kind
    )
    if latest is not None and (latest["body_zh"], latest["body_en"]) == (body_zh, body_en):
        raise ValidationFailed({"body_zh": lazy_gettext("Nothing has changed since the version in force.")})
    row = await conn.fetchrow(
        "insert into core_legal_document (tenant_id, kind, version, body_zh, body_en, published_by) "
        f"values ($1, $2, $3, $4, $5, $6) returning {_COLUMNS}",
        tenant.id, kind, (latest["version"] if latest else 0) + 1, body_zh, body_en, by[:200],
    )
    return _document(row)


async def check_consent(customer_id: int | None, accepted: LegalVersions | None) -> LegalVersions | None:
    """The versions a customer (None: one not registered yet) still has to accept, given what
    they accepted on this sign-in. ConsentRequired when that is not all of them; None when there
    is nothing to record."""
    current = await current_versions()
    if not current.any():
        return None
    if customer_id is not None:
        rows = await current_connection().fetch(
            "select d.kind, max(d.version) as version from core_legal_acceptance a "
            "join core_legal_document d on d.id = a.document_id where a.customer_id = $1 group by d.kind",
            customer_id,
        )
        agreed = LegalVersions(**{r["kind"]: r["version"] for r in rows})
        if agreed == current:
            return None
        renewed = agreed.any()
    else:
        renewed = False
    if accepted != current:
        raise ConsentRequired(current, renewed=renewed)
    return current


async def record_acceptance(tenant: TenantContext, customer_id: int, versions: LegalVersions) -> None:
    await current_connection().execute(
        "insert into core_legal_acceptance (tenant_id, customer_id, document_id) "
        "select $1, $2, id from core_legal_document where (kind = 'terms' and version = $3) "
        "or (kind = 'privacy' and version = $4) on conflict (tenant_id, customer_id, document_id) do nothing",
        tenant.id, customer_id, versions.terms, versions.privacy,
    )


async def accepted_versions(customer_id: int) -> list[tuple[str, int, object]]:
    """(kind, version, accepted_at) of every acceptance of a customer, newest first."""
    rows = await current_connection().fetch(
        "select d.kind, d.version, a.accepted_at from core_legal_acceptance a "
        "join core_legal_document d on d.id = a.document_id where a.customer_id = $1 order by a.accepted_at desc, d.kind",
        customer_id,
    )
    return [(r["kind"], r["version"], r["accepted_at"]) for r in rows]


DEFAULT_TEXTS = Path(__file__).parent / "legal_texts"


async def publish_default_documents(tenant_id: int) -> list[str]:
    """Publish the built-in texts (legal_texts/, with the franchise's name) as version 1 of
    each document the franchise has none of; idempotent (`hearth tenants apply`)."""
    changes: list[str] = []
    async with tenant_scope(tenant_id) as tenant:
        current = await current_versions()
        for kind in LEGAL_KINDS:
            if getattr(current, kind) is not None:
                continue
            body = {
                locale: (DEFAULT_TEXTS / f"{kind}.{locale}.txt").read_text(encoding="utf-8").replace("{name}", tenant.display_name)
                for locale in ("zh_CN", "en")
            }
            await publish_document(tenant, kind, LegalDocumentPublish(body_zh=body["zh_CN"], body_en=body["en"]), by="")
            changes.append(f"{tenant.slug}: {kind} version 1 published")
    return changes
