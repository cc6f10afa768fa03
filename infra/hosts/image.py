"""The test hosts' root filesystem: Debian bookworm minbase, built once by debootstrap, cached as a tarball.

The hosts cannot reach a package mirror when they are hardened, so every package a role asserts is baked
in here. Changing ``PACKAGES`` changes the tarball's name, so a stale image is never reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

from infra.local.paths import REPO_ROOT
from infra.local.process import LocalEnvError

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# What the roles need present (they only assert these, offline) and what probe/evidence uses.
PACKAGES = (
    "openssh-server", "python3", "sudo", "iproute2", "nftables", "netcat-openbsd", "iputils-ping",
    "libpam-pwquality", "auditd", "chrony", "rsyslog", "logrotate", "tcpdump", "procps", "cron",
)


def default_image_dir() -> Path:
    """The checkout's image cache (EGOV_HOSTS_IMAGE_DIR to move it): shared by every EGOV_HOME, tests included."""
    return Path(os.environ.get("EGOV_HOSTS_IMAGE_DIR", REPO_ROOT / ".egov" / "hosts" / "image")).resolve()


def image_tag() -> str:
    digest = hashlib.sha256(" ".join((SUITE, MIRROR, *PACKAGES)).encode()).hexdigest()[:12]
    return f"{SUITE}-{digest}"


class HostImage:
    """The cached tarball and the read-only lower directory the hosts' overlays stack on."""

    def __init__(self, image_dir: Path) -> None:
        self.dir = image_dir
        self.tarball = self.dir / f"{image_tag()}.tar"
        self.lower = self.dir / image_tag()

    def ensure(self, progress: Callable[[str], None] = lambda _msg: None) -> Path:
        """The lower directory, building the tarball (minutes, once) and unpacking it (seconds) when missing."""
        if (self.lower / ".complete").exists():
            return self.lower
        if not self.tarball.exists():
            self.build(progress)
        progress(f"unpacking {self.tarball.name}")
        partial = self.lower.with_name(self.lower.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        subprocess.run(["tar", "-xpf", str(self.tarball), "-C", str(partial), "--numeric-owner"], check=True)
        (partial / ".complete").touch()
        partial.rename(self.lower)
        return self.lower

    def build(self, progress: Callable[[str], None]) -> None:
        debootstrap = shutil.which("debootstrap") or shutil.which("debootstrap", path="/usr/sbin")
        if debootstrap is None:
            raise LocalEnvError("debootstrap is not installed; run `make hosts-deps` (apt-get install debootstrap)")
        self.dir.mkdir(parents=True, exist_ok=True)
        work = self.dir / "build"
        _remove_tree(work)
        progress(f"debootstrap {SUITE} minbase with {len(PACKAGES)} packages (once; a few minutes)")
        command = [debootstrap, "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(work), MIRROR]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            _remove_tree(work)
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-8:])
            raise LocalEnvError(f"debootstrap failed (exit {result.returncode}); is {MIRROR} reachable?\n{tail}")
        for key in (work / "etc" / "ssh").glob("ssh_host_*"):
            key.unlink()  # each host makes its own keys at first boot
        for cache in (work / "var" / "cache" / "apt" / "archives").glob("*.deb"):
            cache.unlink()
        partial = self.tarball.with_suffix(".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(work, arcname=".")
        partial.rename(self.tarball)
        _remove_tree(work)


def _remove_tree(path: Path) -> None:
    """Remove a build tree, first unmounting what debootstrap may have left mounted in it (proc, sys)."""
    if not path.exists():
        return
    prefix = str(path.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], check=False)
    shutil.rmtree(path, ignore_errors=True)
