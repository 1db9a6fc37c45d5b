"""The double-entry, append-only ledger: accounts, transactions and their entries (see docs/ledger.md)."""
