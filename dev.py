#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11 and git.

    python3 dev.py demo   # install into .venv, start the platform with the demo franchises
    python3 dev.py test   # install into .venv (with test extras), run the whole test suite
    python3 dev.py bench  # install into .venv (with test extras), run every benchmark briefly (hearth bench)

Everything else is `hearth ...` inside .venv.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
# pip's whole output goes here; the terminal gets the progress and, on failure, the end of it.
LOG = VENV / "install.log"

# "Collecting name" from an index, "Processing /path/name-1.0-....whl" from a local wheel folder.
COLLECTING = re.compile(r"^Collecting ([A-Za-z0-9_.\-]+)|^Processing (?:\S*/)?([A-Za-z0-9_.]+)-\d")
INSTALLING = re.compile(r"^Installing collected packages: (.*)")


class Progress:
    """One status line, rewritten in place on a terminal; a line per step elsewhere (CI logs)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.tty = sys.stdout.isatty()
        self.width = 0

    def elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def status(self, text: str) -> None:
        if self.tty:
            line = f"  [{self.elapsed()}] {text}"[:100]
            sys.stdout.write("\r" + line.ljust(self.width))
            self.width = len(line)
            sys.stdout.flush()

    def step(self, text: str) -> None:
        if self.tty and self.width:
            sys.stdout.write("\r" + " " * self.width + "\r")
            self.width = 0
        print(f"  [{self.elapsed()}] {text}", flush=True)


def pip(progress: Progress, *args: str, narrate: bool = True) -> None:
    """Run pip with its output in the log, showing which package it is at (when `narrate`)."""
    collected = 0
    with LOG.open("a", encoding="utf-8") as log:
        log.write(f"\n$ pip {' '.join(args)}\n")
        proc = subprocess.Popen(
            [str(BIN / "python"), "-m", "pip", *args, "--progress-bar", "off"], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                log.write(line)
                if not narrate:
                    continue
                if match := COLLECTING.match(line):
                    collected += 1
                    progress.status(f"downloading: {collected} packages so far ({match.group(1) or match.group(2)})")
                    if not progress.tty and collected % 20 == 0:
                        progress.step(f"downloaded {collected} packages so far ...")
                elif match := INSTALLING.match(line):
                    count = len(match.group(1).split(", "))
                    progress.step(f"downloaded {collected} packages")
                    progress.step(f"installing {count} packages (the longest step, a minute or two) ...")
                    progress.status(f"installing {count} packages ...")
        except KeyboardInterrupt:
            proc.kill()
            progress.step("interrupted; run the same command again to carry on")
            raise SystemExit(130) from None
        if proc.wait() != 0:
            progress.step("pip failed; the end of its output (all of it is in .venv/install.log):")
            print("".join(LOG.read_text(encoding="utf-8").splitlines(keepends=True)[-25:]), file=sys.stderr)
            raise SystemExit(proc.returncode)


def ensure_venv(extras: str) -> None:
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if (BIN / "python").exists() and stamp.exists() and stamp.read_text() == digest:
        return
    what = "Hearth and its test tools" if extras else "Hearth"
    print(f"Installing {what} into .venv: once, about 3 minutes (later starts skip this).", flush=True)
    progress = Progress()
    if not (BIN / "python").exists():
        progress.step("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    LOG.write_text("", encoding="utf-8")
    progress.step("updating pip")
    pip(progress, "install", "--upgrade", "pip", narrate=False)
    progress.step("downloading the packages Hearth needs (about 100) ...")
    pip(progress, "install", "-e", f".[{extras}]" if extras else ".")
    stamp.write_text(digest)
    progress.step("installed")
    print(flush=True)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print(f"Hearth needs Python 3.11 or newer; this is {sys.version.split()[0]}.", file=sys.stderr)
        return 2
    command = argv[1] if len(argv) > 1 else "demo"
    rest = argv[2:]
    if command == "demo":
        ensure_venv("")
        print("starting the demo (loading takes a few seconds) ...", flush=True)
        os.execv(str(BIN / "hearth"), [str(BIN / "hearth"), "demo", *rest])
    if command == "test":
        ensure_venv("dev")
        args = [str(BIN / "python"), "-m", "pytest", "-n", "2", "-q", *rest]
        os.execv(args[0], args)
    if command == "bench":
        ensure_venv("dev")  # the load test's locust is a dev extra
        os.execv(str(BIN / "hearth"), [str(BIN / "hearth"), "bench", *rest])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
