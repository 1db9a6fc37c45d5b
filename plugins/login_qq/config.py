from __future__ import annotations

import re
from typing import Annotated

import msgspec

QQ_CONNECT = "https://graph.qq.com"


class LoginQQConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A franchise's website app at QQ Connect (connect.qq.com). `app_key` is a secret: it ends
    in ``_key``, so the plugin config store encrypts it and the console never shows it again."""

    app_id: Annotated[str, msgspec.Meta(max_length=20, title="APP ID",
                                        description="Your website app's APP ID on connect.qq.com, e.g. 101234567")] = ""
    app_key: Annotated[str, msgspec.Meta(max_length=64, title="APP Key",
                                         description="Your website app's APP Key on connect.qq.com")] = ""
    api_base: Annotated[str, msgspec.Meta(max_length=200, title="API address",
                                          description="Leave empty to use QQ Connect. Only a test sandbox needs its own address here.")] = ""

    def __post_init__(self) -> None:
        # "field: message" points the error at that field of the settings form.
        if self.app_id and not re.fullmatch(r"[1-9]\d{5,14}", self.app_id):
            raise ValueError("app_id: The APP ID is the number QQ Connect shows for your app.")
        if self.app_key and not re.fullmatch(r"[0-9A-Za-z]{16,64}", self.app_key):
            raise ValueError("app_key: The APP Key is the 32 letters and digits QQ Connect shows for your app.")
        if self.api_base and not re.fullmatch(r"https?://[^\s?#\x00-\x1f\x7f]+", self.api_base):
            raise ValueError("api_base: Enter an address starting with https://.")

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_key)

    @property
    def base(self) -> str:
        return (self.api_base or QQ_CONNECT).rstrip("/")
