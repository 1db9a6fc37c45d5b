from __future__ import annotations

import re
from typing import Annotated

import msgspec

_URL = re.compile(r"https?://[^\s?#]+")


class StripeConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A franchise's own Stripe account. Its webhook endpoint is
    ``https://<franchise host>/payments/notify/stripe/<slug>``, sending payment_intent.succeeded,
    payment_intent.payment_failed and payment_intent.canceled; its signing secret goes here."""

    secret_key: Annotated[str, msgspec.Meta(max_length=255, title="Secret key",
                                            description="sk_live_… (or a restricted rk_live_… key) from Developers → API keys")] = ""
    publishable_key: Annotated[str, msgspec.Meta(max_length=255, title="Publishable key",
                                                 description="pk_live_… from the same page; the payment page uses it")] = ""
    webhook_secret: Annotated[str, msgspec.Meta(max_length=255, title="Webhook signing secret",
                                                description="whsec_… of the endpoint that points at this franchise's notify address")] = ""
    api_base: Annotated[str, msgspec.Meta(max_length=200, title="API address",
                                          description="Leave empty to use Stripe. Only a test sandbox needs its own address here.")] = ""
    hosted_page_base: Annotated[str, msgspec.Meta(max_length=200, title="Hosted pay page",
                                                  description="Leave empty. A test sandbox's address, whose page stands in for Stripe's card form.")] = ""

    def __post_init__(self) -> None:
        # "field: message" points the error at that field of the settings form.
        if self.secret_key and not self.secret_key.startswith(("sk_", "rk_")):
            raise ValueError("secret_key: A secret key starts with sk_ (or rk_ for a restricted key).")
        if self.publishable_key and not self.publishable_key.startswith("pk_"):
            raise ValueError("publishable_key: A publishable key starts with pk_.")
        if self.webhook_secret and not self.webhook_secret.startswith("whsec_"):
            raise ValueError("webhook_secret: A webhook signing secret starts with whsec_.")
        for name in ("api_base", "hosted_page_base"):
            if getattr(self, name) and not _URL.fullmatch(getattr(self, name)):
                raise ValueError(f"{name}: Enter an address starting with https://.")
