"""The kind of browser the current request comes from: WeChat's in-app browser, a phone's or a
computer's. Set per request (LocaleMiddleware, beside the locale) for what a page or a provider
offers differently by it, such as a provider's phone-sized consent page."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Literal

Device = Literal["wechat", "mobile", "desktop"]

_device: ContextVar[Device] = ContextVar("hearth_device", default="desktop")


def device_of(user_agent: str) -> Device:
    """WeChat's in-app browser, a phone's (or tablet's) browser or a desktop, from the User-Agent."""
    ua = user_agent.lower()
    if "micromessenger" in ua:
        return "wechat"
    if any(word in ua for word in ("mobile", "android", "iphone", "ipad")):
        return "mobile"
    return "desktop"


def set_device(user_agent: str) -> None:
    _device.set(device_of(user_agent))


def current_device() -> Device:
    """The current request's device; "desktop" outside a request (jobs, the CLI)."""
    return _device.get()
