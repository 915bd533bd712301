"""What the browser tests share: Debian's Chromium under Playwright (never a downloaded browser),
a skip that says why when it is missing, and console errors other than unreachable tiles."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
# GRIDPLAN_CHROMIUM points at another Chromium build (or at nothing, to see the skip)
CHROMIUM = (os.environ.get("GRIDPLAN_CHROMIUM") or shutil.which("chromium")
            or "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-dev-shm-usage"]
TILE_HOSTS = ("tile.openstreetmap.org", "is.autonavi.com", "tianditu.gov.cn")


def require_chromium() -> None:
    """Skip the calling test module, saying why, when there is no Chromium."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: Debian's chromium package is not installed "
                    "(make test installs it with apt-get when it runs as root with apt)",
                    allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except sync_api.Error as e:                # pragma: no cover - depends on the machine
            pytest.skip(f"chromium at {CHROMIUM} would not start under Playwright: {e}")
        yield b
        b.close()


def real_errors(console: list, errors: list) -> list[str]:
    """Console errors other than basemap tiles that could not load (there is no network),
    and uncaught page errors."""
    out = []
    for m in console:
        if m.type != "error":
            continue
        host = urlsplit((m.location or {}).get("url", "")).hostname or ""
        if "Failed to load resource" in m.text and host.endswith(TILE_HOSTS):
            continue
        out.append(f"{m.text} ({m.location})")
    return out + list(errors)
