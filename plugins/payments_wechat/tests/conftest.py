"""A payment sandbox for the module (WeChat Pay's side, with real signatures) and a notify receiver."""

from __future__ import annotations

import pytest

from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """(the Sandbox, its data dir, its port): `tenant_config(slug, data_dir=..., port=...)` gives a tenant's credentials."""
    data_dir = tmp_path_factory.mktemp("wechat-sandbox")
    port = free_port()
    policy = NotifyPolicy(delays=(0, 0.05, 0.1), duplicate_probability=0)
    with running_sandbox(load_or_create(data_dir), port=port, policy=policy) as sb:
        yield sb, data_dir, port


@pytest.fixture
def receiver():
    # Answers like a merchant that took the notification, so the sandbox stops retrying.
    r = Receiver(b"<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>")
    yield r
    r.close()
