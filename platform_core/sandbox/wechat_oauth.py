"""WeChat sign-in: the Official Account's web authorisation (snsapi_base, snsapi_userinfo), the
Open Platform's QR sign-in (snsapi_login) and the mini-program's code2session, with WeChat's
error JSON (40029 invalid code, 40163 code been used, 40125 invalid appsecret, 48001 scope).

A sandbox person is a name typed on the approve page (remembered in a cookie, as WeChat knows who
is signed in): their openid is stable per app id, their unionid the same across one franchise's
apps (config.wechat_franchise). Codes last 5 minutes and are good once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from .config import wechat_app_secret, wechat_franchise
from .server import SANDBOX, Sandbox, escape

routes = web.RouteTableDef()
CODE_TTL = 300
USER_COOKIE = "sandbox_wechat_user"
DEFAULT_USER = "李女士"
SCOPES = {"snsapi_base", "snsapi_userinfo", "snsapi_login"}

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><style>body{{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:24rem;margin:2.5rem auto;padding:0 1rem;color:#222;text-align:center}}
.mark{{width:64px;height:64px;border-radius:16px;background:#07c160;color:#fff;font-size:2rem;line-height:64px;margin:1rem auto}}
label{{display:block;text-align:left;margin:1.2rem 0 .3rem;color:#555}} input{{width:100%;box-sizing:border-box;font-size:1.05rem;padding:.55rem;border:1px solid #ccc;border-radius:.4rem}}
button{{display:block;width:100%;font-size:1.1rem;padding:.7rem;margin-top:.8rem;border-radius:.4rem;border:1px solid #ccc;background:#f7f7f7}}
.approve{{background:#07c160;color:#fff;border-color:#07c160}} .note{{color:#888;font-size:.85rem}} ul{{text-align:left;color:#444}}</style></head><body>
<p class="note">Hearth 微信登录沙箱 · WeChat sign-in sandbox</p><div class="mark">微</div><h1>{title}</h1>{body}</body></html>"""


def _error(code: int, message: str) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": message})


def _mac(sandbox: Sandbox, text: str) -> str:
    return hmac.new(sandbox.keys.wechat_v2_api_key.encode() + b"people", text.encode(), hashlib.sha256).hexdigest()


def openid(sandbox: Sandbox, appid: str, user: str) -> str:
    return "o" + _mac(sandbox, f"{appid}:{user}")[:27]


def unionid(sandbox: Sandbox, appid: str, user: str) -> str:
    return "oU" + _mac(sandbox, f"{wechat_franchise(appid)}:{user}")[:26]


def _known_app(appid: str) -> bool:
    return appid.startswith("wxsb") and len(appid) == 15


def _secret_ok(sandbox: Sandbox, appid: str, secret: str) -> bool:
    return _known_app(appid) and hmac.compare_digest(wechat_app_secret(sandbox.keys, appid), secret)


def issue_code(sandbox: Sandbox, appid: str, user: str, scope: str) -> str:
    """A code for `user` in `appid`, as WeChat hands one to the redirect_uri (or to wx.login)."""
    code = secrets.token_urlsafe(24)
    sandbox.oauth_codes[code] = {"appid": appid, "user": user, "scope": scope, "issued": time.time(), "used": False}
    return code


def _take_code(sandbox: Sandbox, appid: str, code: str) -> dict | web.Response:
    found = sandbox.oauth_codes.get(code)
    if found is None or found["appid"] != appid:
        return _error(40029, "invalid code")
    if found["used"]:
        return _error(40163, "code been used")
    if time.time() - found["issued"] > CODE_TTL:
        return _error(40029, "invalid code, code expired")
    found["used"] = True
    return found


def _redeem(request: web.Request, field: str) -> dict | web.Response:
    """The code in the query's `field`, taken, when the app's secret is right; else WeChat's error."""
    sandbox: Sandbox = request.app[SANDBOX]
    q = request.query
    if not _secret_ok(sandbox, q.get("appid", ""), q.get("secret", "")):
        return _error(40125, "invalid appsecret")
    return _take_code(sandbox, q["appid"], q.get(field, ""))


def _back(redirect_uri: str, **params: str) -> web.HTTPFound:
    return web.HTTPFound(redirect_uri + ("&" if urlsplit(redirect_uri).query else "?") + urlencode(params))


def _consent_page(request: web.Request, *, title: str, asks: str) -> web.Response:
    q = request.query
    user = request.cookies.get(USER_COOKIE, DEFAULT_USER)
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(q.get(k, ""))}">' for k in ("appid", "redirect_uri", "scope", "state"))
    body = f"""<p>{escape(asks)}</p><form method="post" action="/connect/decide">{hidden}
<label for="user">沙箱微信用户 Sandbox WeChat user</label><input id="user" name="user" value="{escape(user)}" maxlength="32">
<button class="approve" name="decision" value="approve">允许 Approve</button>
<button name="decision" value="deny">拒绝 Deny</button></form>"""
    return web.Response(text=PAGE.format(title=escape(title), body=body), content_type="text/html")


def _checked_start(request: web.Request) -> web.Response | None:
    q = request.query
    if not _known_app(q.get("appid", "")):
        return web.Response(status=400, text="appid 参数错误 / invalid appid (10003)")
    if q.get("scope") not in SCOPES or not q.get("redirect_uri", "").startswith(("http://", "https://")):
        return web.Response(status=400, text="scope 或 redirect_uri 参数错误 / invalid scope or redirect_uri (10005)")
    return None


