"""Money, days and durations read the same in zh-CN and English now that Babel's locales and each formatted
price are kept per process (web/templating.py): a cached answer in one language never shows in
the other."""

from datetime import date

import pytest

from platform_core.web import i18n
from platform_core.web.templating import day, duration, money


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh_CN", ["¥123.45", "¥1,234,567.80", "JP¥100", "US$0.50"]),
        ("en", ["CN¥123.45", "CN¥1,234,567.80", "¥100", "$0.50"]),
    ],
)
def test_money_in_each_language(locale, expected):
    i18n.set_locale(locale)
    try:
        # Twice: the second answer comes from the cache.
        for _ in range(2):
            assert [money(12345, "CNY"), money(123456780, "CNY"), money(100, "JPY"), money(50, "USD")] == expected
    finally:
        i18n.set_locale("zh_CN")


def test_the_same_price_alternating_languages_keeps_each_its_own():
    shown = []
    for locale in ("zh_CN", "en", "zh_CN", "en"):
        i18n.set_locale(locale)
        shown.append(money(9900, "CNY"))
    i18n.set_locale("zh_CN")
    assert shown == ["¥99.00", "CN¥99.00", "¥99.00", "CN¥99.00"]


def test_days_in_each_language():
    i18n.set_locale("en")
    try:
        assert (day(date(2026, 12, 2)), day(date(2026, 12, 2), "short")) == ("December 2, 2026", "Dec 2")
    finally:
        i18n.set_locale("zh_CN")
    assert (day(date(2026, 12, 2)), day(date(2026, 12, 2), "short")) == ("2026年12月2日", "12月2日")


def test_durations_in_each_language():
    minutes = (180, 60, 90, 26 * 1440, 1440)
    i18n.set_locale("en")
    try:
        assert [duration(m) for m in minutes] == ["3 hours", "1 hour", "90 minutes", "26 days", "1 day"]
    finally:
        i18n.set_locale("zh_CN")
    assert [duration(m) for m in minutes] == ["3 小时", "1 小时", "90 分钟", "26 天", "1 天"]
