#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11 and git.

    python3 dev.py demo   # install into .venv, start the platform with the demo franchises
    python3 dev.py test   # install into .venv (with test extras), run the whole test suite

Everything else is `hearth ...` inside .venv.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"


def ensure_venv(extras: str) -> None:
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing Hearth and its dependencies into .venv ...", flush=True)
    target = f".[{extras}]" if extras else "."
    subprocess.check_call([str(BIN / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], cwd=ROOT)
    subprocess.check_call([str(BIN / "python"), "-m", "pip", "install", "-q", "-e", target], cwd=ROOT)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "demo"
    rest = argv[2:]
    if command == "demo":
        ensure_venv("")
        os.execv(str(BIN / "hearth"), [str(BIN / "hearth"), "demo", *rest])
    if command == "test":
        ensure_venv("dev")
        args = [str(BIN / "python"), "-m", "pytest", "-n", "2", "-q", *rest]
        os.execv(args[0], args)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
