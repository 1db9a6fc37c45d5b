"""Plugin config Structs: their fields as form inputs, validation of written values, secrets.

A plugin declares one frozen msgspec Struct (every field with a default). Values are stored as
JSON layers (a tenant's overrides, the platform default) and decoded into the Struct on read, so
a layer only holds the fields someone set and the rest falls through to the next one.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import msgspec
from msgspec import inspect as mi

from platform_core.crypto import DecryptionError, Keyring, mask
from platform_core.errors import ValidationFailed

from .schemas import ConfigField

log = logging.getLogger("hearth.plugins")

SECRET_SUFFIXES = ("_secret", "_key")

# English msgids for a value of the wrong type, by the kind of the field; constraint errors
# (too long, below the minimum) keep msgspec's own wording, which names the limit.
_TYPE_MESSAGES = {
    "number": "Enter a whole number.",
    "decimal": "Enter a number.",
    "checkbox": "Enter true or false.",
    "select": "Choose one of the listed options.",
    "date": "Enter a date as YYYY-MM-DD.",
    "text": "Enter text.",
    "password": "Enter text.",
    "json": "Enter a valid value.",
}
UNKNOWN_SETTING = "Unknown setting."


@cache
def _type_info(config_type: type) -> mi.StructType:
    """msgspec's description of a config Struct, built once per type: building it walks every
    field's annotations, and a config is decoded on every cache miss and listed on every form."""
    return mi.type_info(config_type)  # type: ignore[return-value]


def is_secret(name: str) -> bool:
    return name.endswith(SECRET_SUFFIXES)


def secret_context(plugin: str, field: str) -> str:
    """Associated data of a secret's ciphertext: it only decrypts as this plugin's field."""
    return f"plugin:{plugin}:{field}"


def _unwrap(t: mi.Type) -> tuple[mi.Type, dict[str, Any], bool]:
    """The field's core type, its title/description, and whether None is allowed."""
    extra: dict[str, Any] = {}
    if isinstance(t, mi.Metadata):
        extra = t.extra_json_schema or {}
        t = t.type
    optional = False
    if isinstance(t, mi.UnionType):
        rest = [u for u in t.types if not isinstance(u, mi.NoneType)]
        optional = len(rest) < len(t.types)
        if len(rest) == 1:
            t = rest[0]
            if isinstance(t, mi.Metadata):
                extra = extra or t.extra_json_schema or {}
                t = t.type
    return t, extra, optional


def _kind(name: str, t: mi.Type) -> tuple[str, list[str]]:
    if is_secret(name):
        return "password", []
    if isinstance(t, mi.BoolType):
        return "checkbox", []
    if isinstance(t, mi.IntType):
        return "number", []
    if isinstance(t, mi.FloatType):
        return "decimal", []
    if isinstance(t, mi.LiteralType):
        return "select", [str(v) for v in t.values]
    if isinstance(t, mi.EnumType):
        return "select", [str(m.value) for m in t.cls]
    if isinstance(t, mi.DateType):
        return "date", []
    if isinstance(t, mi.StrType):
        return "text", []
    return "json", []


def _builtin(value: Any) -> Any:
    return msgspec.to_builtins(value) if value is not None else None


def config_fields(config_type: type[msgspec.Struct] | None) -> list[ConfigField]:
    """The Struct's fields as form inputs (label from Meta(title=...) or the field name)."""
    if config_type is None:
        return []
    fields = []
    for f in _type_info(config_type).fields:  # type: ignore[attr-defined]
        core, extra, optional = _unwrap(f.type)
        kind, choices = _kind(f.name, core)
        default = f.default_factory() if f.default_factory is not mi.NODEFAULT else f.default
        fields.append(
            ConfigField(
                name=f.name,
                kind=kind,
                label=extra.get("title") or f.name.replace("_", " ").capitalize(),
                help=extra.get("description", ""),
                choices=choices,
                optional=optional,
                secret=is_secret(f.name),
                default=None if default is mi.NODEFAULT or is_secret(f.name) else _builtin(default),
            )
        )
    return fields


def struct_problems(config_type: type) -> list[str]:
    """Why a declared config type breaks the contract (empty when it is fine)."""
    if not (isinstance(config_type, type) and issubclass(config_type, msgspec.Struct)):
        return [f"{config_type!r} is not a msgspec Struct"]
    problems = []
    if not config_type.__struct_config__.frozen:
        problems.append(f"{config_type.__qualname__} is not frozen=True")
    for f in _type_info(config_type).fields:  # type: ignore[attr-defined]
        if f.required:
            problems.append(f"{config_type.__qualname__}.{f.name} has no default")
        if is_secret(f.name) and _kind("", _unwrap(f.type)[0])[0] != "text":
            problems.append(f"{config_type.__qualname__}.{f.name} is a secret but not a str")
    return problems


