"""The policy pack's verdicts, as egov's runs of `pulumi preview`/`up` recorded them (infra/policy_record.py):
the newest record per stack, with its file's SHA-256, so a bundle can show what the pack decided on the planned
resources next to what the live sources show. Reading local files only; the folder is passed in by the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def collect_pack_verdicts(records: Path, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """``{"collected_at", "dir", "stacks": {stack: record + file + sha256}, "errors": {stack: why}}``."""
    progress(f"policy pack: reading the newest verdict per stack in {records}")
    stacks: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for folder in sorted(p for p in records.iterdir() if p.is_dir()) if records.is_dir() else []:
        files = sorted(folder.glob("*.json"))
        if not files:
            continue
        newest = files[-1]
        data = newest.read_bytes()
        try:
            record = json.loads(data)
        except json.JSONDecodeError as exc:
            errors[folder.name] = f"{newest}: not JSON ({exc})"
            continue
        stacks[folder.name] = {**record, "file": str(newest), "sha256": hashlib.sha256(data).hexdigest()}
    collected_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"collected_at": collected_at, "dir": str(records), "stacks": stacks, "errors": errors}
