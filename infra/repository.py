"""Where this repository is on disk: computed here once, every other module asks.

A leaf module (no imports from ``infra``) so that every layer may use it. The one exception is the
provider plugin's launcher (``infra/provider/__main__.py``), which must find the checkout before the
``infra`` package can be imported at all.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
