"""Customers, staff, addresses, login identities, one-time codes, the franchise's legal documents
and their acceptances (mirrors the SQL migrations)."""

from enum import Enum

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Customer(Table, tablename="core_customer"):
    class Status(str, Enum):
        active = "active"
        frozen = "frozen"
        closed = "closed"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    display_name = Varchar(length=40, default="")
    phone_cipher = Text(null=True, default=None)
    phone_index = Varchar(length=64, null=True, default=None)
    email = Varchar(length=254, default="")
    preferences = JSONB(default="{}")
    status = Varchar(length=16, choices=Status, default=Status.active)
    created_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)
    # Consent: marketing in the inbox and on the site unless turned off; marketing SMS only
    # after the customer agreed (when). Order messages ignore both.
    marketing_messages = Boolean(default=True)
    marketing_sms_agreed_at = Timestamptz(null=True, default=None)
    # How they arrived (web/acquisition.py's cookie at registration), e.g. a partner channel.
    acquisition_source = Varchar(length=64, default="")
    # Optional, for a birthday coupon (accounts_0007).
    birthday = Date(null=True, default=None)
    # Set when the office approves real-name verification (accounts_0008).
    realname_verified_at = Timestamptz(null=True, default=None)
    # Closing and the anonymisation after the retention period (accounts_0011).
    closed_at = Timestamptz(null=True, default=None)
    anonymised_at = Timestamptz(null=True, default=None)


class CustomerAddress(Table, tablename="core_customer_address"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    label = Varchar(length=20, default="")
    contact_name = Varchar(length=40, default=None)
    contact_phone_cipher = Text(default=None)
    region = Varchar(length=40, default="")
    city = Varchar(length=40, default=None)
    district = Varchar(length=40, default="")
    street = Varchar(length=200, default=None)
    detail = Varchar(length=200, default="")
    lat = Numeric(digits=(9, 6), null=True, default=None)
    lng = Numeric(digits=(9, 6), null=True, default=None)
    is_default = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LoginIdentity(Table, tablename="core_login_identity"):
    """A customer's account at a login provider (WeChat, QQ): (provider, app_id, subject) is
    unique, and a customer has at most one per provider app (accounts_0012)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    provider = Varchar(length=40, default=None)
    subject = Varchar(length=200, default=None)
    display_name = Varchar(length=100, default="")
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    app_id = Varchar(length=64, default="")
    unionid = Varchar(length=128, default="")
    avatar_url = Varchar(length=500, default="")


class CustomerSignIn(Table, tablename="core_customer_sign_in"):
    """A successful customer sign-in: time, method, IP and device (kept 180 days)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    method = Varchar(length=32, default=None)
    ip = Varchar(length=45, default="")
    device = Varchar(length=200, default="")
    signed_in_at = Timestamptz()


class Staff(Table, tablename="core_staff"):
    """A worker of the franchise: what sign-in needs (the worker profile comes later)."""

    class Status(str, Enum):
        active = "active"
        inactive = "inactive"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    name = Varchar(length=40, default=None)
    phone_cipher = Text(default=None)
    phone_index = Varchar(length=64, default=None)
    status = Varchar(length=16, choices=Status, default=Status.active)
    created_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)


class OtpCode(Table, tablename="core_otp_code"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    purpose = Varchar(length=32, default=None)
    phone_index = Varchar(length=64, default=None)
    code_hash = Varchar(length=64, default=None)
    expires_at = Timestamptz(default=None)
    consumed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class LegalDocument(Table, tablename="core_legal_document"):
    """One published version of the user agreement or the privacy policy; never edited."""

    class Kind(str, Enum):
        terms = "terms"
        privacy = "privacy"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    kind = Varchar(length=16, choices=Kind, default=None)
    version = Integer(default=None)
    body_zh = Text(default=None)
    body_en = Text(default="")
    published_by = Varchar(length=200, default="")
    published_at = Timestamptz()


class LegalAcceptance(Table, tablename="core_legal_acceptance"):
    """A customer agreed to one version of a document, at a time."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    document = ForeignKey(LegalDocument, db_column_name="document_id", null=False)
    accepted_at = Timestamptz()


class RealnameSubmission(Table, tablename="core_realname_submission"):
    """A customer's real-name verification: the ID number only encrypted, indexed and masked."""

    class State(str, Enum):
        pending = "pending"
        approved = "approved"
        rejected = "rejected"
        revoked = "revoked"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    full_name = Varchar(length=60, default=None)
    id_type = Varchar(length=16, default=None)
    nationality = Varchar(length=2, default="")
    id_number_cipher = Text(default=None)
    id_number_index = Varchar(length=64, default=None)
    id_number_masked = Varchar(length=40, default=None)
    state = Varchar(length=16, choices=State, default=State.pending)
    reason = Varchar(length=200, default="")
    submitted_at = Timestamptz()
    reviewed_at = Timestamptz(null=True, default=None)
    reviewer_id = BigInt(null=True, default=None)


class RealnamePhoto(Table, tablename="core_realname_photo"):
    """An ID photo of a submission, sealed with the keyring."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    submission = ForeignKey(RealnameSubmission, db_column_name="submission_id", null=False)
    side = Varchar(length=8, default=None)
    content_type = Varchar(length=16, default=None)
    sealed = Bytea(default=None)


class RealnameAccess(Table, tablename="core_realname_access"):
    """A console user viewed a photo of a submission, or revealed its full ID number."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    submission = ForeignKey(RealnameSubmission, db_column_name="submission_id", null=False)
    console_user_id = BigInt(null=True, default=None)
    actor_name = Varchar(length=200, default=None)
    action = Varchar(length=16, default=None)
    at = Timestamptz()


CUSTOMER_TABLES: list = [Customer, CustomerAddress, LoginIdentity, CustomerSignIn, Staff, OtpCode, LegalDocument, LegalAcceptance,
                         RealnameSubmission, RealnamePhoto, RealnameAccess]
