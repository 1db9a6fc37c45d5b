"""None yet: the tables of this app were created by tenancy's first migration (history is kept)."""
