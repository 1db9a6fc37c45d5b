"""`hearth sandbox` as an operator runs it: keys in the data folder, the stand-ins and localstripe on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from platform_core.sandbox.testing import free_port


def test_hearth_sandbox_serves_on_loopback_with_keys_in_the_data_folder(tmp_path):
    port = free_port()
    env = dict(os.environ, HEARTH_DATA_DIR=str(tmp_path), HEARTH_SANDBOX_PORT=str(port))
    hearth = Path(sys.executable).with_name("hearth")
    proc = subprocess.Popen([str(hearth), "sandbox"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # A loaded machine (CI, parallel workers) can take a while to start localstripe too.
        deadline = time.monotonic() + 90
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/pay/alipay/nope")
                break
            except httpx.ConnectError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    # Stopped first: reading the pipe of a running process would wait forever.
                    proc.kill()
                    raise AssertionError(proc.communicate()[0].decode()) from None
                time.sleep(0.1)
        assert resp.status_code == 404
        keys = json.loads((tmp_path / "sandbox" / "keys.json").read_text())
        assert "BEGIN PRIVATE KEY" in keys["alipay_platform"]["private_pem"] and len(keys["wechat_apiv3_key"]) == 32
        stripe_api = httpx.get(f"http://127.0.0.1:{port + 1}/v1/payment_intents", headers={"Authorization": "Bearer sk_test_x"})
        assert stripe_api.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
