"""The repository root, computed in one place for every layer (config files, templates, tools)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
