from platform_core.db.migration import sql_migration

ID = "2026-12-02T17:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the franchise's user agreement and privacy policy, versioned, and who accepted which"

# A document is never edited: publishing writes the next version, so an acceptance always
# points at the exact text the customer agreed to.
SQL = r"""
CREATE TABLE core_legal_document (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  kind varchar(16) NOT NULL CHECK (kind IN ('terms', 'privacy')),
  version integer NOT NULL CHECK (version > 0),
  body_zh text NOT NULL,
  body_en text NOT NULL DEFAULT '',
  published_by varchar(200) NOT NULL DEFAULT '',
  published_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, kind, version),
  UNIQUE (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_legal_document');

CREATE TABLE core_legal_acceptance (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  document_id bigint NOT NULL,
  accepted_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, document_id) REFERENCES core_legal_document (tenant_id, id),
  UNIQUE (tenant_id, customer_id, document_id)
);
SELECT hearth_enable_tenant_rls('core_legal_acceptance');
"""

BACKWARDS_SQL = r"""
DROP TABLE core_legal_acceptance;
DROP TABLE core_legal_document;
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL, BACKWARDS_SQL)
