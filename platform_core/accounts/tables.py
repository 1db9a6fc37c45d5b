"""Customers, staff, addresses, login identities and one-time codes."""

CUSTOMER_TABLES: list = []
