from platform_core.db.migration import sql_migration

ID = "2026-12-02T17:08:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "the app role reads platform operators without their password hashes"

# The app role (hearth_app) got every table in the first migration. Operators' password hashes
# are the keys to every franchise: the server needs one of them only while an operator signs in
# or changes their password, so it gets them one at a time through two functions that run as the
# owner, and can never list them. Writing a new operator stays allowed (`hearth users
# create-operator`, the demo's seeding); reading or changing a hash directly does not.
SQL = r"""
-- The server's start-up checks refuse to run while the app role can read a column marked so.
COMMENT ON COLUMN core_operator.password_hash IS 'hearth:secret';
REVOKE ALL ON core_operator FROM hearth_app;
GRANT SELECT (id, email, display_name, status, totp_secret_cipher, totp_enabled_at, last_sign_in_at, created_at)
  ON core_operator TO hearth_app;
GRANT INSERT (email, display_name, password_hash) ON core_operator TO hearth_app;
GRANT UPDATE (totp_secret_cipher, totp_enabled_at, last_sign_in_at) ON core_operator TO hearth_app;

-- The hash of the one operator with this email, for the server to check a password against.
CREATE FUNCTION hearth_operator_password_hash(operator_email citext) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
  AS $f$ SELECT password_hash FROM core_operator WHERE email = operator_email $f$;

-- Replace an operator's hash, only while it is still the one the server checked the password
-- against (a rehash at sign-in, a password change); true when it was replaced.
CREATE FUNCTION hearth_operator_set_password_hash(operator_id bigint, checked_hash text, new_hash text) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT
  AS $f$ UPDATE core_operator SET password_hash = new_hash WHERE id = operator_id AND password_hash = checked_hash RETURNING true $f$;

REVOKE ALL ON FUNCTION hearth_operator_password_hash(citext) FROM PUBLIC;
REVOKE ALL ON FUNCTION hearth_operator_set_password_hash(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hearth_operator_password_hash(citext) TO hearth_app;
GRANT EXECUTE ON FUNCTION hearth_operator_set_password_hash(bigint, text, text) TO hearth_app;
"""

BACKWARDS_SQL = r"""
COMMENT ON COLUMN core_operator.password_hash IS NULL;
DROP FUNCTION hearth_operator_set_password_hash(bigint, text, text);
DROP FUNCTION hearth_operator_password_hash(citext);
GRANT SELECT, INSERT, UPDATE, DELETE ON core_operator TO hearth_app;
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL, BACKWARDS_SQL)
