"""Files that hold secrets (keys, tokens, key shares): written 0600 from the first byte, atomically; and
directories in shared places (the temporary directory) that only this user can write.

Shared by ``infra.local`` and ``infra.vault`` (which must not import each other's internals).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically write ``data`` readable by the owner only (0600 from creation on)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only remove bits, but be explicit
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (made if missing) for the block: serialises processes of this
    machine (a lock file beside what it guards, never the guarded file, which writers may replace)."""
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class UnsafeDirectory(RuntimeError):
    """A directory egov would trust is not this user's alone (someone else made it, or others may write)."""


def private_directory(path: Path) -> Path:
    """``path`` as a directory only this user can write, made 0700 when missing. Under the shared temporary
    directory another local user could have made it first (and then plant files or swap sockets in it), so
    an existing one must be a real directory, owned by this user, without group or other write access;
    anything else is refused rather than used."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    problems = []
    if not stat.S_ISDIR(info.st_mode):
        problems.append("is not a directory (a symbolic link?)")
    if info.st_uid != os.geteuid():
        problems.append(f"belongs to uid {info.st_uid}, not to this user ({os.geteuid()})")
    if info.st_mode & 0o022:
        problems.append(f"is writable by others (mode {stat.S_IMODE(info.st_mode):o})")
    if problems:
        raise UnsafeDirectory(f"{path} {' and '.join(problems)}; egov will not use it: remove it (check who made "
                              "it) and run again")
    return path
