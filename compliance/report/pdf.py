"""The PDF is the HTML page printed by headless Chromium (Debian's `chromium`, installed by `make setup`):
A4 from the page's own @page rule, Chromium's footer giving page numbers."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class BrowserMissing(RuntimeError):
    pass


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserMissing("no headless Chromium found (chromium); run `make setup`, which installs Debian's "
                         "chromium and poppler-utils where they are missing")


def headless(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a throwaway profile, no network use and no sandbox (containers)."""
    with tempfile.TemporaryDirectory(prefix="egov-chromium-") as profile:
        command = [find_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--no-first-run", "--disable-extensions", "--disable-background-networking",
                   f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def print_pdf(html_file: Path, pdf_file: Path) -> Path:
    proc = headless(f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri())
    if proc.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        raise RuntimeError(f"chromium could not print {html_file} to PDF (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-500:]}")
    return pdf_file
