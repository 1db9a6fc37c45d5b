"""The mini-program's sign-in: wx.login()'s code for a bearer token, or, for a person the
franchise does not know yet, a link token the phone step (the core's /api/v1/auth/code, then
/link here) turns into one."""

from __future__ import annotations

from typing import Literal

import msgspec
from anyio import to_thread
from litestar import Request, post
from litestar.params import JSONBody

from platform_core.plugin_api import (
    Code,
    LoginToken,
    ValidationFailed,
    count_provider_sign_in,
    hold_for_phone,
    plugin_config,
    token_for_identity,
    token_linking_phone,
)
from platform_core.plugin_api import lazy_gettext as N_

from .config import WeChatLoginConfig
from .provider import SPENT, identity, oauth

NOT_SET_UP = N_("This franchise has no WeChat mini-program set up.")


class MiniSessionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    js_code: Code  # from wx.login()
    invite: Code = ""
    # The customer agreed to the documents in force (GET /api/v1/legal/{kind}), for a first sign-in.
    accept_terms: bool = False
    # What POST /api/v1/auth/second-factor gave this app when the customer chose to remember it.
    device_token: Code = ""


class MiniSession(msgspec.Struct, kw_only=True):
    """`signed_in`: use `token` as `Authorization: Bearer`. `phone_required`: a person we do not
    know yet: text them a code (POST /api/v1/auth/code) and send it with `link_token` to
    /p/login_wechat/api/mini/link (within 15 minutes). `second_factor_required`: the customer
    has two-step verification on and this app's `device_token` is not remembered: send
    `challenge` with an authenticator code to POST /api/v1/auth/second-factor (within
    `expires_in` seconds) for the token."""

    status: Literal["signed_in", "phone_required", "second_factor_required"]
    token: str = ""
    token_type: str = "bearer"
    expires_in: int = 0
    customer_id: int | None = None
    link_token: str = ""
    challenge: str = ""


class MiniLinkRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    link_token: Code
    phone: Code
    code: Code
    invite: Code = ""
    accept_terms: bool = False
    device_token: Code = ""


def _signed_in(token: LoginToken) -> MiniSession:
    return MiniSession(status=token.status, token=token.token, expires_in=token.expires_in, customer_id=token.customer_id,
                       challenge=token.challenge)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@post("/api/mini/session", operation_id="wechatMiniProgramSignIn", tags=["Sign-in"], status_code=200,
      summary="Sign in from the WeChat mini-program with wx.login()'s code")
async def mini_session(request: Request, data: JSONBody[MiniSessionRequest]) -> MiniSession:
    """Exchanges `js_code` with WeChat (code2session). A person already linked (by openid, or by
    unionid from the franchise's official account or website) gets a bearer token; a new one
    gets `phone_required` and a `link_token`. 400 on `js_code` when WeChat refuses the code
    (used or expired); 429 beyond 60 sign-ins an hour from one address."""
    config = await plugin_config(WeChatLoginConfig)
    if not config.app("mini")[0]:
        raise ValidationFailed({"js_code": NOT_SET_UP})
    await count_provider_sign_in(_client(request))
    try:
        person = await to_thread.run_sync(oauth.code_to_session, config, data.js_code)
    except oauth.WeChatRefused:
        raise ValidationFailed({"js_code": SPENT}) from None
    who = identity(config, "mini", person)
    token = await token_for_identity(who, client=_client(request), device=request.headers.get("user-agent", ""),
                                     invite=data.invite, accept_terms=data.accept_terms, device_token=data.device_token)
    if token is not None:
        return _signed_in(token)
    return MiniSession(status="phone_required", link_token=await hold_for_phone(who))


@post("/api/mini/link", operation_id="wechatMiniProgramLinkPhone", tags=["Sign-in"], status_code=200,
      summary="Finish a mini-program's first sign-in with the phone's code")
async def mini_link(request: Request, data: JSONBody[MiniLinkRequest]) -> MiniSession:
    """Links the WeChat identity of `link_token` to the customer of `phone` (created if new), so
    one person keeps one account, and signs them in. 400 on `code` for a wrong code, on
    `link_token` when it expired or was used, on `provider` when this WeChat account or this
    phone's customer is linked elsewhere (409)."""
    token = await token_linking_phone(data.link_token, phone=data.phone, code=data.code, client=_client(request),
                                      device=request.headers.get("user-agent", ""), invite=data.invite, accept_terms=data.accept_terms,
                                      device_token=data.device_token)
    return _signed_in(token)


HANDLERS = [mini_session, mini_link]
