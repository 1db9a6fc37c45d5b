"""`hearth plugins config <tenant> <plugin> key=@file`: keys and certificates come from files, as
docs/payments.md shows, and a wrong path is refused with a message saying what is wrong."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from platform_core.pluginsys.services import get_plugin_config
from platform_core.testing.pytest_plugin import run_hearth


def _pem_body(text: str) -> str:
    return "".join(line for line in text.splitlines() if not line.startswith("-----"))


async def test_a_key_is_read_from_the_file_named_after_the_at_sign(runtime, hearth_settings, tenant_a, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    (tmp_path / "app_private.pem").write_text(pem)

    done = run_hearth(
        hearth_settings, "plugins", "config", tenant_a.slug, "payments_alipay", "appid=2021000000000001",
        "app_private_key=@" + str(tmp_path / "app_private.pem"),
    )
    assert done.returncode == 0, done.stderr
    assert "payments_alipay config saved" in done.stdout
    # The key itself is stored (encrypted), not the file's name; the command never prints it.
    config = await get_plugin_config(tenant_a.id, "payments_alipay")
    assert _pem_body(config.app_private_key) == _pem_body(pem)
    assert _pem_body(pem)[:40] not in done.stdout


async def test_a_file_that_can_not_be_used_is_refused_naming_the_setting(runtime, hearth_settings, tenant_a, tmp_path):
    (tmp_path / "huge.log").write_bytes(b"x" * (65 * 1024))
    (tmp_path / "key.der").write_bytes(b"\x30\x82\x04\xa4\xff\xfe")

    def config(value: str):
        return run_hearth(hearth_settings, "plugins", "config", tenant_a.slug, "payments_alipay", f"app_private_key={value}")

    missing = config("@" + str(tmp_path / "nope.pem"))
    assert missing.returncode == 2 and "app_private_key: there is no file" in missing.stderr
    too_large = config("@" + str(tmp_path / "huge.log"))
    assert too_large.returncode == 2 and "larger than 64 KiB" in too_large.stderr
    binary = config("@" + str(tmp_path / "key.der"))
    assert binary.returncode == 2 and "is not a text file" in binary.stderr
    folder = config("@" + str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    # Nothing was written by any of them.
    assert (await get_plugin_config(tenant_a.id, "payments_alipay")).app_private_key == ""
