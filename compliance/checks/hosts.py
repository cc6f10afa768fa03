"""Host checks: each judges one catalog item from the results of the testinfra controls (tests/hosts) that
decide it, one test object per host.

The controls ran on the live hosts before the checks (``compliance.evidence.hosts``); a check only reads
their outcomes: ``pass`` passes, ``fail`` fails, ``error`` (not checkable, host unreachable) is an error and
``not enforced here`` (a machine-wide setting on a test host) stays that, never a pass. A control that the
suite did not report for any host is an error too: a renamed or dropped test must not read as compliance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result
from compliance.text import text

CONTROL_ZH = {
    "password_complexity": "口令复杂度", "password_ageing": "口令定期更换", "no_empty_password": "无空口令",
    "login_failure_lockout": "登录失败锁定", "idle_timeout": "超时自动退出", "ssh_hardened": "SSH 加固",
    "root_login_management_only": "root 仅可自管理网段登录", "sudo_logged": "sudo 操作记录",
    "file_permissions_and_umask": "文件权限与 umask", "audit_rules": "审计规则", "audit_daemon": "审计服务",
    "time_source": "统一时间源", "logs_to_log_host": "日志转发至日志主机", "minimal_installation": "最小安装",
    "only_needed_listeners": "仅开放必要的监听端口", "network_stack": "网络协议栈参数",
    "kernel_hardening": "内核加固参数", "management_services_restricted": "管理服务访问受限",
    "forwarding_by_role": "按角色转发", "bridge_default_deny": "桥接默认拒绝",
}
"""The controls of tests/hosts in Chinese, for the finding details (the report's language switch)."""
OUTCOME_ZH = {"pass": "通过", "fail": "不通过", "error": "错误", "not enforced here": "此处不强制"}


def host_controls(evidence: Evidence) -> list[Mapping[str, Any]]:
    hosts = evidence.get("hosts")
    if not isinstance(hosts, Mapping):
        return []
    return list((hosts.get("global") or {}).get("controls") or ())


def judge_controls(evidence: Evidence, controls: Iterable[str], roles_only: bool = False) -> Iterator[Result]:
    """One result per host and control among ``controls`` (test names without ``test_``'s clause prefix,
    e.g. ``password_complexity``). ``roles_only``: the control runs on some roles only, so hosts without it
    are not missing it."""
    wanted = tuple(controls)
    records = host_controls(evidence)
    seen = set()
    for record in records:
        name = _short_name(str(record.get("control", "")))
        if name not in wanted:
            continue
        seen.add(name)
        host, clause, outcome = str(record.get("host")), str(record.get("clause", "")), str(record.get("outcome"))
        detail = str(record.get("detail") or "")
        message = text("host {host}: {clause} {what}: {outcome}{detail}",
                       "主机 {host}: {clause} {what_zh}: {outcome_zh}{detail}",
                       host=host, clause=clause, what=name.replace("_", " "), what_zh=CONTROL_ZH.get(name, name),
                       outcome=outcome, outcome_zh=OUTCOME_ZH.get(outcome, outcome),
                       detail=f" ({detail})" if detail else "")
        yield Result(host, {"pass": True, "fail": False}.get(outcome), message, resource_type="Host", tags=None,
                     not_enforced=outcome == "not enforced here")
    hosts = sorted({str(r.get("host")) for r in records})
    for name in wanted:
        if name not in seen and hosts and not roles_only:
            missing = text("control {name} was not reported for any host ({hosts}): the host suite no longer checks it",
                           "控制项 {name} 在任何主机 ({hosts}) 上都没有结果: 主机测试套件已不再检查它",
                           name=name, hosts=", ".join(hosts))
            yield Result("host-suite", None, missing, resource_type="Host")


def _short_name(control: str) -> str:
    """``test_8_1_4_1_a_password_complexity`` -> ``password_complexity``."""
    parts = control.removeprefix("test_").split("_")
    index = 0
    while index < len(parts) and parts[index].isdigit():
        index += 1
    if index and index < len(parts) and len(parts[index]) == 1 and parts[index].isalpha():
        index += 1
    return "_".join(parts[index:])
