"""`egov hosts probe`: real packets between the test hosts, with the gateway's counters and NFLOG lines as evidence.

What is sent: one connection per declared flow (source-zone host to destination-zone host, through the
gateway), the same destination on an undeclared port, every Internet-zone host to every extranet host on
every port the extranet serves, and a host to another zone's host over the management segment (which must
not be a path). With admitted tenants (the bridge stack's ``tenantFlows``) and their hosts in the lab (zone
``tenant-<id>``), each tenant flow is sent too, with an undeclared port, and every tenant host tries every
other tenant's host (SSH and the tenants' TCP ports), which must be dropped: no flow names two tenants.
Expected outcomes are read from the flow file and the tenants' entries, not from the ruleset.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from infra.config import FLOWS_FILE, PLATFORM_FILE, Flow, load_flows, load_platform
from infra.config.compiler import tenant_flows
from infra.config.tenant_flows import AdmittedTenant
from infra.config.tenant_request import TENANT_ZONE_PREFIX, tenant_zone
from infra.hosts.harden import NFLOG_GROUP, HostsError
from infra.hosts.inventory import Host
from infra.hosts.lab import Lab
from infra.local.paths import REPO_ROOT

UNDECLARED_PORTS = (8081, 3306, 23, 9999)
TENANT_PROBE_PORTS = (22, 443)  # sshd answers on every host; 443 is what departments serve most


@dataclass
class Probe:
    kind: str  # declared, undeclared, internet-to-extranet, management-segment, tenant-to-tenant
    name: str
    source: str
    destination: str
    address: str
    protocol: str
    port: int
    expected: str  # passed or dropped
    observed: str = ""
    nflog: list[str] = field(default_factory=list)

    @property
    def as_expected(self) -> bool:
        return self.observed == self.expected


@dataclass
class ProbeReport:
    probes: list[Probe]
    counters: dict[str, int]  # per ruleset comment: packets during the probe run
    evidence: Path

    @property
    def unexpected(self) -> list[Probe]:
        return [p for p in self.probes if not p.as_expected]


def _zone(network: str) -> str:
    """The lab zone of a compiler network: a zone's own name, or ``tenant-<id>`` for ``tenant.<id>``."""
    return tenant_zone(network.removeprefix("tenant.")) if network.startswith("tenant.") else network


def plan_probes(hosts: list[Host], flows: list[Flow], tenants: Sequence[AdmittedTenant] = ()) -> list[Probe]:
    """What to send, and what must happen to it, from the flow allowlist and the admitted tenants' flows alone."""
    by_zone: dict[str, list[Host]] = {}
    for host in hosts:
        if host.role != "gateway":
            by_zone.setdefault(host.zone, []).append(host)
    probes: list[Probe] = []
    flows = [*flows, *(flow for tenant in sorted(tenants, key=lambda t: t.slot) for flow in tenant_flows(tenant))]
    for flow in flows:
        sources, destinations = by_zone.get(_zone(flow.source), []), by_zone.get(_zone(flow.destination), [])
        if not sources or not destinations:
            continue
        src, dst = sources[0], destinations[0]
        if flow.protocol == "icmp":
            probes.append(Probe("declared", flow.name, src.name, dst.name, dst.address, "icmp", 0, "passed"))
            continue
        for port_range in flow.ports:
            probes.append(Probe("declared", flow.name, src.name, dst.name, dst.address, flow.protocol,
                                int(port_range.start), "passed"))
        declared = _declared_ports(flows, flow.source, flow.destination, flow.protocol)
        free = next(p for p in UNDECLARED_PORTS if p not in declared)
        probes.append(Probe("undeclared", f"{flow.name}-undeclared-{free}", src.name, dst.name, dst.address,
                            flow.protocol, free, "dropped"))
    extranet_ports = sorted({int(p.start) for f in flows if f.destination == "extranet" and f.protocol == "tcp"
                             for p in f.ports} | {443})
    for src in by_zone.get("internet", []):
        for dst in by_zone.get("extranet", []):
            for port in extranet_ports:
                probes.append(Probe("internet-to-extranet", f"internet-to-extranet-{port}", src.name, dst.name,
                                    dst.address, "tcp", port, "dropped"))
    probes += _tenant_to_tenant(by_zone, tenants)
    if by_zone.get("extranet") and by_zone.get("internet"):
        src, dst = by_zone["extranet"][0], by_zone["internet"][0]
        probes.append(Probe("management-segment", "no-lateral-path-on-management-segment", src.name, dst.name,
                            dst.mgmt_address, "tcp", 22, "dropped"))
    for src in by_zone.get("internet", [])[:1]:
        for service in (h for h in hosts if h.role in ("bastion", "loghost")):
            probes.append(Probe("management-segment", f"no-ssh-to-{service.role}-over-management-segment",
                                src.name, service.name, service.mgmt_address, "tcp", 22, "dropped"))
    return probes


def _tenant_to_tenant(by_zone: dict[str, list[Host]], tenants: Sequence[AdmittedTenant]) -> list[Probe]:
    """Each tenant's first host to every other tenant's, on SSH, 443 and every TCP port a tenant flow names."""
    first = {zone: members[0] for zone, members in sorted(by_zone.items()) if zone.startswith(TENANT_ZONE_PREFIX)}
    ports = sorted({*TENANT_PROBE_PORTS, *(int(port.start) for tenant in tenants for flow in tenant.flows
                                          if flow.protocol == "tcp" for port in flow.ports)})
    return [Probe("tenant-to-tenant", f"{zone}-to-{other}-{port}", src.name, dst.name, dst.address, "tcp", port,
                  "dropped")
            for zone, src in first.items() for other, dst in first.items() if other != zone for port in ports]


