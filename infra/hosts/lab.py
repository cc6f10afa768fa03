"""The lab: test hosts as network namespaces with an overlay root running sshd, wired like the zones.

Layout (every name starts with a prefix derived from the environment's root directory, so two
environments on one machine never collide):

* a switch namespace holding one Linux bridge per segment: one per zone, one per tenant whose hosts are
  in the lab (zone ``tenant-<id>``, the tenant's block; checked in ``lab_networks.py``), plus the out-of-band
  management segment;
* a namespace per host with a leg on its zone's segment and a leg on the management segment;
  the first gateway has a leg on every zone segment instead, and is the only cross-zone path (the
  bridge stack declares a gateway per availability zone: the others stand by on the bridge segment); every
  other host routes the other zones and the tenant pool through the gateway's leg on its own segment;
* one veth leg from the root namespace into the management segment (the controller's). The hosts'
  ports on that segment are isolated bridge ports: a host reaches the controller, never another host.

Nothing outside these namespaces and that one link is touched; ``down`` removes exactly what the
state file recorded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from infra.config import Platform
from infra.config.platform import TENANT_ZONE_PREFIX
from infra.files import exclusive_lock
from infra.hosts.connection import Connection
from infra.hosts.image import HostImage, default_image_dir
from infra.hosts.inventory import BRIDGE_ZONE, Host, write_inventory
from infra.hosts.lab_networks import lab_networks
from infra.local.process import LocalEnvError, pid_alive

Progress = Callable[[str], None]
MGMT = "mgmt"


def lab_prefix(root: Path) -> str:
    """A short, stable prefix for this environment's namespaces and links."""
    return "e" + hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:4]


def mgmt_network(prefix: str) -> ipaddress.IPv4Network:
    """The out-of-band management segment: a /24 in 100.64.0.0/10 chosen by the prefix."""
    index = int(hashlib.sha256(prefix.encode()).hexdigest()[:4], 16) % 4096
    return ipaddress.IPv4Network(f"100.{64 + index // 256}.{index % 256}.0/24")


def mac_for(address: str, leg: int) -> str:
    """A fixed, locally administered MAC from the IP: a recreated host never leaves stale ARP entries behind."""
    octets = ipaddress.ip_address(address).packed
    return f"02:{leg:02x}:" + ":".join(f"{b:02x}" for b in octets)


