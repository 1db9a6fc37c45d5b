"""Front-end libraries and bundled data come from package registries as pinned,
integrity-checked archives.

They are fetched once into the data folder (`hearth assets fetch`, also run by the dev start),
never copied into the repository. Most are npm tarballs; the districts' centre points come from
a PyPI wheel (cpca ships AMap's adcode table with coordinates; nothing on npm does).
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import msgspec

from platform_core.settings import Settings

log = logging.getLogger("hearth.assets")

REGISTRY = "https://registry.npmjs.org"


class VendorPackage(msgspec.Struct, frozen=True):
    name: str
    version: str
    integrity: str  # the registry's sha512 of the tarball
    files: dict[str, str]  # path in the archive -> path under the vendor folder
    url: str = ""  # an archive outside the npm registry (a wheel); empty: the npm tarball


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
    VendorPackage(
        "leaflet", "1.9.4",
        "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        {
            "package/dist/leaflet.js": "leaflet/leaflet.js",
            "package/dist/leaflet.css": "leaflet/leaflet.css",
            "package/dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
            "package/dist/images/marker-icon-2x.png": "leaflet/images/marker-icon-2x.png",
            "package/dist/images/marker-shadow.png": "leaflet/images/marker-shadow.png",
        },
    ),
    # 省/市/区 with their codes, for the address picker (served to the browser, read by geo).
    VendorPackage(
        "china-division", "2.7.0",
        "sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA==",
        {"package/dist/pca-code.json": "china-division/pca-code.json"},
    ),
    # Each district's centre (adcode, name, longitude, latitude): where an address lands when no
    # map provider can place it more precisely.
    VendorPackage(
        "cpca", "0.5.5",
        "sha512-C7hksbEeI/LK3ZVt86H0SAIc8eQ6bC5+bK4LZwz7cx29Jon8JDCSxxhnytaMNvzkyyw1QZz4ZYi7uwE0hbdgpQ==",
        {"cpca/resources/adcodes.csv": "cpca/adcodes.csv"},
        url="https://files.pythonhosted.org/packages/82/17/16287e8fd6d844146d3961201d1f3ed143f03acc4d6ff1b2ced921a2010d/"
            "cpca-0.5.5-py3-none-any.whl",
    ),
)


def vendor_dir(settings: Settings) -> Path:
    path = Path(settings.data_dir).resolve() / "vendor"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _tarball_url(pkg: VendorPackage) -> str:
    if pkg.url:
        return pkg.url
    short = pkg.name.split("/")[-1]
    return f"{REGISTRY}/{pkg.name}/-/{short}-{pkg.version}.tgz"


def fetch(pkg: VendorPackage, target: Path) -> None:
    with urllib.request.urlopen(_tarball_url(pkg), timeout=60) as response:  # noqa: S310 - fixed https URL
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != pkg.integrity:
        raise RuntimeError(f"{pkg.name}@{pkg.version}: integrity mismatch")
    for dest, content in _members(pkg, data):
        out = target / dest
        out.parent.mkdir(parents=True, exist_ok=True)
        # Written whole, then renamed: another process may be serving or reading the old file.
        partial = out.with_name(out.name + ".part")
        partial.write_bytes(content)
        partial.replace(out)
    (target / f".{pkg.name.replace('/', '_')}-{pkg.version}").touch()


def _members(pkg: VendorPackage, data: bytes) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    if pkg.url.endswith(".whl"):
        with zipfile.ZipFile(io.BytesIO(data)) as wheel:
            names = set(wheel.namelist())
            for member, dest in pkg.files.items():
                if member not in names:
                    raise RuntimeError(f"{pkg.name}: {member} missing from the wheel")
                found.append((dest, wheel.read(member)))
        return found
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, dest in pkg.files.items():
            extracted = tar.extractfile(member)
            if extracted is None:
                raise RuntimeError(f"{pkg.name}: {member} missing from the tarball")
            found.append((dest, extracted.read()))
    return found


def ensure_vendor_assets(settings: Settings) -> None:
    target = vendor_dir(settings)
    for pkg in PACKAGES:
        if (target / f".{pkg.name.replace('/', '_')}-{pkg.version}").exists():
            continue
        try:
            fetch(pkg, target)
        except OSError as exc:
            # Pages still work without htmx (forms post normally), maps fall back to the plain
            # grid and addresses to typed districts; say so once.
            log.warning("could not fetch %s@%s from the npm registry: %s", pkg.name, pkg.version, exc)
