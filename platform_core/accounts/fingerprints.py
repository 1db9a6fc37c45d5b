"""What the core records that ties two customers to one person, read-only, for fraud checks
(referral's "same phone, device or address on both sides"). Phones are compared by their blind
index (never decrypted into the answer), addresses by a normalised key, devices and IP addresses
from the sign-in records (kept 180 days). The core records no payer account of a payment, so
there is none here."""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from platform_core.accounts.phones import decrypt_phone, phone_index
from platform_core.db import current_connection
from platform_core.runtime import current_runtime

_SPACE = re.compile(r"[\s,，.。#\-]+")


class CustomerFingerprint(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: int
    phones: frozenset[str] = frozenset()  # blind indexes: the account's phone and its addresses' contact phones
    devices: frozenset[str] = frozenset()  # the sign-in records' device strings (user agents)
    ips: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()  # city + district + street + detail, lower case, without spaces

    def shared_with(self, other: CustomerFingerprint) -> list[str]:
        """What this customer has in common with `other`: "phone", "device", "address", "ip"."""
        return [name for name, mine, theirs in (("phone", self.phones, other.phones), ("device", self.devices, other.devices),
                                                 ("address", self.addresses, other.addresses), ("ip", self.ips, other.ips))
                if mine & theirs]


def _address_key(city: str, district: str, street: str, detail: str) -> str:
    return _SPACE.sub("", f"{city}{district}{street}{detail}".lower())


async def customer_fingerprints(customer_ids: Iterable[int]) -> dict[int, CustomerFingerprint]:
    """Each customer's fingerprint, by id (an unknown id is left out); three queries in all."""
    ids = sorted(set(customer_ids))
    conn = current_connection()
    keyring = current_runtime().keyring
    phones: dict[int, set[str]] = {i: set() for i in ids}
    devices: dict[int, set[str]] = {i: set() for i in ids}
    ips: dict[int, set[str]] = {i: set() for i in ids}
    addresses: dict[int, set[str]] = {i: set() for i in ids}
    known = set()
    for r in await conn.fetch("select id, phone_index from core_customer where id = any($1::bigint[])", ids):
        known.add(r["id"])
        if r["phone_index"]:
            phones[r["id"]].add(r["phone_index"])
    for r in await conn.fetch(
        "select customer_id, contact_phone_cipher, city, district, street, detail from core_customer_address "
        "where customer_id = any($1::bigint[])", ids,
    ):
        contact = decrypt_phone(keyring, r["contact_phone_cipher"])
        if contact:
            phones[r["customer_id"]].add(phone_index(keyring, contact))
        addresses[r["customer_id"]].add(_address_key(r["city"], r["district"], r["street"], r["detail"]))
    for r in await conn.fetch(
        "select distinct customer_id, ip, device from core_customer_sign_in where customer_id = any($1::bigint[])", ids,
    ):
        if r["device"]:
            devices[r["customer_id"]].add(r["device"])
        if r["ip"]:
            ips[r["customer_id"]].add(r["ip"])
    return {i: CustomerFingerprint(customer_id=i, phones=frozenset(phones[i]), devices=frozenset(devices[i]), ips=frozenset(ips[i]),
                                   addresses=frozenset(addresses[i])) for i in ids if i in known}
