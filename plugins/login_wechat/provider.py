"""WeChat as a `LoginProvider`: inside WeChat's browser the official account's web authorisation
(snsapi_base, silent; snsapi_userinfo when the customer shares nickname and avatar), elsewhere
the Open Platform's QR sign-in (snsapi_login, the website app)."""

from __future__ import annotations

from anyio import to_thread

from platform_core.plugin_api import (
    LoginIdentity,
    LoginProvider,
    LoginStart,
    TenantContext,
    ValidationFailed,
    lazy_module,
    plugin_config,
)
from platform_core.plugin_api import lazy_gettext as N_

from .config import WeChatLoginConfig

# wechatpy and requests load on the first sign-in, not in every web process.
oauth = lazy_module(f"{__package__}.oauth")

NAME = "wechat"
NOT_SET_UP = N_("Signing in with WeChat is not set up yet. Please sign in with your phone number.")
OPEN_IN_WECHAT = N_("Open this page in WeChat to sign in with WeChat, or sign in with your phone number.")
OTHER_ACCOUNT = N_("WeChat Pay and WeChat sign-in of this franchise use different official accounts. Please choose another way to pay.")
SPENT = N_("This WeChat sign-in has expired or was used already. Please try again.")


def _with_app(redirect_uri: str, kind: str) -> str:
    # WeChat returns to the address as given, query included: the callback learns which app's code it holds.
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}app={kind}"


async def authorize(start: LoginStart) -> str:
    config = await plugin_config(WeChatLoginConfig)
    if start.app_id and start.app_id != config.app("mp")[0]:
        # Wanted for WeChat Pay's official account, which sign-in does not use: no openid would come back for it.
        raise ValidationFailed({}, message=OTHER_ACCOUNT)
    in_wechat = start.device == "wechat"
    if in_wechat and config.app("mp")[0]:
        scope = "snsapi_userinfo" if start.share_profile and not start.silent else "snsapi_base"
        return oauth.oauth(config, "mp", _with_app(start.redirect_uri, "mp"), scope, start.state).authorize_url
    if config.app("web")[0]:
        return oauth.oauth(config, "web", _with_app(start.redirect_uri, "web"), "snsapi_login", start.state).qrconnect_url
    raise ValidationFailed({}, message=OPEN_IN_WECHAT if config.app("mp")[0] else NOT_SET_UP)


async def authorize_url(tenant: TenantContext, state: str, redirect_uri: str) -> str:
    return await authorize(LoginStart(tenant=tenant, state=state, redirect_uri=redirect_uri))


def identity(config: WeChatLoginConfig, kind: str, person: dict) -> LoginIdentity:
    return LoginIdentity(provider=NAME, subject=person["openid"], app_id=config.app(kind)[0], unionid=person.get("unionid", ""),
                         display_name=person.get("nickname", ""), avatar_url=person.get("headimgurl", ""))


async def complete(tenant: TenantContext, query: dict[str, str], redirect_uri: str) -> LoginIdentity:
    config = await plugin_config(WeChatLoginConfig)
    kind = query.get("app", "")
    if kind not in ("mp", "web") or not config.app(kind)[0]:
        raise ValidationFailed({}, message=SPENT)
    try:
        person = await to_thread.run_sync(oauth.exchange, config, kind, _with_app(redirect_uri, kind), query.get("code", "")[:128])
    except oauth.WeChatRefused as exc:
        if exc.spent:
            raise ValidationFailed({}, message=SPENT) from None
        raise
    return identity(config, kind, person)


PROVIDER = LoginProvider(name=NAME, label=N_("WeChat"), authorize_url=authorize_url, complete=complete, authorize=authorize,
                         profile_choice=True)
