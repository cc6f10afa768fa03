"""How the controller reaches the hosts: the environment's key, pinned host keys, one persistent connection each.

One set of options serves ssh, Ansible and testinfra, so they all trust exactly the same host keys.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from infra.files import private_directory
from infra.hosts.inventory import Host


@dataclass(frozen=True)
class Connection:
    key: Path
    known_hosts: Path
    control_dir: Path
    user: str = "root"
    connect_timeout: int = 5

    @classmethod
    def for_hosts_dir(cls, hosts_dir: Path) -> Connection:
        ssh = hosts_dir / "ssh"
        # Control sockets live in a short path: a Unix socket path is limited to 107 bytes.
        tag = hashlib.sha256(str(hosts_dir.resolve()).encode()).hexdigest()[:10]
        return cls(ssh / "id_ed25519", ssh / "known_hosts", Path(tempfile.gettempdir()) / f"egov-ssh-{tag}")

    def close(self) -> None:
        """End the persistent connections and remove their sockets."""
        for socket_path in self.control_dir.glob("*"):
            subprocess.run(["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "egov"], capture_output=True)
        shutil.rmtree(self.control_dir, ignore_errors=True)

    def options(self) -> list[str]:
        private_directory(self.control_dir)  # in the shared temporary directory: its sockets carry our sessions
        return [
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", f"IdentityFile={self.key}",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", f"ConnectTimeout={self.connect_timeout}",
            "-o", "ControlMaster=auto",
            "-o", "ControlPersist=60s",
            "-o", f"ControlPath={self.control_dir}/%C",
            "-o", "LogLevel=ERROR",
        ]

    def ssh(self, host: Host, command: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ssh", "-F", "/dev/null", *self.options(), f"{self.user}@{host.mgmt_address}", command],
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def ansible_ssh_args(self) -> str:
        return " ".join(self.options())

    def write_ssh_config(self, path: Path, hosts: Iterable[Host]) -> Path:
        """An ssh_config naming each host (testinfra's ssh backend reads it)."""
        options = self.options()
        pairs = [options[i + 1].split("=", 1) for i in range(0, len(options), 2)]
        lines = []
        for host in hosts:
            lines += [f"Host {host.name}", f"  HostName {host.mgmt_address}", f"  User {self.user}"]
            lines += [f"  {key} {value}" for key, value in pairs]
        path.write_text("\n".join(lines) + "\n")
        return path

    def preflight(self, hosts: list[Host]) -> dict[str, str]:
        """Each host that cannot be reached or refuses the key, with the reason; empty when all answer."""

        def attempt(host: Host) -> tuple[str, str]:
            try:
                result = self.ssh(host, "true", timeout=self.connect_timeout + 10)
            except subprocess.TimeoutExpired:
                return host.name, f"no answer from {host.mgmt_address}:22"
            if result.returncode == 0:
                return host.name, ""
            reason = result.stderr.strip().splitlines()[-1:] or [f"ssh exit {result.returncode}"]
            return host.name, f"{host.mgmt_address}: {reason[0]}"

        with ThreadPoolExecutor(max_workers=min(16, max(1, len(hosts)))) as pool:
            results = dict(pool.map(attempt, hosts))
        return {name: reason for name, reason in results.items() if reason}
