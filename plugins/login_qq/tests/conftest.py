"""The QQ sign-in fixtures, kept in helpers.py so the isolation suite can use them too."""

from plugins.login_qq.tests.helpers import every_log, franchise, qq_franchise

__all__ = ["every_log", "franchise", "qq_franchise"]
