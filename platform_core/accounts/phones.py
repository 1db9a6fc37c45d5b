"""Phone numbers: normalised to E.164, stored encrypted, looked up by a blind index, shown masked.

The plaintext lives only in memory while a request handles it; the database holds the
ciphertext (AES-GCM bound to the "phone" context) and a keyed HMAC for equality lookups.
"""

from __future__ import annotations

import phonenumbers

from platform_core.crypto import Keyring
from platform_core.errors import ValidationFailed
from platform_core.tenancy.schemas import TenantContext

CONTEXT = "phone"
# A franchise's own country is the default for numbers typed without a country code.
REGION_BY_CURRENCY = {"CNY": "CN", "HKD": "HK"}


def default_region(tenant: TenantContext | None) -> str:
    return REGION_BY_CURRENCY.get(tenant.currency, "CN") if tenant else "CN"


def normalize_phone(raw: str, tenant: TenantContext | None, *, field: str = "phone") -> str:
    """The number in E.164, or ValidationFailed on `field`. Numbers with a leading + may be of
    any country; others are read in the tenant's region. Landlines can't receive codes."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed({field: "Enter your mobile number."})
    try:
        number = phonenumbers.parse(text, default_region(tenant))
    except phonenumbers.NumberParseException:
        raise ValidationFailed({field: "Enter a valid mobile number."}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed({field: "Enter a valid mobile number."})
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise ValidationFailed({field: "Enter a mobile number that can receive text messages."})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_index(keyring: Keyring, e164: str) -> str:
    return keyring.blind_index(e164, context=CONTEXT)


def encrypt_phone(keyring: Keyring, e164: str) -> str:
    return keyring.encrypt(e164, context=CONTEXT)


def decrypt_phone(keyring: Keyring, cipher: str | None) -> str:
    return keyring.decrypt(cipher, context=CONTEXT) if cipher else ""


def masked(e164: str) -> str:
    """+86 138****8000: the country code, the carrier prefix of long numbers, the last four."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    head = national[:3] if len(national) >= 10 else ""
    return f"+{number.country_code} {head}****{national[-4:]}"


def masked_cipher(keyring: Keyring, cipher: str | None) -> str:
    return masked(decrypt_phone(keyring, cipher))
