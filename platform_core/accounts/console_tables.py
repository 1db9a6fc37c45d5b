"""Console users, roles, TOTP, and platform operators."""

CONSOLE_TABLES: list = []
