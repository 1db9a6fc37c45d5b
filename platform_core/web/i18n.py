"""zh-CN first, English second: Babel catalogues, the locale of the current request in a ContextVar."""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale
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
    merged: Translations | None = None
    for folder in (TRANSLATIONS_DIR, *extra_dirs):
        po = folder / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        # The first catalogue brings the locale's plural rule; merge() keeps it.
        if merged is None:
            merged = Translations(fp=buf)
        else:
            merged.merge(Translations(fp=buf))
    return merged or Translations()


_extra_dirs: tuple[Path, ...] = ()


def add_translation_dir(path: Path) -> None:
    """Plugins ship `translations/{locale}/LC_MESSAGES/messages.po` beside their templates."""
    global _extra_dirs
    if path not in _extra_dirs:
        _extra_dirs = (*_extra_dirs, path)
        _translations.cache_clear()
        _by_locale.clear()


# The merged catalogue of each locale, for the folders added so far: a page looks up dozens of
# strings, and the lru_cache key above hashes every folder's Path on each lookup.
_by_locale: dict[str, Translations] = {}


def translations(locale: str | None = None) -> Translations:
    locale = locale or get_locale()
    found = _by_locale.get(locale)
    if found is None:
        found = _by_locale[locale] = _translations(locale, _extra_dirs)
    return found


@lru_cache(maxsize=None)
def babel_locale(locale: str) -> Locale:
    """Babel's Locale, parsed once per process: Babel's formatting functions parse a locale
    string on every call, most of their cost."""
    return Locale.parse(locale)


def gettext(message: str, **params: object) -> str:
    text = translations().ugettext(message)
    return text % params if params else text


def plural_form(singular: str, plural: str, n: int) -> str:
    """The translated form for `n`, not yet formatted: templates' `ngettext`, which Jinja formats
    itself with `num` and the call's other variables."""
    return translations().ungettext(singular, plural, n)


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    params.setdefault("num", n)
    return plural_form(singular, plural, n) % params


def pgettext(context: str, message: str, **params: object) -> str:
    """A msgid whose English word has more than one meaning ("New": a new worker, an unread
    message), told apart by `context` (the .po's msgctxt). tests/web/test_i18n_catalogues.py
    refuses a msgid used both with and without a context."""
    text = translations().upgettext(context, message)
    return text % params if params else text


def lazy_gettext(message: str) -> str:
    """Mark a string for extraction where it is declared; translate where it is shown."""
    return message


_ = gettext


# --- Message extraction (babel.cfg names this as the Python extractor) -------------------------

# Keyword calls Babel's own Python extractor should also read.
EXTRA_KEYWORDS = ("lazy_gettext",)
# Struct fields that hold English msgids translated where they are shown.
MSGID_FIELDS = {"MenuEntry": ("label",), "MemberPanel": ("title",), "EarningsPanel": ("title", "note"), "OrderStateSpec": ("label",), "SegmentFilterSpec": ("label", "param_labels")}


def _error_signatures() -> dict[str, tuple[int | None, int | None]]:
    """HearthError subclass name -> (positional index of `message`, of `fields`), from the classes."""
    import inspect

    from platform_core.errors import HearthError

    found: dict[str, tuple[int | None, int | None]] = {}
    pending = [HearthError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        found[cls.__name__] = (
            positional.index("message") if "message" in positional else None,
            positional.index("fields") if "fields" in positional else None,
        )
    return found


def _strings(node) -> list[str]:
    """A string literal, or the string values of a dict literal (field -> message)."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Dict):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel's Python extractor, plus the msgids it can not see because they are not `_()` calls:
    messages and field messages given to HearthErrors (`Forbidden("...")`,
    `ValidationFailed({"phone": "..."})`, `Conflict("...", fields={...})`), the default `message`
    of functions (the error classes' own), `super().__init__("...")` in error classes, and the
    labels of console menu entries, member panels and plugins' order states."""
    import ast

    from babel.messages.extract import extract_python as babel_extract_python

    source = fileobj.read()
    # Babel matches results against its keyword specs by function name; None means "the first
    # argument", which is what the extra keywords and the messages found below are.
    for lineno, funcname, messages, comments in babel_extract_python(
        io.BytesIO(source), {*keywords, *EXTRA_KEYWORDS}, comment_tags, options
    ):
        yield lineno, None if funcname in EXTRA_KEYWORDS else funcname, messages, comments
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    errors = _error_signatures()
    # Only error classes pass a message to super().__init__ as their first argument.
    in_error_class = {
        id(inner) for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef) and any(getattr(b, "id", "") in errors for b in cls.bases)
        for inner in ast.walk(cls)
    }
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            for arg, default in pairs:
                if arg.arg == "message":
                    for text in _strings(default):
                        yield default.lineno, None, text, []
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        texts: list[str] = []
        if name in errors:
            message_at, fields_at = errors[name]
            for index in (message_at, fields_at):
                if index is not None and index < len(node.args):
                    texts += _strings(node.args[index])
            texts += [t for kw in node.keywords if kw.arg in ("message", "fields") for t in _strings(kw.value)]
        elif name == "__init__" and id(node) in in_error_class and node.args \
                and isinstance(func.value, ast.Call) and getattr(func.value.func, "id", "") == "super":
            texts += _strings(node.args[0])
        elif name in MSGID_FIELDS:
            texts += [t for kw in node.keywords if kw.arg in MSGID_FIELDS[name] for t in _strings(kw.value)]
        for text in texts:
            yield node.lineno, None, text, []
