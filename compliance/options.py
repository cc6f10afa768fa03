"""The vocabulary of `egov scan` options, in a module light enough for the CLI to import at start-up."""

from __future__ import annotations

from pathlib import Path

from infra.repository import REPO_ROOT

FORMATS = ("table", "json", "junit", "sarif", "ocsf", "html", "pdf")
STANDARDS = ("mlps", "pipl", "crypto", "egov")
FAIL_ON = ("high", "medium", "any")
SCANS_DIR = Path(".egov") / "scans"
WAIVERS_FILE = REPO_ROOT / "compliance" / "waivers.yaml"