def _declared_ports(flows: list[Flow], source: str, destination: str, protocol: str) -> set[int]:
    ports: set[int] = set()
    for flow in flows:
        if flow.source == source and flow.destination == destination and flow.protocol == protocol:
            for p in flow.ports:
                ports.update(range(int(p.start), int(p.end) + 1))
    return ports


def probe(lab: Lab, evidence_root: Path, flows_file: Path = FLOWS_FILE, platform_file: Path = PLATFORM_FILE,
          tenants: Sequence[AdmittedTenant] = ()) -> ProbeReport:
    """Send every planned probe (``plan_probes``) at once and record what happened, with the gateway's counters
    and NFLOG lines; ``tenants`` are the admitted tenants whose flows the gateway was hardened with."""
    hosts = lab.hosts()
    if not hosts:
        raise HostsError("no test hosts: bring them up first (`egov local hosts up`)")
    platform = load_platform(platform_file)
    flows = load_flows(flows_file, platform).by_id()
    probes = plan_probes(hosts, flows, tenants)
    by_name = {h.name: h for h in hosts}
    gateway = next(h for h in hosts if h.role == "gateway")
    gateway_root = lab.root_of(gateway.name)
    evidence = evidence_root / time.strftime("probe-%Y%m%dT%H%M%S")
    evidence.mkdir(parents=True, exist_ok=True)

    listeners = _start_listeners(lab, probes)
    nflog = subprocess.Popen(
        ["ip", "netns", "exec", lab.netns(gateway.name), "chroot", str(gateway_root),
         "tcpdump", "-i", f"nflog:{NFLOG_GROUP}", "-n", "-l", "-q", "-tttt"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(0.5)  # tcpdump binds the group
        before = _counters(lab, gateway)

        def send(p: Probe) -> None:
            result = subprocess.run(
                ["ip", "netns", "exec", lab.netns(p.source), sys.executable, "-m", "infra.hosts.netprobe",
                 "connect", p.protocol, p.address, str(p.port)], cwd=REPO_ROOT, capture_output=True, timeout=30)
            p.observed = {0: "passed", 2: "passed (refused)"}.get(result.returncode, "dropped")

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(send, probes))
        time.sleep(0.5)
        after = _counters(lab, gateway)
    finally:
        nflog.send_signal(signal.SIGINT)
        try:
            log_text = nflog.communicate(timeout=5)[0]
        except subprocess.TimeoutExpired:
            nflog.kill()
            log_text = nflog.communicate()[0]
        for process in listeners:
            process.kill()
            process.wait()
    log_lines = [line for line in log_text.splitlines() if line.strip()]
    for p in probes:
        src = by_name[p.source]
        src_address = src.mgmt_address if p.kind == "management-segment" else src.address
        needle = f"{src_address}." if p.protocol != "icmp" else src_address
        p.nflog = [line for line in log_lines if needle in line and f"{p.address}.{p.port}:" in line]
    counters = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    report = ProbeReport(probes, counters, evidence)
    (evidence / "nflog.txt").write_text(log_text)
    (evidence / "probes.json").write_text(json.dumps({
        "flows_file": str(flows_file),
        "tenants": [tenant.tenant for tenant in tenants],
        "gateway": gateway.name,
        "nflog_group": NFLOG_GROUP,
        "counter_deltas": counters,
        "probes": [asdict(p) | {"as_expected": p.as_expected} for p in probes],
    }, indent=2))
    return report


def _start_listeners(lab: Lab, probes: list[Probe]) -> list[subprocess.Popen[str]]:
    wanted: dict[str, set[str]] = {}
    for p in probes:
        if p.protocol != "icmp" and p.kind != "management-segment":
            wanted.setdefault(p.destination, set()).add(f"{p.protocol}:{p.port}")
    processes = []
    for host, specs in wanted.items():
        process = subprocess.Popen(
            ["ip", "netns", "exec", lab.netns(host), sys.executable, "-m", "infra.hosts.netprobe", "listen",
             *sorted(specs)], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        processes.append(process)
    for process in processes:
        if process.stdout is None or process.stdout.readline().strip() != "ready":
            raise HostsError("a probe listener did not start")
    return processes


def _counters(lab: Lab, gateway: Host) -> dict[str, int]:
    """Packets per rule comment in the bridge table (the drop rule is "not in the flow allowlist")."""
    result = subprocess.run(
        ["ip", "netns", "exec", lab.netns(gateway.name), "chroot", str(lab.root_of(gateway.name)),
         "nft", "-j", "list", "table", "inet", "egov_bridge"], capture_output=True, text=True)
    if result.returncode != 0:
        raise HostsError(f"the gateway has no bridge ruleset (run `egov hosts harden`): {result.stderr.strip()}")
    counters: dict[str, int] = {}
    for item in json.loads(result.stdout)["nftables"]:
        rule: dict[str, Any] = item.get("rule", {})
        packets = sum(e["counter"]["packets"] for e in rule.get("expr", []) if isinstance(e, dict) and "counter" in e)
        if rule.get("comment"):
            counters[rule["comment"]] = counters.get(rule["comment"], 0) + packets
    return counters
