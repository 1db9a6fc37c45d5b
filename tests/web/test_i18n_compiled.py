"""A .po catalogue is parsed by the first process after it changes; the others read its compiled
copy beside it (docs/scaling.md, memory per process)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.support import Translations

from platform_core.web import i18n

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Hello"
msgstr "{}"
"""


def _parsing_fails(*args, **kwargs):
    raise AssertionError("parsed again")


def test_a_catalogue_is_parsed_once_then_read_compiled_until_it_changes(tmp_path, monkeypatch):
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO.format("你好"), encoding="utf-8")
    first = i18n._compiled(po, "zh_CN")
    assert Translations(fp=io.BytesIO(first)).gettext("Hello") == "你好"

    with monkeypatch.context() as patched:
        patched.setattr(i18n, "read_po", _parsing_fails)
        assert i18n._compiled(po, "zh_CN") == first
        po.write_text(PO.format("您好"), encoding="utf-8")
        with pytest.raises(AssertionError, match="parsed again"):
            i18n._compiled(po, "zh_CN")

    changed = i18n._compiled(po, "zh_CN")
    assert Translations(fp=io.BytesIO(changed)).gettext("Hello") == "您好"
    assert len(list(po.parent.glob("*.mo"))) == 1  # the stale copy is gone


def _read_only(*args, **kwargs):
    raise PermissionError("read-only file system")


def test_a_catalogue_in_a_read_only_folder_is_parsed_each_time(tmp_path, monkeypatch):
    po = tmp_path / "messages.po"
    po.write_text(PO.format("你好"), encoding="utf-8")
    monkeypatch.setattr(Path, "write_bytes", _read_only)
    compiled = i18n._compiled(po, "zh_CN")
    assert Translations(fp=io.BytesIO(compiled)).gettext("Hello") == "你好"
    assert list(tmp_path.glob("*.mo")) == []