def gateway_leg(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> ipaddress.IPv4Interface:
    """The gateway's address on a zone segment: the zone network's first address."""
    return ipaddress.IPv4Interface(f"{network.network_address + 1}/{network.prefixlen}")


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise LocalEnvError(f"`ip {' '.join(args)}` failed: {result.stderr.strip()}")
    return result


@dataclass
class LabState:
    """What `up` made, so that `down` removes exactly that."""

    prefix: str
    mgmt_network: str
    root_link: str
    namespaces: list[str] = field(default_factory=list)
    hosts: list[dict[str, str]] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LabState | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


@dataclass(frozen=True)
class HostStatus:
    name: str
    zone: str
    role: str
    address: str
    mgmt_address: str
    pid: int
    running: bool
    ssh: bool


INIT_SCRIPT = r"""
set -e
R="$HOST_DIR/root"
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$HOST_DIR/upper,workdir=$HOST_DIR/work" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs -o ro sysfs "$R/sys"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mkdir -p "$R/run/sshd" "$R/run/lock"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx"
hostname "$HOST_NAME"
mkdir -p "$R/root/.ssh"
chmod 700 "$R/root/.ssh"
cp "$PUBKEY" "$R/root/.ssh/authorized_keys"
chmod 600 "$R/root/.ssh/authorized_keys"
chroot "$R" /usr/bin/ssh-keygen -A >/dev/null
exec chroot "$R" /usr/sbin/sshd -D -e
"""


class Lab:
    """Build, inspect and remove the test hosts of one environment."""

    def __init__(self, root: Path, platform: Platform, image_dir: Path | None = None) -> None:
        self.root = root
        self.dir = root / "hosts"
        self.platform = platform
        self.prefix = lab_prefix(root)
        self.mgmt = mgmt_network(self.prefix)
        self.state_file = self.dir / "lab.json"
        self.inventory = self.dir / "inventory.yml"
        self.key = self.dir / "ssh" / "id_ed25519"
        # The image is shared by every environment of this checkout (a temporary EGOV_HOME included).
        self.image = HostImage(image_dir or default_image_dir())

    # --- names -------------------------------------------------------------------------------
    @property
    def switch(self) -> str:
        return f"{self.prefix}-switch"

    def netns(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    @property
    def root_link(self) -> str:
        return f"{self.prefix}-{MGMT}"

    def segment(self, zone: str) -> str:
        """The zone's bridge in the switch namespace; a name too long for a link (15 characters, e.g. a tenant's
        zone) becomes a digest of it, so that two tenants never share a segment."""
        name = f"br-{zone}"
        return name if len(name) <= 15 else "br-" + hashlib.sha256(zone.encode()).hexdigest()[:12]

    # --- up ----------------------------------------------------------------------------------
    def up(self, hosts: list[Host], progress: Progress = lambda _m: None) -> list[Host]:
        """Bring the lab up with ``hosts`` (a running lab is replaced). Returns the hosts with their management
        addresses; the inventory is written from them."""
        if os.geteuid() != 0:
            raise LocalEnvError("the test hosts need root (network namespaces, mounts); run as root")
        self._check_hosts(hosts)
        lower = self.image.ensure(progress)
        self.ensure_key()
        with self.locked():
            return self._up(hosts, lower, progress)

    def _up(self, hosts: list[Host], lower: Path, progress: Progress) -> list[Host]:
        if self.state_file.exists():
            progress("removing the previous lab")
            self._down()
        self._check_mgmt_free()
        state = LabState(self.prefix, str(self.mgmt), self.root_link)
        self.dir.mkdir(parents=True, exist_ok=True)
        state.save(self.state_file)  # saved before anything is made, so a failure half-way is cleaned up by down
        try:
            placed = self._wire(hosts, state, progress)
            self._start_all(placed, state, lower, progress)
        except BaseException:
            self._down()
            raise
        self._publish(placed)
        return placed

    def _start_all(self, hosts: list[Host], state: LabState, lower: Path, progress: Progress) -> None:
        """Start each host's sshd (its PID recorded as it starts) and wait until every one answers."""
        for host in hosts:
            progress(f"starting {host.name}")
            state.pids[host.name] = self._start(host, lower)
            state.save(self.state_file)
        self._wait_ssh(hosts)

    def _publish(self, hosts: list[Host]) -> None:
        """What Ansible and testinfra read: the hosts' pinned keys, the inventory and an ssh_config."""
        self._write_known_hosts(hosts)
        write_inventory(self.inventory, hosts, self.key, str(self.mgmt))
        Connection.for_hosts_dir(self.dir).write_ssh_config(self.dir / "ssh" / "config", hosts)

    def _write_known_hosts(self, hosts: list[Host]) -> None:
        """Pin each host's freshly made keys (read from its own root, not learnt over the network)."""
        lines = []
        for host in hosts:
            ssh_dir = self.dir / "run" / host.name / "upper" / "etc" / "ssh"
            for pub in sorted(ssh_dir.glob("ssh_host_*_key.pub")):
                kind, key = pub.read_text().split()[:2]
                lines.append(f"{host.mgmt_address} {kind} {key}")
        Connection.for_hosts_dir(self.dir).known_hosts.write_text("\n".join(lines) + "\n")

    def _check_hosts(self, hosts: list[Host]) -> None:
        names = [h.name for h in hosts]
        if len(set(names)) != len(names):
            raise LocalEnvError(f"host names must be unique: {names}")
        if len(hosts) > 200:
            raise LocalEnvError("at most 200 hosts fit the management segment")
        lab_networks(self.platform, hosts)  # every host inside its zone's or its tenant's block
        for host in hosts:
            if len(self.netns(host.name)) > 40 or not host.name.replace("-", "").isalnum():
                raise LocalEnvError(f"host name {host.name!r}: letters, digits and dashes only, short")
        if not any(h.role == "gateway" for h in hosts):
            raise LocalEnvError("the lab needs a gateway host (role gateway): deploy the bridge stack")

    def _check_mgmt_free(self) -> None:
        """Refuse to add a link whose network overlaps a route this machine already has."""
        routes = json.loads(ip("-j", "route", "show", "table", "all").stdout or "[]")
        for route in routes:
            dst = route.get("dst", "")
            if dst in ("default", "") or ":" in dst:
                continue
            with contextlib.suppress(ValueError):
                if ipaddress.ip_network(dst, strict=False).overlaps(self.mgmt):
                    raise LocalEnvError(f"the management segment {self.mgmt} overlaps the machine's route {dst}")

    def _wire(self, hosts: list[Host], state: LabState, progress: Progress) -> list[Host]:
        networks = lab_networks(self.platform, hosts)
        zones = sorted({h.zone for h in hosts} | {z for z in networks if z != BRIDGE_ZONE})
        platform_networks = set(self.platform.networks())
        tenant_pool = self.platform.tenant_pool if len(networks) > len(platform_networks) else None
        progress("wiring segments")
        self._add_netns(self.switch, state)
        for segment in [MGMT, *zones]:
            bridge = self.segment(segment)
            ip("-n", self.switch, "link", "add", bridge, "type", "bridge")
            ip("-n", self.switch, "link", "set", bridge, "up")
        controller = ipaddress.ip_interface(f"{self.mgmt.network_address + 1}/{self.mgmt.prefixlen}")
        ip("link", "add", self.root_link, "type", "veth", "peer", "name", "up0", "netns", self.switch)
        ip("link", "set", self.root_link, "address", mac_for(str(controller.ip), 1))
        ip("addr", "add", str(controller), "dev", self.root_link)
        ip("link", "set", self.root_link, "up")
        ip("-n", self.switch, "link", "set", "up0", "master", self.segment(MGMT), "up")
        placed: list[Host] = []
        forwarder = next(h.name for h in hosts if h.role == "gateway")
        for index, host in enumerate(hosts):
            ns = self.netns(host.name)
            # Only the management services (time, logs) are reachable from other hosts over this segment.
            mgmt = self._host_namespace(host, index, state, isolated=host.role not in ("bastion", "loghost"))
            if host.role == "gateway":
                own = networks[host.zone]
                self._leg(ns, f"h{index}z0", host.zone, "eth0", f"{host.address}/{own.prefixlen}", host.address)
                # A standby gateway (another availability zone's) sits on the bridge segment only.
                others = [z for z in zones if z != host.zone] if host.name == forwarder else []
                for number, zone in enumerate(others):
                    leg = gateway_leg(networks[zone])
                    self._leg(ns, f"h{index}z{number + 1}", zone, f"eth{number + 1}", str(leg), str(leg.ip))
            else:
                self._zone_leg(host, index, networks, tenant_pool)
            placed.append(self._placed(host, mgmt, state))
        return placed

    def _host_namespace(self, host: Host, index: int, state: LabState, *, isolated: bool) -> str:
        """The host's namespace (recorded) with its leg on the management segment; its management address."""
        ns = self.netns(host.name)
        self._add_netns(ns, state)
        ip("-n", ns, "link", "set", "lo", "up")
        mgmt = str(self.mgmt.network_address + 10 + index)
        self._leg(ns, f"h{index}m", MGMT, "mgmt0", f"{mgmt}/{self.mgmt.prefixlen}", mgmt, isolated=isolated)
        return mgmt

    def _placed(self, host: Host, mgmt: str, state: LabState) -> Host:
        """``host`` with its management address, recorded in the state file."""
        placed = Host(host.name, host.zone, host.role, host.address, mgmt, host.instance_id,
                      host.availability_zone, host.network)
        state.hosts.append(placed.to_dict())
        state.save(self.state_file)
        return placed

    def _zone_leg(self, host: Host, index: int, networks: dict[str, Any], tenant_pool: Any) -> None:
        """A host's leg on its zone's segment, and its routes: every platform network but its own, and the
        tenants' pool (the host's own tenant block, if it is a tenant's, stays on-link: the more specific route
        wins), through the gateway."""
        ns = self.netns(host.name)
        own = networks[host.zone]
        self._leg(ns, f"h{index}z0", host.zone, "eth0", f"{host.address}/{own.prefixlen}", host.address)
        via = gateway_leg(own).ip
        platform_networks = set(self.platform.networks())
        routed = [str(networks[name]) for name in networks if name in platform_networks and name != host.zone]
        if tenant_pool is not None:
            routed.append(str(tenant_pool))
        for network in routed:
            ip("-n", ns, "route", "add", network, "via", str(via))

    # --- add: a department's hosts into a running lab ---------------------------------------------
    def add(self, hosts: list[Host], progress: Progress = lambda _m: None) -> list[Host]:
        """Put tenants' ``hosts`` into the running lab (the onboarding ``hosts`` step): a segment per new
        tenant, a leg on it for the forwarding gateway, each host on its segment and the management segment,
        and the tenant pool routed through the gateway from every platform host. Hosts already in the lab are
        left as they are. Returns the added hosts with their management addresses. A failure removes the hosts,
        segments and legs it made; the platform hosts' route to the tenant pool stays (it leads to the gateway,
        which forwards declared flows only). Platform hosts come only from `egov local hosts up`."""
        if os.geteuid() != 0:
            raise LocalEnvError("the test hosts need root (network namespaces, mounts); run as root")
        with self.locked():
            state = LabState.load(self.state_file)
            if state is None:
                raise LocalEnvError(f"no test hosts are up in {self.dir}: `egov local hosts up` first")
            present = [Host(**entry) for entry in state.hosts]
            by_name = {host.name: host for host in present}
            new = []
            for host in hosts:
                known = by_name.get(host.name)
                if known is None:
                    new.append(host)
                elif (known.zone, known.address, known.network) != (host.zone, host.address, host.network):
                    raise LocalEnvError(f"host {host.name} is in the lab as {known.zone} {known.address}, its stack "
                                        f"now says {host.zone} {host.address}: rebuild the lab (`egov local hosts up`)")
            if not new:
                return []
            for host in new:
                if not host.zone.startswith(TENANT_ZONE_PREFIX) or host.role == "gateway":
                    raise LocalEnvError(f"host {host.name} (zone {host.zone}, role {host.role}) is a platform host: "
                                        "only departments' hosts are added to a running lab; rebuild it instead")
            self._check_hosts(present + new)
            lower = self.image.ensure(progress)
            networks = lab_networks(self.platform, present + new)
            before = LabState(**json.loads(json.dumps(asdict(state))))
            made_links: list[str] = []
            try:
                placed = self._add_wired(present, new, networks, state, made_links, progress)
                self._start_all(placed, state, lower, progress)
            except BaseException:
                self._undo(state, before, made_links)
                raise
            self._publish(present + placed)
            return placed

    def _add_wired(self, present: list[Host], new: list[Host], networks: dict[str, Any], state: LabState,
                   made_links: list[str], progress: Progress) -> list[Host]:
        forwarder = next((h for h in present if h.role == "gateway"), None)
        if forwarder is None:
            raise LocalEnvError("the lab has no gateway host: rebuild it (`egov local hosts up`)")
        forwarder_ns = self.netns(forwarder.name)
        pool = self.platform.tenant_pool
        progress("wiring the new segments")
        for zone in sorted({h.zone for h in new} - {h.zone for h in present}):
            bridge = self.segment(zone)
            ip("-n", self.switch, "link", "add", bridge, "type", "bridge")
            made_links.append(bridge)
            ip("-n", self.switch, "link", "set", bridge, "up")
            legs = [link["ifname"] for link in json.loads(ip("-n", forwarder_ns, "-j", "link", "show").stdout)]
            number = 1 + max((int(name[3:]) for name in legs if name[:3] == "eth" and name[3:].isdigit()),
                             default=0)
            leg = gateway_leg(networks[zone])
            tag = f"h{self._index(forwarder)}z{number}"
            made_links.append(f"{self.prefix}{tag}"[:15])
            self._leg(forwarder_ns, tag, zone, f"eth{number}", str(leg), str(leg.ip))
        if pool is not None:  # a lab built without tenants routed no tenant block anywhere
            for host in present:
                if host.role != "gateway" and host.zone in self.platform.networks():
                    via = gateway_leg(networks[host.zone]).ip
                    ip("-n", self.netns(host.name), "route", "replace", str(pool), "via", str(via))
        placed = []
        next_index = 1 + max(self._index(host) for host in present)
        for offset, host in enumerate(new):
            index = next_index + offset
            mgmt = self._host_namespace(host, index, state, isolated=True)
            self._zone_leg(host, index, networks, pool)
            placed.append(self._placed(host, mgmt, state))
        return placed

    def _index(self, host: Host) -> int:
        """The host's number in the lab (its management address and its links' names derive from it)."""
        return int(ipaddress.ip_address(host.mgmt_address)) - int(self.mgmt.network_address) - 10

    def _undo(self, state: LabState, before: LabState, made_links: list[str]) -> None:
        """Remove what a failed ``add`` made: its hosts' processes and namespaces, its segments and legs."""
        added = [ns for ns in state.namespaces if ns not in before.namespaces]
        for name, pid in state.pids.items():
            if name not in before.pids and _is_our_unshare(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for ns in added:
            _wait(functools.partial(_netns_empty, ns), 10.0)
            ip("netns", "del", ns, check=False)
        for link in reversed(made_links):
            ip("-n", self.switch, "link", "del", link, check=False)
        for name in (entry["name"] for entry in state.hosts if entry not in before.hosts):
            shutil.rmtree(self.dir / "run" / name, ignore_errors=True)
        before.save(self.state_file)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise changes to this lab (adding hosts, hardening the gateways for a new set of tenants) between
        onboarding runs on this machine."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.dir / "lab.lock"):
            yield

    def _add_netns(self, ns: str, state: LabState) -> None:
        ip("netns", "add", ns)
        state.namespaces.append(ns)
        state.save(self.state_file)

    def _leg(
        self, ns: str, tag: str, segment: str, inner: str, cidr: str, address: str, isolated: bool = False
    ) -> None:
        outer = f"{self.prefix}{tag}"[:15]
        ip("-n", self.switch, "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns)
        ip("-n", ns, "link", "set", inner, "address", mac_for(address, 1 if segment == MGMT else 0))
        ip("-n", ns, "addr", "add", cidr, "dev", inner)
        ip("-n", ns, "link", "set", inner, "up")
        ip("-n", self.switch, "link", "set", outer, "master", self.segment(segment), "up")
        if isolated:
            subprocess.run(["bridge", "-n", self.switch, "link", "set", "dev", outer, "isolated", "on"], check=True)

    def _start(self, host: Host, lower: Path) -> int:
        host_dir = self.dir / "run" / host.name
        for sub in ("upper", "work", "root"):
            (host_dir / sub).mkdir(parents=True, exist_ok=True)
        upper_etc = host_dir / "upper" / "etc"
        upper_etc.mkdir(exist_ok=True)
        (upper_etc / "hostname").write_text(host.name + "\n")
        (upper_etc / "hosts").write_text(f"127.0.0.1\tlocalhost\n127.0.1.1\t{host.name}\n")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOST_DIR": str(host_dir), "LOWER": str(lower),
               "HOST_NAME": host.name, "PUBKEY": str(self.key.with_suffix(".pub"))}
        log = open(host_dir / "init.log", "ab")  # noqa: SIM115 - handed to the child
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.netns(host.name), "unshare", "--mount", "--uts", "--pid", "--fork",
             "--kill-child", "--propagation", "private", "/bin/sh", "-c", INIT_SCRIPT],
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )
        log.close()
        return process.pid

    def _wait_ssh(self, hosts: list[Host], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        pending = {h.name: h for h in hosts}
        while pending and time.monotonic() < deadline:
            for name, host in list(pending.items()):
                if _port_open(host.mgmt_address, 22):
                    del pending[name]
            time.sleep(0.1)
        if pending:
            logs = {n: (self.dir / "run" / n / "init.log").read_text(errors="replace")[-400:] for n in pending}
            raise LocalEnvError(f"sshd did not come up on {sorted(pending)}: {logs}")

    def ensure_key(self) -> Path:
        """The environment's SSH key (made once; the hosts authorise its public half)."""
        if not self.key.exists():
            self.key.parent.mkdir(parents=True, exist_ok=True)
            self.key.parent.chmod(0o700)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"egov-{self.prefix}",
                            "-f", str(self.key)], check=True)
        return self.key

    # --- down and status ---------------------------------------------------------------------
    def down(self, progress: Progress = lambda _m: None) -> None:
        """Stop the hosts we started (by recorded PID), delete our namespaces and link, and the hosts' state."""
        if not self.state_file.exists():
            return
        with self.locked():
            self._down(progress)

    def _down(self, progress: Progress = lambda _m: None) -> None:
        state = LabState.load(self.state_file)
        if state is None:
            return
        for name, pid in state.pids.items():
            progress(f"stopping {name}")
            if _is_our_unshare(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for ns in state.namespaces:
            _wait(functools.partial(_netns_empty, ns), 10.0)
        for pid in state.pids.values():
            _wait(functools.partial(_gone, pid), 10.0)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        if ip("link", "show", state.root_link, check=False).returncode == 0:
            ip("link", "del", state.root_link, check=False)
        for ns in reversed(state.namespaces):
            ip("netns", "del", ns, check=False)
        _wait(lambda: ip("link", "show", state.root_link, check=False).returncode != 0, 10.0)
        Connection.for_hosts_dir(self.dir).close()
        shutil.rmtree(self.dir / "run", ignore_errors=True)
        self.inventory.unlink(missing_ok=True)
        self.state_file.unlink(missing_ok=True)

    def status(self) -> list[HostStatus]:
        state = LabState.load(self.state_file)
        if state is None:
            return []
        rows = []
        for entry in state.hosts:
            pid = state.pids.get(entry["name"], 0)
            running = bool(pid) and _is_our_unshare(pid)
            rows.append(HostStatus(entry["name"], entry["zone"], entry["role"], entry["address"],
                                   entry["mgmt_address"], pid=pid, running=running,
                                   ssh=running and _port_open(entry["mgmt_address"], 22)))
        return rows

    def root_of(self, host: str) -> Path:
        """The host's root filesystem as seen from here (its mounts live in its own mount namespace)."""
        state = LabState.load(self.state_file)
        pid = state.pids.get(host, 0) if state else 0
        if not pid or not _is_our_unshare(pid):
            raise LocalEnvError(f"host {host} is not running")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not children:
            raise LocalEnvError(f"host {host} has no init process")
        return Path(f"/proc/{children[0]}/root")

    def hosts(self) -> list[Host]:
        state = LabState.load(self.state_file)
        return [Host(**entry) for entry in state.hosts] if state else []


def lab_host_names(root: Path) -> list[str] | None:
    """The names of the hosts in the lab of the environment at ``root`` (its state file, no process or network
    call), or None when it has none up."""
    state = LabState.load(root / "hosts" / "lab.json")
    return [entry["name"] for entry in state.hosts] if state else None


def _netns_empty(ns: str) -> bool:
    return not ip("netns", "pids", ns, check=False).stdout.strip()


def _gone(pid: int) -> bool:
    return not pid_alive(pid)


def _is_our_unshare(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return pid_alive(pid) and os.path.basename(cmdline[0]) in (b"ip", b"unshare")


def _port_open(address: str, port: int, timeout: float = 0.3) -> bool:
    import socket

    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
