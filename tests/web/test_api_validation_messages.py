"""A body the API refuses says what to fix at the field, in the client's language: not msgspec's
English about types ("Expected `int`, got `str`"), and a missing field is named, not "data"."""

from __future__ import annotations

import pytest

from platform_core.testing.factories import bearer_for, make_customer
from platform_core.testing.pytest_plugin import client_for
from platform_core.web.decode_errors import field_of, message_for

WITHDRAWALS, ACCOUNT = "/api/v1/me/withdrawals", "/api/v1/me/payout-account"


@pytest.mark.parametrize(("url", "body", "field", "zh"), [
    (WITHDRAWALS, {"amount": "x"}, "amount", "请输入整数。"),
    (WITHDRAWALS, {}, "amount", "此项为必填。"),
    (WITHDRAWALS, {"amount": 10**30}, "amount", "数值太大。"),
    (WITHDRAWALS, {"amount": -5}, "amount", "数值太小。"),
    (ACCOUNT, {"kind": "alipay_login", "account": "a" * 500, "real_name": "x"}, "account", "此值过长。"),
    (ACCOUNT, {"kind": "alipay_login", "account": "13800138000", "real_name": "王\x00"}, "real_name", "此值包含不允许的字符。"),
    (ACCOUNT, {"kind": "nope"}, "kind", "请从提供的选项中选择。"),
])
async def test_a_refused_body_names_the_field_and_says_why_in_chinese(app, tenant_a, url, body, field, zh):
    customer_id = await make_customer(tenant_a)
    client = client_for(app, f"{tenant_a.slug}.localhost", **await bearer_for(tenant_a, "customer", customer_id))
    client.cookies.set("hearth_locale", "zh_CN")
    async with client:
        answer = await (client.put(url, json=body) if url == ACCOUNT else client.post(url, json=body))
    assert answer.status_code == 400
    fields = answer.json()["error"]["fields"]
    assert set(fields) == {field}
    assert fields[field] == zh


def test_msgspec_words_become_messages_people_read():
    assert field_of("Object missing required field `amount`") == "amount"
    assert field_of("Expected `int`, got `str` - at `$.items[0].qty`") == "items"
    assert message_for("Expected `array` of length <= 50 - at `$.items`") == "This list is too long."
    assert message_for("Expected `str` of length >= 1 - at `$.title`") == "This field is required."
    assert message_for("Expected `str` of length >= 6 - at `$.code`") == "This value is too short."
    assert message_for("Object contains unknown field `admin` - at `$`") == "This field is not accepted."
    assert message_for("Expected `bool`, got `str`") == "This value is not valid."
