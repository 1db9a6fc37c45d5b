from platform_core.db.migration import sql_migration

ID = "2026-11-25T01:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a worker the customer picked can not be booked twice for overlapping times; the relay phone"

SQL = r"""
-- Many customers may pick the same worker for the same slot at once: the database lets exactly
-- one of those orders exist while it is live (dispatch's assignments have their own constraint).
ALTER TABLE core_order ADD CONSTRAINT core_order_requested_worker_free
  EXCLUDE USING gist (
    tenant_id WITH =, requested_staff_id WITH =, tstzrange(scheduled_start, scheduled_end) WITH &&
  ) WHERE (requested_staff_id IS NOT NULL AND state IN ('pending_payment', 'paid', 'assigned', 'accepted', 'en_route', 'in_service'));

-- The franchise's relay line (a masked-number service): customers call it to reach their worker.
ALTER TABLE core_booking_settings ADD COLUMN relay_phone varchar(32) NOT NULL DEFAULT '';
"""


async def forwards():
    return sql_migration(
        ID, "orders", DESCRIPTION, SQL, "ALTER TABLE core_order DROP CONSTRAINT core_order_requested_worker_free; "
        "ALTER TABLE core_booking_settings DROP COLUMN relay_phone;"
    )
