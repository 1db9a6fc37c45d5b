"""The accounts domain's boundary types. Phone numbers leave only masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from platform_core.bounds import Code, Line, Name, Text, text
from platform_core.web.i18n import lazy_gettext

CustomerStatus = Literal["active", "frozen", "closed"]
TimeSlot = Literal["morning", "afternoon", "evening", "weekend"]
TIME_SLOTS: tuple[str, ...] = ("morning", "afternoon", "evening", "weekend")


class ServicePreferences(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a worker should know before a visit."""

    preferred_times: list[TimeSlot] = []
    pets: Line = ""
    language: Literal["", "zh_CN", "en"] = ""
    notes: Line = ""


class Customer(msgspec.Struct, kw_only=True):
    id: int
    display_name: str
    phone: str  # masked: "+86 •••••••8000"
    email: str
    preferences: ServicePreferences
    status: CustomerStatus
    created_at: datetime
    last_sign_in_at: datetime | None = None
    # Marketing in the inbox and banners on the site (on unless turned off); order messages are
    # not affected.
    marketing_messages: bool = True
    # Marketing by SMS: only after the customer agreed, and since when.
    marketing_sms: bool = False
    marketing_sms_agreed_at: datetime | None = None
    # Optional: a franchise may give a birthday coupon (loyalty).
    birthday: date | None = None


class CustomerUpdate(msgspec.Struct, kw_only=True):
    display_name: Name | UnsetType = UNSET
    email: Line | UnsetType = UNSET
    preferences: ServicePreferences | UnsetType = UNSET
    marketing_messages: bool | UnsetType = UNSET
    marketing_sms: bool | UnsetType = UNSET
    birthday: date | None | UnsetType = UNSET  # null clears it


# Where a marketing message goes: the inbox, a banner on the site, or an SMS.
MarketingChannel = Literal["inbox", "banner", "sms"]
MARKETING_CHANNELS: tuple[str, ...] = ("inbox", "banner", "sms")


class CustomerCard(msgspec.Struct, frozen=True, kw_only=True):
    """A customer as a list of people shows them: name, masked phone, when they registered."""

    id: int
    display_name: str
    phone: str  # masked
    created_at: datetime


class Address(msgspec.Struct, kw_only=True):
    id: int
    label: str
    contact_name: str
    contact_phone: str  # masked
    region: str
    city: str
    district: str
    street: str
    detail: str
    lat: float | None
    lng: float | None
    is_default: bool
    area: str = ""  # 省 市 区 as a person reads it: "上海市 浦东新区", never "上海市 上海市"


class AddressCreate(msgspec.Struct, kw_only=True):
    contact_name: Name
    contact_phone: Code
    city: Name
    street: Text
    label: Name = ""
    region: Name = ""
    district: Name = ""
    detail: Text = ""
    # The district's code from the 省/市/区 picker: its names and, failing a better place, its
    # centre come from the bundled data.
    area_code: Code = ""
    # Where the address is, when a suggestion placed it; otherwise the map provider or the
    # district's centre does.
    lat: float | None = None
    lng: float | None = None
    is_default: bool = False


class AddressUpdate(msgspec.Struct, kw_only=True):
    contact_name: Name | UnsetType = UNSET
    contact_phone: Code | UnsetType = UNSET
    city: Name | UnsetType = UNSET
    street: Text | UnsetType = UNSET
    label: Name | UnsetType = UNSET
    region: Name | UnsetType = UNSET
    district: Name | UnsetType = UNSET
    detail: Text | UnsetType = UNSET
    area_code: Code | UnsetType = UNSET
    lat: float | None | UnsetType = UNSET
    lng: float | None | UnsetType = UNSET
    is_default: bool | UnsetType = UNSET


class Staff(msgspec.Struct, kw_only=True):
    id: int
    name: str
    phone: str  # masked
    status: Literal["active", "inactive"]


class CodeRequest(msgspec.Struct, kw_only=True):
    phone: Code


class CodeSent(msgspec.Struct, kw_only=True):
    phone: str  # masked
    expires_in: int  # seconds
    resend_after: int  # seconds


class TokenRequest(msgspec.Struct, kw_only=True):
    phone: Code
    code: Code
    # An invite code, handed to on_customer_registered (referral binds it).
    invite: Code = ""
    # The customer ticked "I agree" to the documents in force (GET /api/v1/legal/{kind}); needed
    # on registration and after a new version is published (400 on `accept_terms` otherwise).
    accept_terms: bool = False
    # The device token a second step with `remember_device` gave (POST /api/v1/auth/second-factor):
    # while it lasts (30 days), a customer with two-step verification on is not asked again.
    device_token: Code = ""


class TokenResponse(msgspec.Struct, kw_only=True):
    token: str
    token_type: Literal["bearer"]
    expires_in: int
    customer: Customer


class SignedOut(msgspec.Struct, kw_only=True):
    sessions_ended: int


LegalKind = Literal["terms", "privacy"]
LEGAL_KINDS: tuple[LegalKind, ...] = ("terms", "privacy")
LEGAL_TITLES = {"terms": lazy_gettext("User Agreement"), "privacy": lazy_gettext("Privacy Policy")}
# Longer than any real agreement, short enough that a pasted book is refused.
LEGAL_BODY_LIMIT = 50_000


class LegalDocument(msgspec.Struct, kw_only=True):
    """One published version of the franchise's user agreement or privacy policy."""

    kind: LegalKind
    version: int
    body_zh: str
    body_en: str  # "" falls back to the Chinese text
    published_by: str
    published_at: datetime


class LegalDocumentPublish(msgspec.Struct, kw_only=True):
    # A whole agreement: longer than a Text, within what a form may carry (web/bounds.py).
    body_zh: text(50_000)  # type: ignore[valid-type]
    body_en: text(50_000) = ""  # type: ignore[valid-type]


class LegalVersions(msgspec.Struct, frozen=True, kw_only=True):
    """The versions in force (or accepted); None where the franchise has no such document."""

    terms: int | None = None
    privacy: int | None = None

    def any(self) -> bool:
        return self.terms is not None or self.privacy is not None
