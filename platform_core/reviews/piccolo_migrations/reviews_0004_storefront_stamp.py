from platform_core.db.migration import sql_migration

ID = "2026-12-03T11:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reviews: a new, hidden, answered or re-attributed review renews the tenant's stamp"

# An item's page shows its latest reviews, kept per process by the tenant's stamp
# (booking/storefront.py). A review's author shows as the first character of the customer's name
# (李**), so a reviewer whose first character changes (a rename, an account anonymised) renews
# it too; anyone else's profile edits do not.
SQL = r"""
CREATE TRIGGER core_review_touch AFTER INSERT OR DELETE ON core_review
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_review_touch_update AFTER UPDATE ON core_review
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION hearth_tenant_touch();

CREATE FUNCTION hearth_reviewer_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM core_review WHERE tenant_id = NEW.tenant_id AND customer_id = NEW.id) THEN
    UPDATE core_tenant SET version = nextval('core_tenant_version_seq') WHERE id = NEW.tenant_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER core_customer_reviewer_renamed AFTER UPDATE OF display_name ON core_customer
  FOR EACH ROW WHEN (left(OLD.display_name, 1) IS DISTINCT FROM left(NEW.display_name, 1))
  EXECUTE FUNCTION hearth_reviewer_renamed();
"""

UNDO = r"""
DROP TRIGGER core_customer_reviewer_renamed ON core_customer;
DROP FUNCTION hearth_reviewer_renamed();
DROP TRIGGER core_review_touch_update ON core_review;
DROP TRIGGER core_review_touch ON core_review;
"""


async def forwards():
    return sql_migration(ID, "reviews", DESCRIPTION, SQL, UNDO)
