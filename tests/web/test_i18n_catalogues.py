"""Every user-visible string is translated: zh-CN first, English second.

The msgids are extracted from the tree with the mapping in babel.cfg (the same as `pybabel
extract -F babel.cfg`), so a new `_()` in a template or a new error message fails here until its
Chinese translation is in platform_core/web/translations/zh_CN (or, for a plugin, in the plugin's
own translations/zh_CN). New entries are appended at the end of a catalogue, so branches that add
strings merge by union; no entry appears twice.

An English word with two meanings ("New": a worker without reviews, an unread message) is one
msgid per meaning, told apart by a context (`pgettext("unread", "New")`, the .po's msgctxt). Once a
msgid has a context somewhere, every use must say which meaning it is: a bare `_("New")` fails.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, unescape

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "platform_core" / "web" / "translations"
LOCALES = ("zh_CN", "en")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def catalogue_path(folder: Path, locale: str) -> Path:
    return folder / locale / "LC_MESSAGES" / "messages.po"


Key = tuple[str | None, str]  # (context, msgid)


def extracted() -> dict[Key, list[str]]:
    """(context, msgid) -> where it is used ("path:line"), for the core and the in-tree plugins."""
    with (REPO / "babel.cfg").open() as fp:
        method_map, options_map = parse_mapping_cfg(fp, "babel.cfg")
    found: dict[Key, list[str]] = defaultdict(list)
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found[(context or None, msgid)].append(f"{filename}:{lineno}")
                break  # the plural form is looked up by its singular
    return found


def translated(path: Path, locale: str) -> dict[Key, bool]:
    """(context, msgid) -> has a translation."""
    if not path.exists():
        return {}
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    result = {}
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        result[(message.context or None, msgid)] = all(strings) and not message.fuzzy
    return result


def msgids_in_file_order(path: Path) -> list[Key]:
    """The (context, msgid) pairs as written (read_po silently keeps the last of duplicates)."""
    ids: list[Key] = []
    context: str | None = None
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgctxt "):
            context = unescape(line[len("msgctxt "):])
        elif line.startswith("msgid "):
            current = [line[len("msgid "):]]
        elif current is not None and line.startswith('"'):
            current.append(line)
        elif current is not None:
            msgid = "".join(unescape(part) for part in current)
            if msgid:
                ids.append((context, msgid))
            context, current = None, None
    return ids


def test_every_msgid_in_the_tree_has_a_chinese_translation():
    core = translated(catalogue_path(CORE, "zh_CN"), "zh_CN")
    plugin_catalogues: dict[str, dict[str, bool]] = {}
    missing = []
    for (context, msgid), places in sorted(extracted().items(), key=lambda kv: (kv[0][1], kv[0][0] or "")):
        key = (context, msgid)
        if core.get(key):
            continue
        # A plugin may carry its strings in its own catalogue (plugins/<name>/translations).
        plugin = places[0].split("/")[1] if places[0].startswith("plugins/") else None
        if plugin:
            if plugin not in plugin_catalogues:
                path = catalogue_path(REPO / "plugins" / plugin / "translations", "zh_CN")
                plugin_catalogues[plugin] = translated(path, "zh_CN")
            if plugin_catalogues[plugin].get(key):
                continue
        label = f"{context}|{msgid!r}" if context else repr(msgid)
        missing.append(f"  {label}  ({', '.join(list(dict.fromkeys(places))[:3])})")
    assert not missing, (
        f"{len(missing)} msgid(s) have no zh_CN translation; append them to "
        "platform_core/web/translations/zh_CN/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogues_have_no_duplicates(locale):
    ids = msgids_in_file_order(catalogue_path(CORE, locale))
    seen: set[Key] = set()
    duplicates = sorted({m for m in ids if m in seen or seen.add(m)}, key=lambda k: (k[1], k[0] or ""))  # type: ignore[func-returns-value]
    assert not duplicates, f"duplicate msgids in {locale}: {duplicates}"


def test_a_msgid_with_two_meanings_always_says_which():
    """A msgid given a context anywhere is one of several meanings of its English word; used bare
    elsewhere, it would share one translation between them (新人 on an unread badge)."""
    uses = extracted()
    with_context = {msgid for context, msgid in uses if context}
    bare = [f"  {msgid!r} at {', '.join(uses[(None, msgid)][:3])}" for msgid in sorted(with_context) if (None, msgid) in uses]
    assert not bare, "msgids with more than one meaning used without a context (pgettext):\n" + "\n".join(bare)


def test_the_check_of_meanings_sees_contexts_in_templates():
    uses = extracted()
    assert ("unread", "New") in uses and ("worker without reviews", "New") in uses
    assert ("working hours", "Hours") in uses


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders_of_their_msgid(locale):
    with catalogue_path(CORE, locale).open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    broken = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        for text in filter(None, strings):
            if set(PLACEHOLDER.findall(text)) - set().union(*(PLACEHOLDER.findall(i) for i in ids)) or (
                len(strings) == 1 and set(PLACEHOLDER.findall(text)) != expected
            ):
                broken.append(f"{ids[0]!r} -> {text!r}")
    assert not broken, f"{locale}: placeholders differ:\n" + "\n".join(broken)


def test_the_extractor_sees_error_messages_and_menu_labels(tmp_path):
    """Messages that are not `_()` calls still need translating: HearthError messages and field
    messages, the error classes' default messages, console menu labels."""
    from platform_core.web.i18n import extract_python

    source = b'''
raise Forbidden("Not yours.")
raise ValidationFailed({"phone": "Enter a valid phone number."})
raise Conflict("Taken.", fields={"slug": "Already taken."})
raise NotFound("tenant")
MenuEntry(label="Dispatch board", href="/console/dispatch")
x = lazy_gettext("Lazy one")
'''
    import io

    found = {m for _line, _func, m, _c in extract_python(io.BytesIO(source), DEFAULT_KEYWORDS.keys(), [], {})}
    assert {"Not yours.", "Enter a valid phone number.", "Taken.", "Already taken.", "Dispatch board", "Lazy one"} <= found
    assert "tenant" not in found  # NotFound's argument names the thing, it is not a message


def test_chinese_has_one_plural_form_and_english_two():
    from platform_core.web.i18n import translations

    assert {translations("zh_CN").plural(n) for n in (0, 1, 2, 5)} == {0}
    assert [translations("en").plural(n) for n in (1, 2)] == [0, 1]
