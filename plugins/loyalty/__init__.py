"""Loyalty: points kept as a ledger (earned on completed, paid orders, spent on coupons and goods,
expiring oldest first), a daily check-in with streak rewards, tasks, member tiers with their
privileges, and the member centre. A franchise turns it on by itself; off, nothing of it shows.
docs/loyalty.md walks through it as an example of a large plugin."""
