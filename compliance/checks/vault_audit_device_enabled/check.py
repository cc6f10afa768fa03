"""OpenBao records every request in at least one audit device (two recommended: OpenBao stops serving when
no enabled device can record)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    vault = evidence.get("vault") or {}
    devices = (vault.get("global") or {}).get("audit_devices") or []
    names = ", ".join(f"{d['path']} ({d.get('type')})" for d in devices)
    if not devices:
        detail = text("no audit device is enabled: requests leave no audit record", "未启用审计设备: 请求不留审计记录")
    elif len(devices) == 1:
        detail = text("one audit device ({names}); a second is recommended so one failing device does not stop OpenBao",
                      "一个审计设备 ({names}); 建议再启用一个, 以免单个设备故障使 OpenBao 停止服务", names=names)
    else:
        detail = text("{n} audit devices: {names}", "{n} 个审计设备: {names}", n=len(devices), names=names)
    yield Result(f"openbao:{vault.get('address', '')}", bool(devices), detail, resource_type="OpenBaoCluster")
