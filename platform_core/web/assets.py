"""Front-end libraries come from the npm registry as pinned, integrity-checked tarballs.

They are fetched once into the data folder (`hearth assets fetch`, also run by the dev start),
never copied into the repository.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import tarfile
import urllib.request
from pathlib import Path

import msgspec

from platform_core.settings import Settings

log = logging.getLogger("hearth.assets")

REGISTRY = "https://registry.npmjs.org"


class VendorPackage(msgspec.Struct, frozen=True):
    name: str
    version: str
    integrity: str  # the registry's sha512 of the tarball
    files: dict[str, str]  # path in the tarball -> path under the vendor folder


PACKAGES = (
    VendorPackage(
        "htmx.org", "2.0.8",
        "sha512-fm297iru0iWsNJlBrjvtN7V9zjaxd+69Oqjh4F/Vq9Wwi2kFisLcrLCiv5oBX0KLfOX/zG8AUo9ROMU5XUB44Q==",
        {"package/dist/htmx.min.js": "htmx/htmx.min.js", "package/dist/ext/ws.js": "htmx/ws.js"},
    ),
    VendorPackage(
        "swagger-ui-dist", "5.18.2",
        "sha512-J+y4mCw/zXh1FOj5wGJvnAajq6XgHOyywsa9yITmwxIlJbMqITq3gYRZHaeqLVH/eV/HOPphE6NjF+nbSNC5Zw==",
        {
            "package/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
            "package/swagger-ui-standalone-preset.js": "swagger-ui/swagger-ui-standalone-preset.js",
            "package/swagger-ui.css": "swagger-ui/swagger-ui.css",
        },
    ),
)


def vendor_dir(settings: Settings) -> Path:
    path = Path(settings.data_dir).resolve() / "vendor"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _tarball_url(pkg: VendorPackage) -> str:
    short = pkg.name.split("/")[-1]
    return f"{REGISTRY}/{pkg.name}/-/{short}-{pkg.version}.tgz"


def fetch(pkg: VendorPackage, target: Path) -> None:
    with urllib.request.urlopen(_tarball_url(pkg), timeout=60) as response:  # noqa: S310 - fixed https URL
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != pkg.integrity:
        raise RuntimeError(f"{pkg.name}@{pkg.version}: integrity mismatch")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, dest in pkg.files.items():
            out = target / dest
            out.parent.mkdir(parents=True, exist_ok=True)
            extracted = tar.extractfile(member)
            if extracted is None:
                raise RuntimeError(f"{pkg.name}: {member} missing from the tarball")
            out.write_bytes(extracted.read())
    (target / f".{pkg.name.replace('/', '_')}-{pkg.version}").touch()


def ensure_vendor_assets(settings: Settings) -> None:
    target = vendor_dir(settings)
    for pkg in PACKAGES:
        if (target / f".{pkg.name.replace('/', '_')}-{pkg.version}").exists():
            continue
        try:
            fetch(pkg, target)
        except OSError as exc:
            # Pages still work without htmx (forms post normally); say so once.
            log.warning("could not fetch %s@%s from the npm registry: %s", pkg.name, pkg.version, exc)
