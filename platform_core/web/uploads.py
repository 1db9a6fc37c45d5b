"""Photos a customer attaches to a booking, and the pictures and videos of a franchise's pages:
checked by their bytes (not by the name or the type the browser claims), stored under
HEARTH_DATA_DIR/media/<tenant id>/ with a random name, and served back only on that tenant's host."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from platform_core.errors import ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext as N_

MAX_BYTES = 5 * 1024 * 1024
# Leading bytes -> extension and the type served back.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
)
# A video is kept under the request body limit (Litestar's 10 MB): a short clip, not a film.
MAX_VIDEO_BYTES = 9 * 1024 * 1024
VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
CONTENT_TYPES = {ext: content_type for _, ext, content_type in SIGNATURES} | {"webp": "image/webp"} | VIDEO_TYPES
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp|mp4|webm)$")
IMAGE_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
URL_PREFIX = "/media/"


def media_dir(tenant: TenantContext) -> Path:
    return Path(current_runtime().settings.data_dir) / "media" / str(tenant.id)


def _extension(data: bytes) -> str | None:
    for magic, ext, _ in SIGNATURES:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _video_extension(data: bytes) -> str | None:
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def save_image(tenant: TenantContext, data: bytes) -> str:
    """Keep an uploaded image; returns its site-relative URL."""
    if not data:
        raise ValidationFailed({"file": N_("Choose a photo to upload.")})
    if len(data) > MAX_BYTES:
        raise ValidationFailed({"file": N_("The photo is too large (at most 5 MB).")})
    ext = _extension(data)
    if ext is None:
        raise ValidationFailed({"file": N_("Upload a JPEG, PNG or WebP photo.")})
    return _keep(tenant, data, ext)


def save_video(tenant: TenantContext, data: bytes) -> str:
    """Keep an uploaded video (MP4 or WebM); returns its site-relative URL."""
    if not data:
        raise ValidationFailed({"file": N_("Choose a video to upload.")})
    if len(data) > MAX_VIDEO_BYTES:
        raise ValidationFailed({"file": N_("The video is too large (at most 9 MB).")})
    ext = _video_extension(data)
    if ext is None:
        raise ValidationFailed({"file": N_("Upload an MP4 or WebM video.")})
    return _keep(tenant, data, ext)


def _keep(tenant: TenantContext, data: bytes, ext: str) -> str:
    folder = media_dir(tenant)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    (folder / name).write_bytes(data)
    return URL_PREFIX + name


def media_file(tenant: TenantContext, name: str) -> Path | None:
    """The tenant's stored image of that name; None for a bad name or another tenant's file."""
    if not NAME.match(name):
        return None
    path = media_dir(tenant) / name
    return path if path.is_file() else None


def photo_exists(tenant: TenantContext, url: str) -> bool:
    """An image of the tenant's at `url` (a video is no photo)."""
    name = url[len(URL_PREFIX):]
    return url.startswith(URL_PREFIX) and IMAGE_NAME.match(name) is not None and media_file(tenant, name) is not None
