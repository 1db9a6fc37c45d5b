"""Database access: the engine, the pool, transactions that carry the tenant, roles and checks."""

import os

# Piccolo finds its engine through this module; set before any Piccolo import looks it up.
os.environ.setdefault("PICCOLO_CONF", "platform_core.db.conf")

from .engine import APP_ROLE, close_pool, get_engine, start_pool  # noqa: E402
from .transaction import (  # noqa: E402
    Probe,
    after_commit,
    current_connection,
    switch_tenant,
    tenant_transaction,
)

__all__ = [
    "APP_ROLE",
    "Probe",
    "after_commit",
    "close_pool",
    "current_connection",
    "get_engine",
    "start_pool",
    "switch_tenant",
    "tenant_transaction",
]
