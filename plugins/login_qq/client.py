"""QQ Connect's OAuth 2.0 as a website uses it (there is no official Python SDK): the authorize
address, the code exchanged for an access token, the token's openid and unionid, the user's
nickname and avatar.

QQ answers failures with HTTP 200 and ``{"error": 100019, "error_description": ...}`` (inside
``callback( ... );`` on the older endpoints), or ``ret`` other than 0 from get_user_info; all of
them, and an unreachable or garbled QQ, become a QQError with QQ's code.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec

from platform_core.plugin_api import hide_query_secrets

from .config import LoginQQConfig

TIMEOUT = 5.0  # seconds, for each of connect, read, write and pool
_JSONP = re.compile(r"^\s*callback\(\s*(.*?)\s*\);?\s*$", re.S)
# The token request carries the app key in its query, as QQ's protocol wants; httpx logs URLs.
hide_query_secrets("httpx", "client_secret")


class QQError(Exception):
    """QQ Connect refused, or could not be asked (code 0)."""

    def __init__(self, code: int, description: str):
        super().__init__(f"{description} ({code})")
        self.code, self.description = code, description


class QQUser(msgspec.Struct, frozen=True, kw_only=True):
    """Who signed in: openid for this app, unionid for the developer account (when QQ gives it)."""

    openid: str
    unionid: str
    nickname: str
    avatar_url: str


def authorize_url(config: LoginQQConfig, *, state: str, redirect_uri: str, mobile: bool) -> str:
    params = {"response_type": "code", "client_id": config.app_id, "redirect_uri": redirect_uri, "state": state,
              "scope": "get_user_info"}
    if mobile:
        params["display"] = "mobile"  # QQ's phone-sized consent page
    return f"{config.base}/oauth2.0/authorize?{urlencode(params)}"


def parse_body(text: str) -> dict[str, Any]:
    """An answer of QQ's in any of its shapes: JSON, ``callback( {...} );``, or a query string
    (the token without fmt=json)."""
    found = _JSONP.match(text)
    body = found.group(1) if found else text.strip()
    if body.startswith("{"):
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return decoded
        raise QQError(0, "QQ answered with something that is not JSON")
    pairs = dict(parse_qsl(body))
    if not pairs:
        raise QQError(0, "QQ answered with an empty or unreadable body")
    return pairs


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    if "error" in body:
        raise QQError(_int(body["error"]), str(body.get("error_description", ""))[:200])
    if "ret" in body and _int(body["ret"]) != 0:
        raise QQError(_int(body["ret"]), str(body.get("msg", ""))[:200])
    return body


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


async def _get(config: LoginQQConfig, path: str, params: dict[str, str]) -> dict[str, Any]:
    import httpx  # loaded at the first QQ sign-in, not in every web process

    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.get(f"{config.base}{path}", params=params)
    except httpx.HTTPError as exc:
        raise QQError(0, f"QQ could not be reached: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise QQError(0, f"QQ answered HTTP {response.status_code}")
    return _checked(parse_body(response.text))


def _text(value: Any, limit: int) -> str:
    """A value of QQ's as bounded text without control characters (a nickname may hold anything)."""
    return "".join(ch for ch in str(value or "") if ch.isprintable())[:limit].strip()


def _avatar(info: dict[str, Any]) -> str:
    for name in ("figureurl_qq_2", "figureurl_qq", "figureurl_qq_1", "figureurl_2"):
        url = _text(info.get(name), 500)
        if url.startswith(("https://", "http://")):
            return url
    return ""


async def signed_in_user(config: LoginQQConfig, *, code: str, redirect_uri: str) -> QQUser:
    """The QQ user behind an authorization code: three calls, each refused with QQError."""
    token = await _get(config, "/oauth2.0/token", {
        "grant_type": "authorization_code", "client_id": config.app_id, "client_secret": config.app_key,
        "code": code, "redirect_uri": redirect_uri, "fmt": "json",
    })
    access = _text(token.get("access_token"), 128)
    if not access:
        raise QQError(0, "QQ gave no access token")
    me = await _get(config, "/oauth2.0/me", {"access_token": access, "unionid": "1", "fmt": "json"})
    openid = _text(me.get("openid"), 64)
    if not openid or str(me.get("client_id", config.app_id)) != config.app_id:
        raise QQError(0, "QQ gave no openid for this app")
    info = await _get(config, "/user/get_user_info", {"access_token": access, "oauth_consumer_key": config.app_id, "openid": openid})
    return QQUser(openid=openid, unionid=_text(me.get("unionid"), 64), nickname=_text(info.get("nickname"), 40),
                  avatar_url=_avatar(info))
