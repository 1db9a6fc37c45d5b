"""The QQ login provider: where the sign-in page sends the customer, and who comes back.

The core keeps the `state` (random, bound to the start, single use) and checks it before
`complete` runs; this module speaks to QQ. The identity's subject is the unionid when QQ gives one
(the same person across the apps of the franchise's QQ Connect developer account), else the
openid of the franchise's app; either way it belongs to the franchise's own app, and linked
identities are kept per franchise, so a QQ user is a different customer at each franchise.
"""

from __future__ import annotations

import logging
import re

from platform_core.plugin_api import (
    LoginIdentity,
    LoginProvider,
    TenantContext,
    ValidationFailed,
    current_device,
    lazy_gettext,
    plugin_config,
)

from . import client
from .config import LoginQQConfig

log = logging.getLogger("hearth.login_qq")

NAME = "login_qq"
CALLBACK_PATH = f"/account/sign-in/{NAME}/callback"
_CODE = re.compile(r"[0-9A-Za-z_-]{1,128}")

SPENT = lazy_gettext("That QQ sign-in has expired or was already used. Please try again.")
UNAVAILABLE = lazy_gettext("Signing in with QQ is not available at the moment. Please sign in with your phone number.")
FAILED = lazy_gettext("Signing in with QQ did not work. Please try again.")
# QQ's codes for a code that is unknown, expired or spent; then those that mean the app's own
# settings are wrong (unknown app id, wrong key, callback not registered): the franchise must act.
_SPENT_CODES = {100019, 100020}
_SETUP_CODES = {100001, 100002, 100008, 100009, 100010, 100011}


async def franchise_config(tenant: TenantContext) -> LoginQQConfig:
    config = await plugin_config(LoginQQConfig, tenant=tenant)
    if not config.configured:
        log.warning("QQ sign-in at %s: no APP ID or APP Key in the plugin's settings", tenant.slug)
        raise ValidationFailed({}, message=UNAVAILABLE)
    return config


async def authorize_url(tenant: TenantContext, state: str, redirect_uri: str) -> str:
    config = await franchise_config(tenant)
    # QQ's phone-sized consent page for phones (and WeChat's browser on them).
    return client.authorize_url(config, state=state, redirect_uri=redirect_uri, mobile=current_device() != "desktop")


async def complete(tenant: TenantContext, query: dict[str, str], redirect_uri: str) -> LoginIdentity:
    # Deny on QQ's page comes back with usercancel=1 and no code: the core says so before asking here.
    if not _CODE.fullmatch(query.get("code", "")):
        raise ValidationFailed({}, message=FAILED)
    config = await franchise_config(tenant)
    try:
        user = await client.signed_in_user(config, code=query["code"], redirect_uri=redirect_uri)
    except client.QQError as exc:
        # QQ's code and words only: never the key (nor the code, which is spent anyway).
        log.warning("QQ sign-in at %s refused by QQ Connect: %s", tenant.slug, exc)
        message = SPENT if exc.code in _SPENT_CODES else UNAVAILABLE if exc.code in _SETUP_CODES or exc.code == 0 else FAILED
        raise ValidationFailed({}, message=message) from None
    return LoginIdentity(
        provider=NAME, subject=user.unionid or user.openid, display_name=user.nickname, avatar_url=user.avatar_url,
        raw={"app_id": config.app_id, "openid": user.openid, "unionid": user.unionid},
    )


PROVIDER = LoginProvider(name=NAME, label="QQ", authorize_url=authorize_url, complete=complete)
