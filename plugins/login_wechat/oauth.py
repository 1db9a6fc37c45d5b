"""WeChat's side, through wechatpy: the web authorisation (official account and website app)
and the mini-program's code2session. Synchronous (requests): called in a worker thread."""

from __future__ import annotations

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException, WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from .config import WeChatLoginConfig

# (connect, read) seconds: a stalled WeChat must not hold a worker thread for long.
TIMEOUT = (5, 15)
API_BASE = "https://api.weixin.qq.com"
OPEN_BASE = "https://open.weixin.qq.com"
# A code WeChat no longer takes: invalid or expired (40029), used before (40163).
SPENT_CODE = {40029, 40163}


class WeChatRefused(Exception):
    """WeChat refused or could not be reached. `spent`: the code was used or expired. The message
    holds WeChat's error code only, never the request (its URL carries the AppSecret)."""

    def __init__(self, errcode: object, spent: bool = False) -> None:
        super().__init__(f"WeChat refused: {errcode}")
        self.spent = spent


class _OAuth(WeChatOAuth):
    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return super()._request(method, url_or_endpoint, **kwargs)


class _MiniClient(WeChatClient):
    """wechatpy's client with its two addresses (the token's is written into wechatpy) pointed at `base`."""

    def __init__(self, appid: str, secret: str, base: str) -> None:
        super().__init__(appid, secret, timeout=TIMEOUT)
        self._base = base
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{base}/"

    def fetch_access_token(self):
        return self._fetch_access_token(url=f"{self._base}/cgi-bin/token",
                                        params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


def oauth(config: WeChatLoginConfig, kind: str, redirect_uri: str, scope: str = "snsapi_base", state: str = "") -> WeChatOAuth:
    appid, secret = config.app(kind)
    client = _OAuth(appid, secret, redirect_uri, scope=scope, state=state)
    base = config.api_base_url.rstrip("/")
    client.API_BASE_URL = f"{base or API_BASE}/"
    client.OAUTH_BASE_URL = f"{base or OPEN_BASE}/connect/"
    return client


def _refused(exc: Exception) -> WeChatRefused:
    if isinstance(exc, (WeChatOAuthException, WeChatClientException)):
        return WeChatRefused(exc.errcode, spent=exc.errcode in SPENT_CODE)
    return WeChatRefused(type(exc).__name__)


def exchange(config: WeChatLoginConfig, kind: str, redirect_uri: str, code: str) -> dict:
    """The person behind a web authorisation's code: openid, unionid when WeChat gives it, and
    nickname and avatar when the scope allows (snsapi_userinfo, snsapi_login)."""
    client = oauth(config, kind, redirect_uri)
    try:
        token = client.fetch_access_token(code)
        person = {"openid": token["openid"], "unionid": token.get("unionid", ""), "nickname": "", "headimgurl": ""}
        if token.get("scope", "") in ("snsapi_userinfo", "snsapi_login"):
            info = client.get_user_info()
            person.update(nickname=info.get("nickname", ""), headimgurl=info.get("headimgurl", ""),
                          unionid=info.get("unionid", "") or person["unionid"])
        return person
    except (WeChatOAuthException, requests.RequestException, KeyError, ValueError) as exc:
        raise _refused(exc) from None


def code_to_session(config: WeChatLoginConfig, js_code: str) -> dict:
    """The mini-program's wx.login() code: openid and unionid (the session_key stays with WeChat's answer)."""
    appid, secret = config.app("mini")
    try:
        answer = _MiniClient(appid, secret, config.api_base_url.rstrip("/") or API_BASE).wxa.code_to_session(js_code)
        return {"openid": answer["openid"], "unionid": answer.get("unionid", "")}
    except (WeChatClientException, requests.RequestException, KeyError, ValueError) as exc:
        raise _refused(exc) from None
