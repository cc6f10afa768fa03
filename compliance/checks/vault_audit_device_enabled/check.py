"""OpenBao records every request in at least one audit device (two recommended: OpenBao stops serving when
no enabled device can record)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result


def check(evidence: Evidence) -> Iterator[Result]:
    vault = evidence.get("vault") or {}
    devices = (vault.get("global") or {}).get("audit_devices") or []
    names = ", ".join(f"{d['path']} ({d.get('type')})" for d in devices)
    if not devices:
        detail = "no audit device is enabled: requests leave no audit record"
    elif len(devices) == 1:
        detail = f"one audit device ({names}); a second is recommended so one failing device does not stop OpenBao"
    else:
        detail = f"{len(devices)} audit devices: {names}"
    yield Result(f"openbao:{vault.get('address', '')}", bool(devices), detail, resource_type="OpenBaoCluster")
