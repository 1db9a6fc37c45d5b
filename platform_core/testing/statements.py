"""Counting the SQL statements a block of code sends (statement-count tests, bench/profile_page.py).

Every statement that goes through an asyncpg connection's public calls is recorded: the ORM's,
raw SQL, a transaction's BEGIN and COMMIT, and the pool's reset on release. Counts do not depend
on the machine's load, so a test can bound them where it could never bound time.
"""

from __future__ import annotations

import asyncpg

RECORDED = ("execute", "executemany", "fetch", "fetchrow", "fetchval")


class StatementLog:
    """`with StatementLog() as log: ...` then `log.statements`, each on one line."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._originals = {name: getattr(asyncpg.Connection, name) for name in RECORDED}

    def __enter__(self) -> "StatementLog":
        for name, original in self._originals.items():
            def wrapper(conn, query, *args, __original=original, **kwargs):
                self.statements.append(" ".join(str(query).split()))
                return __original(conn, query, *args, **kwargs)
            setattr(asyncpg.Connection, name, wrapper)
        return self

    def __exit__(self, *exc) -> None:
        for name, original in self._originals.items():
            setattr(asyncpg.Connection, name, original)