@routes.get("/connect/oauth2/authorize")
async def authorize(request: web.Request) -> web.Response:
    """Inside WeChat: snsapi_base goes straight back with a code (nothing to approve);
    snsapi_userinfo asks the person first."""
    refused = _checked_start(request)
    if refused is not None:
        return refused
    q = request.query
    if q["scope"] == "snsapi_base":
        user = request.cookies.get(USER_COOKIE, DEFAULT_USER)
        raise _back(q["redirect_uri"], code=issue_code(request.app[SANDBOX], q["appid"], user, "snsapi_base"), state=q.get("state", ""))
    return _consent_page(request, title="微信授权 WeChat authorisation", asks="该网页申请获得你的昵称、头像 · This page asks for your nickname and avatar.")


@routes.get("/connect/qrconnect")
async def qrconnect(request: web.Request) -> web.Response:
    """On a computer WeChat shows a QR code to scan with the phone; here the phone's "approve" is a button."""
    refused = _checked_start(request)
    if refused is not None:
        return refused
    return _consent_page(request, title="微信扫码登录 Sign in with WeChat", asks="用手机微信扫码并确认登录 · Scan with WeChat on your phone and confirm.")


@routes.post("/connect/decide")
async def decide(request: web.Request) -> web.Response:
    form = await request.post()
    appid, redirect_uri, scope, state = (str(form.get(k, "")) for k in ("appid", "redirect_uri", "scope", "state"))
    if not _known_app(appid) or scope not in SCOPES or not redirect_uri.startswith(("http://", "https://")):
        return web.Response(status=400, text="bad request")
    if form.get("decision") != "approve":
        # As WeChat does when the person refuses: back without a code, with the state.
        raise _back(redirect_uri, state=state)
    user = str(form.get("user", "")).strip()[:32] or DEFAULT_USER
    response = _back(redirect_uri, code=issue_code(request.app[SANDBOX], appid, user, scope), state=state)
    response.set_cookie(USER_COOKIE, user, max_age=30 * 86400, httponly=True, samesite="Lax")
    raise response


@routes.get("/sns/oauth2/access_token")
async def access_token(request: web.Request) -> web.Response:
    sandbox: Sandbox = request.app[SANDBOX]
    found = _redeem(request, "code")
    if isinstance(found, web.Response):
        return found
    token = secrets.token_urlsafe(32)
    sandbox.oauth_tokens[token] = {"appid": found["appid"], "user": found["user"], "scope": found["scope"]}
    answer = {"access_token": token, "expires_in": 7200, "refresh_token": secrets.token_urlsafe(32),
              "openid": openid(sandbox, found["appid"], found["user"]), "scope": found["scope"]}
    if found["scope"] != "snsapi_base":
        answer["unionid"] = unionid(sandbox, found["appid"], found["user"])
    return web.json_response(answer)


@routes.get("/sns/userinfo")
async def userinfo(request: web.Request) -> web.Response:
    sandbox: Sandbox = request.app[SANDBOX]
    token = sandbox.oauth_tokens.get(request.query.get("access_token", ""))
    if token is None or openid(sandbox, token["appid"], token["user"]) != request.query.get("openid"):
        return _error(40001, "invalid credential, access_token is invalid or not latest")
    if token["scope"] == "snsapi_base":
        return _error(48001, "api unauthorized")
    return web.json_response({
        "openid": request.query["openid"], "nickname": token["user"], "sex": 0, "province": "", "city": "", "country": "",
        "headimgurl": f"{sandbox.base_url}/sns/avatar/{request.query['openid']}.svg", "privilege": [],
        "unionid": unionid(sandbox, token["appid"], token["user"]),
    })


@routes.get("/sns/avatar/{openid}.svg")
async def avatar(request: web.Request) -> web.Response:
    hue = int(hashlib.sha256(request.match_info["openid"].encode()).hexdigest()[:2], 16) * 360 // 256
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132"><rect width="132" height="132" rx="20" fill="hsl({hue},55%,55%)"/></svg>'
    return web.Response(text=svg, content_type="image/svg+xml")


@routes.get("/sns/jscode2session")
async def jscode2session(request: web.Request) -> web.Response:
    sandbox: Sandbox = request.app[SANDBOX]
    found = _redeem(request, "js_code")
    if isinstance(found, web.Response):
        return found
    return web.json_response({"openid": openid(sandbox, found["appid"], found["user"]), "session_key": secrets.token_urlsafe(16),
                              "unionid": unionid(sandbox, found["appid"], found["user"])})


@routes.get("/cgi-bin/token")
async def client_token(request: web.Request) -> web.Response:
    """The app's own access_token (wechatpy's WeChatClient fetches one before any API call)."""
    q = request.query
    if not _secret_ok(request.app[SANDBOX], q.get("appid", ""), q.get("secret", "")):
        return _error(40125, "invalid appsecret")
    return web.json_response({"access_token": secrets.token_urlsafe(32), "expires_in": 7200})


@routes.post("/_sandbox/wechat/jscode")
async def js_code(request: web.Request) -> web.Response:
    """What wx.login() gives a mini-program: a code for {"appid", "user"}."""
    data = await request.json()
    appid, user = str(data.get("appid", "")), str(data.get("user", "")).strip()[:32] or DEFAULT_USER
    if not _known_app(appid):
        return _error(40013, "invalid appid")
    return web.json_response({"code": issue_code(request.app[SANDBOX], appid, user, "mini_program")})
