from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customer feedback: problems and suggestions, answered from the console"

SQL = r"""
CREATE TABLE core_feedback (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  order_id bigint,
  kind varchar(16) NOT NULL CHECK (kind IN ('problem', 'suggestion')),
  subject varchar(200) NOT NULL,
  body varchar(4000) NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
  answer varchar(4000) NOT NULL DEFAULT '',
  answered_by bigint,
  answered_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id)
);
CREATE INDEX core_feedback_status ON core_feedback (tenant_id, status, created_at DESC);
SELECT hearth_enable_tenant_rls('core_feedback');
"""


async def forwards():
    return sql_migration(ID, "support", DESCRIPTION, SQL)
