"""zh-CN first, English second: Babel catalogues, the locale of the current request in a ContextVar."""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "简体中文", "en": "English"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

_locale: ContextVar[str] = ContextVar("hearth_locale", default="zh_CN")


def set_locale(locale: str) -> None:
    _locale.set(locale if locale in LOCALES else "zh_CN")


def get_locale() -> str:
    return _locale.get()


@lru_cache(maxsize=None)
def _translations(locale: str, extra_dirs: tuple[Path, ...] = ()) -> Translations:
    """Read the .po catalogues (core first, then plugins') and compile them in memory."""
    merged = Translations()
    for folder in (TRANSLATIONS_DIR, *extra_dirs):
        po = folder / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        merged.merge(Translations(fp=buf))
    return merged


_extra_dirs: list[Path] = []


def add_translation_dir(path: Path) -> None:
    """Plugins ship `translations/{locale}/LC_MESSAGES/messages.po` beside their templates."""
    if path not in _extra_dirs:
        _extra_dirs.append(path)
        _translations.cache_clear()


def translations(locale: str | None = None) -> Translations:
    return _translations(locale or get_locale(), tuple(_extra_dirs))


def gettext(message: str, **params: object) -> str:
    text = translations().ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations().ungettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def lazy_gettext(message: str) -> str:
    """Mark a string for extraction where it is declared; translate where it is shown."""
    return message


_ = gettext