def _message(field: ConfigField, error: msgspec.ValidationError) -> str:
    text = str(error).split(" - at `", 1)[0]
    # A wrong type gets a translatable sentence saying what to enter; a broken limit keeps
    # msgspec's wording ("Expected `str` of length <= 80"), which names the limit.
    if ", got `" in text or text.startswith("Invalid"):
        return _TYPE_MESSAGES[field.kind]
    # A Struct's __post_init__ that checks one field names it, as for check_whole: "appid: ..."
    name, sep, rest = text.partition(": ")
    return rest if sep and name == field.name else text


def validate_values(config_type: type[msgspec.Struct] | None, values: dict[str, Any]) -> dict[str, Any]:
    """Check written values (strings from a form or the CLI, or typed values from TOML) and
    return them as JSON-ready builtins. Every bad field is reported, not just the first."""
    fields = {f.name: f for f in config_fields(config_type)}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        field = fields.get(name)
        if field is None or config_type is None:
            errors[name] = UNKNOWN_SETTING
            continue
        if value == "" and field.optional and field.kind != "text":
            value = None
        try:
            converted = msgspec.convert({name: value}, config_type, strict=False)
        except msgspec.ValidationError as exc:
            errors[name] = _message(field, exc)
            continue
        clean[name] = _builtin(getattr(converted, name))
    if errors:
        raise ValidationFailed(errors)
    return clean


def check_whole(config_type: type[msgspec.Struct] | None, merged: dict[str, Any]) -> None:
    """Rules across fields (a Struct's __post_init__) see the merged result of every layer."""
    if config_type is None:
        return
    try:
        msgspec.convert(merged, config_type, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc).split(" - at `", 1)[0]
        # __post_init__ may name the field it blames: ValueError("ends_on: Ends before it starts.")
        name, sep, rest = text.partition(": ")
        if sep and name in config_type.__struct_fields__:
            raise ValidationFailed({name: rest}) from None
        raise ValidationFailed({"config": text}) from None


def seal(keyring: Keyring, plugin: str, values: dict[str, Any]) -> dict[str, Any]:
    """Encrypt the secret fields of a layer before it is stored."""
    return {
        k: keyring.encrypt(v, context=secret_context(plugin, k)) if is_secret(k) and v else v
        for k, v in values.items()
    }


def unseal(keyring: Keyring, plugin: str, stored: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in stored.items():
        if is_secret(k) and v:
            try:
                v = keyring.decrypt(v, context=secret_context(plugin, k))
            except (DecryptionError, ValueError):
                # A rotated key or a copied row: fall back to the next layer rather than fail.
                log.warning("plugin %s: secret %s does not decrypt; ignored", plugin, k)
                continue
        out[k] = v
    return out


def decode_layers(config_type: type[msgspec.Struct], layers: list[dict[str, Any]]) -> msgspec.Struct:
    """Most specific layer first (tenant, platform default); the Struct's defaults come last.
    A stored value that no longer fits (the plugin changed its Struct) is skipped, not fatal."""
    names = {f.name for f in _type_info(config_type).fields}  # type: ignore[attr-defined]
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        for k, v in layer.items():
            if k not in names:
                continue
            try:
                msgspec.convert({k: v}, config_type, strict=False)
            except msgspec.ValidationError:
                log.warning("stored config %s=%r no longer fits %s; ignored", k, v, config_type.__qualname__)
                continue
            merged[k] = v
    try:
        return msgspec.convert(merged, config_type, strict=False)
    except msgspec.ValidationError:
        log.warning("stored config of %s breaks a cross-field rule; using defaults", config_type.__qualname__)
        return config_type()


def shown(config: msgspec.Struct | None) -> dict[str, Any]:
    """A config for display: secrets masked, everything else as JSON builtins."""
    if config is None:
        return {}
    out = {}
    for name in config.__struct_fields__:
        value = getattr(config, name)
        out[name] = (mask(value) if value else "") if is_secret(name) else _builtin(value)
    return out


def changed_fields(config: msgspec.Struct) -> dict[str, Any]:
    """The fields of a config Struct that differ from its defaults, as values to store (a layer
    that leaves the rest to the platform default and the Struct)."""
    defaults = {f.name: f.default for f in msgspec.structs.fields(config) if f.default is not msgspec.NODEFAULT}
    return {
        name: _builtin(value)
        for name, value in msgspec.structs.asdict(config).items()
        if name not in defaults or value != defaults[name]
    }
