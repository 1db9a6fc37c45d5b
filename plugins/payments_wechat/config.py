from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from cryptography import x509

from platform_core.plugin_api import lazy_gettext as N_

from .common import pem

# What each API version needs before checkout may offer WeChat Pay.
REQUIRED = {
    "v2": ("appid", "mch_id", "api_key"),
    "v3": ("appid", "mch_id", "private_key", "cert_serial_no", "apiv3_key", "platform_public_key", "platform_public_key_id"),
}


class WeChatPayConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A franchise's WeChat Pay merchant account. The `_key` fields are stored encrypted."""

    api_version: Annotated[Literal["v2", "v3"], msgspec.Meta(
        title=N_("API version"), description=N_("v3 for merchants who joined recently; v2 for older accounts that only have an API key"))] = "v3"
    appid: Annotated[str, msgspec.Meta(max_length=32, title=N_("AppID"), description=N_("The official account's AppID bound to the merchant account"))] = ""
    mch_id: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^\d*$", title=N_("Merchant ID"), description=N_("The mchid, digits only"))] = ""
    # Secret fields show "stored encrypted" instead of a description: their titles say what to paste.
    api_key: Annotated[str, msgspec.Meta(title=N_("API key (v2, 32 characters)"))] = ""
    private_key: Annotated[str, msgspec.Meta(title=N_("Merchant API private key (apiclient_key.pem)"))] = ""
    api_client_cert: Annotated[str, msgspec.Meta(
        title=N_("Merchant API certificate (v2)"), description=N_("The contents of apiclient_cert.pem: API v2 refunds and transfers present it with the private key"))] = ""
    cert_serial_no: Annotated[str, msgspec.Meta(max_length=64, title=N_("Certificate serial number (v3)"), description=N_("The serial number of the merchant API certificate"))] = ""
    apiv3_key: Annotated[str, msgspec.Meta(title=N_("APIv3 key (32 characters)"))] = ""
    platform_public_key: Annotated[str, msgspec.Meta(title=N_("WeChat Pay public key (v3, pub_key.pem)"))] = ""
    platform_public_key_id: Annotated[str, msgspec.Meta(max_length=64, title=N_("WeChat Pay public key ID (v3)"), description=N_("Starts with PUB_KEY_ID_"))] = ""
    transfer_scene_id: Annotated[Literal["1000", "1005"], msgspec.Meta(
        title=N_("Transfer scene (v3)"),
        description=N_("The scene your merchant account has for transfers to balance: 1000 cash marketing (rewards), 1005 commission (workers' pay)"))] = "1000"
    api_base_url: Annotated[str, msgspec.Meta(max_length=200, title=N_("API address"), description=N_("Leave empty for WeChat Pay itself; set only for a test stand-in"))] = ""

    def __post_init__(self) -> None:
        # "field: message" points the error at that field of the settings form.
        if self.api_key and len(self.api_key) != 32:
            raise ValueError("api_key: " + N_("The API key is 32 characters long."))
        if self.apiv3_key and len(self.apiv3_key) != 32:
            raise ValueError("apiv3_key: " + N_("The APIv3 key is 32 characters long."))
        if self.api_client_cert and not _is_certificate(self.api_client_cert):
            raise ValueError("api_client_cert: " + N_("Paste the whole apiclient_cert.pem: this is not a certificate."))
        if self.api_base_url and not self.api_base_url.startswith(("http://", "https://")):
            raise ValueError("api_base_url: " + N_("Enter an address starting with http:// or https://."))

    def configured(self) -> bool:
        return all(getattr(self, name) for name in REQUIRED[self.api_version])

    def pays_out(self) -> bool:
        """Transfers to balance: v3 with the payment credentials; v2 also presents the merchant's API
        certificate (mutual TLS), as refunds do."""
        return self.configured() and (self.api_version == "v3" or bool(self.api_client_cert and self.private_key))


def _is_certificate(text: str) -> bool:
    try:
        x509.load_pem_x509_certificate(pem(text, "CERTIFICATE").encode())
    except ValueError:
        return False
    return True
