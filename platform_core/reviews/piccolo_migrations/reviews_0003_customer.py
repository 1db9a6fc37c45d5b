from platform_core.db.migration import sql_migration

ID = "2026-12-03T08:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reviews: each customer's reviews by time (loyalty counts them as activity, in batches of customers)"

SQL = r"""
CREATE INDEX core_review_customer ON core_review (tenant_id, customer_id, created_at);
"""


async def forwards():
    return sql_migration(ID, "reviews", DESCRIPTION, SQL, "DROP INDEX core_review_customer;")
