"""QQ Connect (QQ互联) OAuth 2.0 as a website sees it: the authorize page with Approve / Deny, the
code-for-token exchange, the openid (and unionid) of a token, and the user's nickname and avatar.

Answers have QQ's shapes: errors as ``{"error": 100019, "error_description": ...}`` (wrapped in
``callback( ... );`` unless ``fmt=json``), the token as ``access_token=...&expires_in=...`` without
``fmt=json``, and ``get_user_info``'s failures as ``ret`` other than 0. A code is good once and for
ten minutes. Apps and keys need no list: an app id names its developer account (config.qq_app_id)
and its key signs the id (config.qq_app_key). Each sandbox user has a stable openid per app and a
unionid per developer account, as at QQ.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from aiohttp import web

from platform_core.web.logging import hide_query_secrets

from .config import qq_app_key
from .server import SANDBOX, Sandbox, escape

routes = web.RouteTableDef()

CODE_TTL = 600  # seconds, as QQ Connect's authorization codes
TOKEN_TTL = 7_776_000  # three months, QQ's access token lifetime
# The people one can sign in as: key, nickname, avatar colour.
USERS: tuple[tuple[str, str, str], ...] = (
    ("sunny", "晴天小Q", "#12b7f5"),
    ("ajie", "阿杰", "#f59f00"),
    ("lily", "Lily 莉莉", "#e64980"),
)
_APP_ID = re.compile(r"1\d{9}")
# The token request carries the app key in its query (QQ's protocol); in tests the sandbox runs in
# the app's process, whose logs must never show it.
hide_query_secrets("aiohttp.access", "client_secret")


@dataclass
class Grant:
    """An authorization code: which app, for whom, where it may be redeemed, and when."""

    app_id: str
    user: str
    redirect_uri: str
    issued: float
    used: bool = False


@dataclass
class Token:
    app_id: str
    user: str
    expires: float


class QQConnect:
    """The sandbox's QQ Connect state; in memory, as the payments are."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}

    def _id(self, kind: str, scope: str, user: str) -> str:
        mac = hmac.new(self.sandbox.keys.wechat_v2_api_key.encode() + b"qq-" + kind.encode(), f"{scope}:{user}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32].upper()

    def openid(self, app_id: str, user: str) -> str:
        return self._id("openid", app_id, user)

    def unionid(self, app_id: str, user: str) -> str:
        # An app id's digits 2-8 name its developer account: the unionid is the same for every app of it.
        return "UID_" + self._id("unionid", app_id[1:8], user)

    def key_ok(self, app_id: str, app_key: str) -> bool:
        return hmac.compare_digest(qq_app_key(self.sandbox.keys, app_id), app_key)


QQ = web.AppKey("qq_connect", QQConnect)


def _state(request: web.Request) -> QQConnect:
    return request.app[QQ]


def _answer(request: web.Request, body: dict) -> web.Response:
    """JSON with fmt=json; QQ's older JSONP shape otherwise (what its /me answers by default)."""
    if request.query.get("fmt") == "json":
        return web.json_response(body)
    return web.Response(text=f"callback( {json.dumps(body, ensure_ascii=False)} );\n", content_type="text/html")


def _error(request: web.Request, code: int, description: str) -> web.Response:
    return _answer(request, {"error": code, "error_description": description})


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>QQ登录 · QQ sign-in (sandbox)</title><style>
body{{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;background:#f2f5f8;color:#1f2933}}
main{{max-width:26rem;margin:0 auto;padding:1.5rem 1rem 2rem}}
.brand{{display:flex;align-items:center;gap:.6rem;font-size:1.25rem;font-weight:600;margin:.5rem 0 1.2rem}}
.brand span{{display:inline-grid;place-items:center;width:2.2rem;height:2.2rem;border-radius:50%;background:#12b7f5;color:#fff;font-weight:700}}
.card{{background:#fff;border-radius:.9rem;padding:1.2rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}}
.site{{font-weight:600;word-break:break-all}} .note{{color:#61707e;font-size:.88rem;line-height:1.5}}
fieldset{{border:0;padding:0;margin:1rem 0}} legend{{font-weight:600;margin-bottom:.5rem}}
label{{display:flex;align-items:center;gap:.7rem;padding:.65rem .5rem;border:1px solid #e3e8ee;border-radius:.6rem;margin-bottom:.5rem;min-height:2.75rem}}
label:has(input:checked){{border-color:#12b7f5;background:#effaff}}
.avatar{{width:2.2rem;height:2.2rem;border-radius:50%}}
ul{{padding-left:1.2rem;margin:.4rem 0}} button{{display:block;width:100%;font-size:1.05rem;padding:.8rem;border-radius:.6rem;border:1px solid #c5ced6;background:#fff;margin-top:.6rem;min-height:2.75rem}}
.approve{{background:#12b7f5;border-color:#12b7f5;color:#fff;font-weight:600}}
.error{{color:#b42318}}</style></head><body><main>
<p class="note">Hearth 沙箱 · sandbox — 这不是真的 QQ / this is not the real QQ</p>
<div class="brand"><span>Q</span>QQ登录 · Sign in with QQ</div>
<div class="card">{body}</div></main></body></html>"""


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(body=body), content_type="text/html", status=status)


def _refused(code: int, description: str) -> web.Response:
    # QQ shows a broken authorize request as an error page with its code, never redirecting back.
    return _page(f'<p class="error"><strong>{code}</strong>: {escape(description)}</p>'
                 '<p class="note">请检查网站的 QQ 互联应用设置。Check the site\'s QQ Connect app settings.</p>', status=400)


def _authorize_problem(query) -> web.Response | None:
    if query.get("response_type") != "code":
        return _refused(100000, "response_type is wrong or lost")
    if not query.get("client_id"):
        return _refused(100001, "client_id is lost")
    if not _APP_ID.fullmatch(query["client_id"]):
        return _refused(100008, "client id is not exist")
    if urlsplit(query.get("redirect_uri", "")).scheme not in ("http", "https"):
        return _refused(100010, "redirect uri is illegal")
    return None


def _avatar_url(request: web.Request, user: str, size: int) -> str:
    return f"{request.app[SANDBOX].base_url}/qq/avatar/{user}/{size}.svg"


@routes.get("/oauth2.0/authorize")
async def authorize(request: web.Request) -> web.Response:
    """The consent page: which site asks, as whom to sign in, Approve or Deny."""
    problem = _authorize_problem(request.query)
    if problem:
        return problem
    q = request.query
    hidden = "".join(f'<input type="hidden" name="{name}" value="{escape(q.get(name, ""))}">'
                     for name in ("client_id", "redirect_uri", "state", "scope", "display"))
    people = "".join(
        f'<label><input type="radio" name="user" value="{key}"{" checked" if i == 0 else ""}>'
        f'<img class="avatar" src="{_avatar_url(request, key, 40)}" alt="">{escape(name)}</label>'
        for i, (key, name, _colour) in enumerate(USERS))
    body = f"""<p><span class="site">{escape(urlsplit(q["redirect_uri"]).netloc)}</span> 将获得以下权限 ·
wants to:</p><ul class="note"><li>获得您的昵称、头像 · see your nickname and avatar</li></ul>
<form method="post" action="/oauth2.0/authorize">{hidden}
<fieldset><legend>选择 QQ 帐号 · Sign in as</legend>{people}</fieldset>
<button class="approve" name="decision" value="approve">授权并登录 · Approve</button>
<button name="decision" value="deny">取消 · Deny</button></form>
<p class="note">应用 App ID {escape(q["client_id"])}</p>"""
    return _page(body)


@routes.post("/oauth2.0/authorize")
async def decide(request: web.Request) -> web.Response:
    """Approve: back to the site with a code. Deny: back with ``usercancel=1`` and no code, as QQ."""
    form = await request.post()
    query = {k: str(v) for k, v in form.items()}
    problem = _authorize_problem({"response_type": "code", **query})
    if problem:
        return problem
    back, state = query["redirect_uri"], query.get("state", "")
    if query.get("decision") != "approve":
        raise web.HTTPFound(_with_query(back, usercancel="1", state=state))
    user = query.get("user", "")
    if user not in {key for key, _name, _colour in USERS}:
        return _refused(100029, "user is not selected")
    code = secrets.token_hex(16).upper()
    _state(request).grants[code] = Grant(app_id=query["client_id"], user=user, redirect_uri=back, issued=time.time())
    raise web.HTTPFound(_with_query(back, code=code, state=state))


@routes.get("/oauth2.0/token")
async def token(request: web.Request) -> web.Response:
    q, qq = request.query, _state(request)
    if q.get("grant_type") != "authorization_code":
        return _error(request, 100004, "param grant_type is wrong or lost")
    if not q.get("client_id"):
        return _error(request, 100001, "param client_id is lost")
    if not _APP_ID.fullmatch(q["client_id"]):
        return _error(request, 100008, "client id is not exist")
    if not q.get("client_secret"):
        return _error(request, 100002, "param client_secret is lost")
    if not qq.key_ok(q["client_id"], q["client_secret"]):
        return _error(request, 100009, "client secret is illegal")
    if not q.get("code"):
        return _error(request, 100005, "param code is lost")
    grant = qq.grants.get(q["code"])
    if grant is None or grant.app_id != q["client_id"]:
        return _error(request, 100019, "code to access token error")
    if grant.used:
        return _error(request, 100020, "code is reused error")
    grant.used = True  # spent by the first try, whatever its outcome
    if time.time() - grant.issued > CODE_TTL:
        return _error(request, 100019, "code to access token error: code is expired")
    if q.get("redirect_uri") != grant.redirect_uri:
        return _error(request, 100010, "redirect uri is illegal")
    access = secrets.token_hex(16).upper()
    qq.tokens[access] = Token(app_id=grant.app_id, user=grant.user, expires=time.time() + TOKEN_TTL)
    answer = {"access_token": access, "expires_in": str(TOKEN_TTL), "refresh_token": secrets.token_hex(16).upper()}
    if q.get("fmt") == "json":
        return web.json_response(answer)
    return web.Response(text=urlencode(answer), content_type="text/plain")


def _token(request: web.Request) -> Token | None:
    found = _state(request).tokens.get(request.query.get("access_token", ""))
    return found if found is not None and found.expires > time.time() else None


@routes.get("/oauth2.0/me")
async def me(request: web.Request) -> web.Response:
    if not request.query.get("access_token"):
        return _error(request, 100007, "param access token is lost")
    found = _token(request)
    if found is None:
        return _error(request, 100016, "access token check failed")
    qq = _state(request)
    answer = {"client_id": found.app_id, "openid": qq.openid(found.app_id, found.user)}
    if request.query.get("unionid") == "1":
        answer["unionid"] = qq.unionid(found.app_id, found.user)
    return _answer(request, answer)


@routes.get("/user/get_user_info")
async def get_user_info(request: web.Request) -> web.Response:
    found, q = _token(request), request.query
    if found is None:
        return web.json_response({"ret": 100016, "msg": "access token check failed"})
    if q.get("oauth_consumer_key") != found.app_id or q.get("openid") != _state(request).openid(found.app_id, found.user):
        return web.json_response({"ret": -1, "msg": "client request's parameters are invalid, invalid openid"})
    name = next(name for key, name, _colour in USERS if key == found.user)
    pictures = {f"figureurl_qq_{n}": _avatar_url(request, found.user, size) for n, size in ((1, 40), (2, 100))}
    return web.json_response({
        "ret": 0, "msg": "", "is_lost": 0, "nickname": name, "gender": "男", "gender_type": 1, "province": "上海", "city": "",
        "year": "1990", "figureurl": _avatar_url(request, found.user, 30), "figureurl_qq": _avatar_url(request, found.user, 640),
        **pictures, "is_yellow_vip": "0", "vip": "0", "level": "0",
    })


@routes.get("/qq/avatar/{user}/{size:\\d+}.svg")
async def avatar(request: web.Request) -> web.Response:
    """A round initial on the user's colour, where QQ would serve the profile picture."""
    found = next(((name, colour) for key, name, colour in USERS if key == request.match_info["user"]), None)
    if found is None:
        raise web.HTTPNotFound()
    size = min(int(request.match_info["size"]), 640)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 40 40">'
           f'<circle cx="20" cy="20" r="20" fill="{found[1]}"/><text x="20" y="26.5" font-size="18" text-anchor="middle" '
           f'fill="#fff" font-family="sans-serif">{escape(found[0][0])}</text></svg>')
    return web.Response(text=svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
