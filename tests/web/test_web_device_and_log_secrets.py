"""The request's device (what a provider's phone-sized page keys on) and secrets a provider's
protocol puts in a URL, kept out of the lines HTTP clients log."""

from __future__ import annotations

import json
import logging

from platform_core.plugin_api import current_device, hide_query_secrets
from platform_core.web.device import device_of
from platform_core.web.logging import JsonFormatter


def test_the_device_comes_from_the_user_agent():
    assert device_of("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148 MicroMessenger/8.0.49") == "wechat"
    assert device_of("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36") == "mobile"
    assert device_of("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36") == "desktop"
    assert device_of("") == "desktop"
    assert current_device() == "desktop"  # outside a request


def test_secrets_in_a_query_are_blanked_out_of_a_loggers_lines(caplog):
    hide_query_secrets("tests.secrets", "client_secret")
    hide_query_secrets("tests.secrets", "client_secret")  # once, however often it is asked
    log = logging.getLogger("tests.secrets")
    assert len(log.filters) == 1
    with caplog.at_level(logging.INFO, logger="tests.secrets"):
        log.info("HTTP Request: %s %s", "GET", "https://graph.qq.com/oauth2.0/token?client_id=1&client_secret=s3cr3t&code=C")
    assert caplog.messages == ["HTTP Request: GET https://graph.qq.com/oauth2.0/token?client_id=1&client_secret=***&code=C"]


def test_a_log_line_carries_what_the_caller_added_to_it():
    """A provider's failure is logged with its error type and the payment's number beside the
    message; the line that reaches the operator must show them, not only "create failed"."""
    record = logging.LogRecord("hearth.payments", logging.WARNING, __file__, 1, "payment create failed", (), None)
    record.__dict__.update({"provider": "stripe", "payment_no": "H261204AB", "attempt": 2, "reason": ValueError("refused")})
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "payment create failed" and line["level"] == "warning"
    assert (line["provider"], line["payment_no"], line["attempt"], line["reason"]) == ("stripe", "H261204AB", 2, "refused")
    assert "lineno" not in line and "args" not in line  # the record's own attributes stay out
