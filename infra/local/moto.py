"""The embedded AWS-compatible cloud: a moto server whose state survives restarts and crashes.

moto keeps everything in memory, so a stopped server forgets every VPC Pulumi created. To keep them,
every API request is appended to a recording (moto's own recorder) and a fresh server replays that
recording before it takes any other request. Replaying only helps if the resources come back with the
*same ids*, and moto draws ids from one random generator. So the server run here (this module, started
as ``python -m infra.local.moto serve``, which wraps moto's own WSGI application and request handler):

* seeds moto's generator (and Python's, which a few moto services use) with a fixed seed at start;
* routes stdlib ``uuid.uuid4`` through moto's generator (RDS, SSM and others name things with it);
* runs one AWS request at a time, so the recording order *is* the order ids were drawn in; with
  moto's stock threaded server, Pulumi's parallel calls interleave and ids come back swapped;
* after every request appends a fingerprint of the generators to a log next to the recording (one
  ``write`` on a file kept open, inside the request lock, so it costs no file creation or rename on
  the path every request waits on). The next replay compares the last complete entry: equal means
  the same draws happened, so the same ids; different means the cloud may not be what Pulumi last
  saw, and a persisted marker makes ``status()`` say so until acknowledged.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import http.client
import importlib.metadata
import importlib.util
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infra.files import exclusive_lock
from infra.local.paths import LocalPaths
from infra.local.process import (
    LOOPBACK,
    DaemonRecord,
    LocalEnvError,
    free_port,
    port_is_free,
    start_daemon,
    stop_pid,
    wait_until,
)
from infra.local.status import PartStatus
from infra.repository import REPO_ROOT

SEED = 20240601
"""Fixed seed for moto's id generator; the same seed plus the same requests gives the same ids."""

_HEALTH_PATH = "/_egov/health"  # S3 bucket names cannot start with "_", so this never shadows one
_REPLAY_HEADER = "X-Egov-Replay"
_UNLOCKED_PREFIXES = ("/_egov/", "/moto-api/recorder/")  # replay-recording calls back into the server


@dataclass(frozen=True)
class _Files:
    """Everything the client and the server keep under ``paths.moto``."""

    root: Path

    @property
    def record(self) -> Path:
        return self.root / "server.json"

    @property
    def log(self) -> Path:
        return self.root / "moto.log"

    @property
    def settings(self) -> Path:
        """Settings that outlive the process: the port."""
        return self.root / "cloud.json"

    @property
    def recording(self) -> Path:
        return self.root / "recording.jsonl"

    @property
    def checkpoints(self) -> Path:
        """One JSON line per completed request: recording size and generator fingerprint after it.
        Started afresh (one line) by every server start, so it only grows with that server's requests."""
        return self.root / "checkpoints.jsonl"

    @property
    def legacy_checkpoint(self) -> Path:
        """The single-entry checkpoint file that earlier versions rewrote after every request."""
        return self.root / "checkpoint.json"

    @property
    def replay(self) -> Path:
        """What the last start-up replay did."""
        return self.root / "replay.json"

    @property
    def reset_marker(self) -> Path:
        """Present when the cloud may no longer match Pulumi's state."""
        return self.root / "reset.json"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def _last_checkpoint(files: _Files) -> dict[str, Any] | None:
    """The newest complete checkpoint: the log's last newline-terminated entry (a kill can cut the entry
    being written, never an earlier one), else the checkpoint file an earlier version left."""
    try:
        with files.checkpoints.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 8192))
            tail = handle.read()
    except OSError:
        return _read_json(files.legacy_checkpoint)
    for line in reversed(tail[: tail.rfind(b"\n") + 1].splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            return entry
    return _read_json(files.legacy_checkpoint)


def _wait_port_released(port: int, timeout: float = 5.0) -> None:
    """Wait for a stopped server's port: its main thread can look exited while others still hold it."""
    deadline = time.monotonic() + timeout
    while not port_is_free(port) and time.monotonic() < deadline:
        time.sleep(0.05)


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


class MotoCloud:
    """The embedded cloud's lifecycle, as driven by ``egov local up|down|status``."""

    REGION = "cn-north-1"
    NAME = "moto"

    def __init__(self, paths: LocalPaths, *, port: int | None = None) -> None:
        self.paths = paths
        self.files = _Files(paths.moto)
        self._requested_port = port

    # ----------------------------------------------------------------- addresses

    @property
    def port(self) -> int:
        """The requested port, else the running server's, else the persisted one, else a new free one."""
        if self._requested_port is not None:
            return self._requested_port
        record = self._running()
        if record is not None:
            return record.port
        settings = _read_json(self.files.settings) or {}
        if isinstance(settings.get("port"), int):
            return int(settings["port"])
        port = free_port()
        self._save_port(port)  # so env() handed out now matches where up() will listen
        return port

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment that points AWS SDKs, the CLI and Pulumi's AWS provider at the embedded cloud."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.REGION,
            "AWS_REGION": self.REGION,
        }

    # ----------------------------------------------------------------- lifecycle

    def up(self, progress: Callable[[str], None] = lambda _: None) -> PartStatus:
        """Start the server (replaying the recorded state) unless ours already runs; idempotent."""
        self.paths.ensure()
        with self._exclusive():
            record = self._running()
            if record is not None:
                if self._requested_port is not None and record.port != self._requested_port:
                    raise LocalEnvError(
                        f"the embedded cloud already runs on port {record.port} (pid {record.pid}), not on "
                        f"the requested port {self._requested_port}; run `egov local down` first to move it"
                    )
                self._wait_ready(record, None, progress)
                return self.status()
            stale = DaemonRecord.load(self.files.record)
            self.files.record.unlink(missing_ok=True)  # the process it names is gone
            self._check_installed()
            port = self.port
            if stale is not None and stale.port == port:
                _wait_port_released(port)  # a just-killed server's sockets go away a moment after its pid
            if not port_is_free(port):
                remedy = ("choose another port" if self._requested_port is not None else
                          f"let egov pick another free port by deleting {self.files.settings} "
                          "(the recorded cloud state is kept)")
                raise LocalEnvError(f"port {port} on {LOOPBACK} is in use by another program, so the "
                                    f"embedded cloud cannot start there. Stop that program, or {remedy}.")
            self._save_port(port)
            command = [sys.executable, "-m", "infra.local.moto", "serve", "-H", LOOPBACK, "-p", str(port),
                       "--state-dir", str(self.files.root)]
            entries = self._recorded_entries()
            progress(f"moto: starting on {LOOPBACK}:{port}"
                     + (f", replaying {entries} recorded requests" if entries else ""))
            proc = start_daemon(command, self.files.log, env=self._server_env(port), cwd=REPO_ROOT)
            record = DaemonRecord(pid=proc.pid, port=port, command=command, started_at=time.time())
            record.save(self.files.record)
            try:
                self._wait_ready(record, proc, progress)
            except LocalEnvError:
                if self._is_ours(record):
                    stop_pid(record.pid)
                self.files.record.unlink(missing_ok=True)
                raise
        status = self.status()
        replay = _read_json(self.files.replay) or {}
        if replay.get("pid") == record.pid and replay.get("entries"):
            progress(f"moto: restored {replay['entries']} recorded requests ({replay.get('verdict')})")
        return status

    def down(self) -> None:
        """Stop the server we recorded (never anything else); the recording stays for the next ``up``."""
        if not self.files.root.exists():
            return
        with self._exclusive():
            record = DaemonRecord.load(self.files.record)
            if record is not None and self._is_ours(record):
                stop_pid(record.pid)
                _wait_port_released(record.port)
            self.files.record.unlink(missing_ok=True)

    def status(self) -> PartStatus:
        """Running, healthy, where, which version, and how much state is recorded or was restored."""
        warnings = self._warnings()
        record = DaemonRecord.load(self.files.record)
        settings = _read_json(self.files.settings) or {}
        known_port = record.port if record else settings.get("port")
        address = f"http://{LOOPBACK}:{known_port}" if known_port else ""
        if record is None or not self._is_ours(record):
            why = (f"not running (pid {record.pid} has exited unexpectedly)" if record is not None
                   else "not running")
            restore = (f"; `egov local up` will start it and replay {self._recording_summary()}"
                       if self._recorded_entries() else "; run `egov local up` to start it")
            return PartStatus(self.NAME, running=False, healthy=False, address=address,
                              version=self._installed_version(), detail=why + restore, warnings=warnings)
        health = self._health(record.port)
        if health is None:
            return PartStatus(
                self.NAME, running=True, healthy=False, address=address, version=self._installed_version(),
                detail=f"pid {record.pid} runs but does not answer on port {record.port}; see "
                       f"{self.files.log}, then `egov local down` and `egov local up`",
                warnings=warnings)
        version = str(health.get("moto_version", ""))
        if not health.get("ready"):
            return PartStatus(
                self.NAME, running=True, healthy=False, address=address, version=version,
                detail=f"pid {record.pid}, restoring recorded state: "
                       f"{health.get('replayed', 0)}/{health.get('total', 0)} requests replayed",
                warnings=warnings)
        detail = f"pid {record.pid}; {self._recording_summary()}; {self._replay_summary(record)}"
        return PartStatus(self.NAME, running=True, healthy=True, address=address, version=version,
                          detail=detail, warnings=warnings)

    def clear_reset_marker(self) -> None:
        """Acknowledge a reset/divergence warning, once ``pulumi refresh`` has reconciled the stacks."""
        self.files.reset_marker.unlink(missing_ok=True)

    # ----------------------------------------------------------------- helpers

    def _running(self) -> DaemonRecord | None:
        record = DaemonRecord.load(self.files.record)
        return record if record is not None and self._is_ours(record) else None

    @staticmethod
    def _is_ours(record: DaemonRecord) -> bool:
        """Alive and running exactly the command we started (a reused PID runs something else)."""
        if not record.alive():
            return False
        try:
            cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except OSError:
            return False
        return [part.decode(errors="replace") for part in cmdline] == record.command

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise up/down across concurrent CLI invocations."""
        with exclusive_lock(self.files.lock):
            yield

    def _save_port(self, port: int) -> None:
        self.files.root.mkdir(parents=True, exist_ok=True)
        settings = _read_json(self.files.settings) or {}
        if settings.get("port") != port:
            settings["port"] = port
            _write_json(self.files.settings, settings)

    @staticmethod
    def _check_installed() -> None:
        if importlib.util.find_spec("moto") is None or importlib.util.find_spec("werkzeug") is None:
            raise LocalEnvError(f"moto[server] is not installed for {sys.executable}; run `make setup`")

    @staticmethod
    def _installed_version() -> str:
        try:
            return importlib.metadata.version("moto")
        except importlib.metadata.PackageNotFoundError:
            return ""

    def _server_env(self, port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("MOTO_ENABLE_RECORDING", None)  # the server starts recording itself, after the replay
        env["MOTO_RECORDER_FILEPATH"] = str(self.files.recording)
        env["MOTO_PORT"] = str(port)  # as moto.server does; some responses embed it
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _health(self, port: int, timeout: float = 2.0) -> dict[str, Any] | None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
        try:
            conn.request("GET", _HEALTH_PATH)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                return None
            data = json.loads(body)
            return data if isinstance(data, dict) else None
        except (OSError, ValueError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def _wait_ready(self, record: DaemonRecord, proc: Any, progress: Callable[[str], None]) -> None:
        """Wait for the health endpoint to report ready, passing on replay progress."""
        last_reported = [-1.0]

        def ready() -> bool:
            if proc is None and not self._is_ours(record):
                raise LocalEnvError(f"moto (pid {record.pid}) exited while starting; see {self.files.log}")
            health = self._health(record.port)
            if health is None:
                return False
            if health.get("ready"):
                return True
            now = time.monotonic()
            if health.get("total") and now - last_reported[0] >= 2:
                last_reported[0] = now
                progress(f"moto: replayed {health.get('replayed', 0)}/{health['total']} recorded requests")
            return False

        timeout = 60 + 0.2 * self._recorded_entries()
        wait_until(ready, timeout, f"moto server on port {record.port}", proc=proc, log_path=self.files.log)

    def _recorded_entries(self) -> int:
        try:
            with self.files.recording.open("rb") as handle:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        except OSError:
            return 0

    def _recording_summary(self) -> str:
        try:
            size = self.files.recording.stat().st_size
        except OSError:
            return "nothing recorded yet"
        return f"{self._recorded_entries()} recorded requests ({_human_size(size)}) in {self.files.recording}"

    def _replay_summary(self, record: DaemonRecord) -> str:
        replay = _read_json(self.files.replay)
        if replay is None or replay.get("pid") != record.pid:
            return "no replay report for this process"
        if not replay.get("entries"):
            return "started empty (nothing to replay)"
        text = (f"restored at start by replaying {replay['entries']} requests "
                f"in {replay.get('seconds', 0):.1f}s ({replay.get('verdict')})")
        if replay.get("errors"):
            text += f", {replay['errors']} answered with a server error (moto may not implement them)"
        if replay.get("dropped_incomplete"):
            text += ", dropped 1 half-written request left by a crash"
        return text

    def _warnings(self) -> list[str]:
        warnings: list[str] = []
        marker = _read_json(self.files.reset_marker)
        if marker is not None:
            warnings.append(
                f"the embedded cloud was reset or restored inexactly ({marker.get('reason', 'unknown')}); "
                "resources Pulumi recorded may be missing or have new ids: "
                "run `pulumi refresh` for every stack"
            )
        replay = _read_json(self.files.replay) or {}
        if replay.get("verdict", "").startswith("unverified") and marker is None:
            warnings.append(f"state was restored by replay but could not be verified ({replay['verdict']})")
        return warnings


# ===================================================================== server side
# Runs in the daemon process (``python -m infra.local.moto serve``), never in the CLI.


def _route_uuid4_through_moto() -> None:
    """Make stdlib uuid4 reproducible: moto services that use it bypass moto's seedable generator."""
    original = uuid.uuid4

    def seeded_uuid4() -> uuid.UUID:
        internal = sys.modules.get("moto.moto_api._internal")
        generator = getattr(internal, "mock_random", None)
        return generator.uuid4() if generator is not None else original()

    uuid.uuid4 = seeded_uuid4


class _Server:
    """moto's WSGI app behind a lock, with start-up replay and per-request fingerprints."""

    def __init__(self, host: str, port: int, state_dir: Path, seed: int) -> None:
        self.host, self.port = host, port
        self.files = _Files(state_dir)
        os.environ["MOTO_RECORDER_FILEPATH"] = str(self.files.recording)
        os.environ.pop("MOTO_ENABLE_RECORDING", None)
        _route_uuid4_through_moto()  # before moto modules bind `from uuid import uuid4`

        from moto import __version__ as moto_version
        from moto.moto_api import recorder
        from moto.moto_api._internal import mock_random
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.moto_version = str(moto_version)
        self.recorder = recorder
        self.generator = mock_random
        self.app = DomainDispatcherApplication(create_backend_app)
        self.app.debug = True  # type: ignore[attr-defined]  # as moto.server sets it
        self.lock = threading.Lock()
        self.token = base64.urlsafe_b64encode(os.urandom(18)).decode()
        self.ready = threading.Event()
        self._checkpoint_fd: int | None = None  # the open checkpoint log, once replay is done
        self.replayed = 0
        self.total = 0
        self.generator.seed(seed)
        random.seed(seed)

    # ---- WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path == _HEALTH_PATH:
            return self._respond(start_response, 200, {
                "ready": self.ready.is_set(), "pid": os.getpid(), "moto_version": self.moto_version,
                "replayed": self.replayed, "total": self.total,
            })
        replaying = environ.pop("HTTP_" + _REPLAY_HEADER.upper().replace("-", "_"), None) == self.token
        if not self.ready.is_set() and not replaying:
            return self._respond(start_response, 503, {
                "message": "the embedded cloud is restoring its recorded state; retry in a moment"})
        if path.startswith(_UNLOCKED_PREFIXES):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        with self.lock:
            chunks = self.app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            if self.ready.is_set():
                self._checkpoint()
        return [body]

    @staticmethod
    def _respond(start_response: Callable[..., Any], status: int, data: dict[str, Any]) -> list[bytes]:
        body = json.dumps(data).encode()
        reason = http.client.responses.get(status, "")
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(body)))])
        return [body]

    # ---- determinism bookkeeping

    def _fingerprint(self) -> str:
        state = repr((self.generator.getstate(), random.getstate()))
        return hashlib.sha256(state.encode()).hexdigest()

    def _recording_size(self) -> int:
        try:
            return self.files.recording.stat().st_size
        except OSError:
            return 0

    def _checkpoint_entry(self) -> bytes:
        return json.dumps({"size": self._recording_size(), "rng": self._fingerprint()}).encode() + b"\n"

    def _checkpoint(self) -> None:
        """Append the state after the request just served: one write(2) on the open log (O_APPEND)."""
        assert self._checkpoint_fd is not None
        os.write(self._checkpoint_fd, self._checkpoint_entry())

    def _start_checkpoint_log(self) -> None:
        """Replace the log by one entry for the state replay rebuilt (atomically), then keep it open."""
        tmp = self.files.checkpoints.with_name(self.files.checkpoints.name + ".tmp")
        tmp.write_bytes(self._checkpoint_entry())
        tmp.replace(self.files.checkpoints)
        self.files.legacy_checkpoint.unlink(missing_ok=True)
        self._checkpoint_fd = os.open(self.files.checkpoints, os.O_WRONLY | os.O_APPEND)

    # ---- replay

    def _repair_recording(self) -> int:
        """Drop a last line cut short by a kill -9, so new entries don't get glued onto it."""
        path = self.files.recording
        if not path.exists():
            path.touch(mode=0o600)
            return 0
        data = path.read_bytes()
        if not data or data.endswith(b"\n"):
            return 0
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)
        return 1

    def _send(self, conn: http.client.HTTPConnection, entry: dict[str, Any]) -> int:
        url = urlsplit(str(entry.get("url", "/")))
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        body = entry.get("body") or ""
        payload = base64.b64decode(body) if entry.get("body_encoded") else str(body).encode()
        conn.putrequest(str(entry.get("method", "GET")), target, skip_host=True, skip_accept_encoding=True)
        for name, value in dict(entry.get("headers") or {}).items():
            if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(payload)))
        conn.putheader(_REPLAY_HEADER, self.token)
        conn.endheaders(payload)
        response = conn.getresponse()
        response.read()
        return response.status

    def _replay(self) -> dict[str, Any]:
        """Re-send every recorded request in order; compare fingerprints where the last run left off."""
        started = time.monotonic()
        dropped = self._repair_recording()
        checkpoint = _last_checkpoint(self.files)
        lines = self.files.recording.read_bytes().splitlines(keepends=True)
        self.total = len(lines)
        verdict: str | None = None

        def compare() -> str:
            same = checkpoint is not None and checkpoint.get("rng") == self._fingerprint()
            return ("verified: the replay drew the same ids as the original run" if same
                    else "diverged: the replay did not reproduce the original id sequence")

        if checkpoint is not None and checkpoint.get("size") == 0:
            verdict = compare()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        offset = errors = skipped = 0
        for line in lines:
            offset += len(line)
            try:
                entry = json.loads(line)
            except ValueError:
                skipped += 1
            else:
                try:
                    status = self._send(conn, entry)
                except (OSError, http.client.HTTPException):
                    conn.close()
                    status = 0
                errors += status == 0 or status >= 500
            self.replayed += 1
            if checkpoint is not None and checkpoint.get("size") == offset:
                verdict = compare()
        conn.close()
        if verdict is None:
            verdict = ("unverified: no checkpoint from the previous run" if checkpoint is None
                       else "diverged: the recording does not match the last checkpoint "
                       "(it was edited, truncated or deleted)")
        if not lines and checkpoint is None:
            verdict = "fresh"
        return {"pid": os.getpid(), "at": time.time(), "entries": len(lines), "errors": errors,
                "skipped": skipped, "dropped_incomplete": dropped, "verdict": verdict,
                "seconds": round(time.monotonic() - started, 3)}

    def _restore(self) -> None:
        """Replay, then record from here on; leave a marker if the result can't be trusted."""
        try:
            report = self._replay()
        except Exception as exc:  # keep serving; the marker tells the user what happened
            traceback.print_exc()
            report = {"pid": os.getpid(), "at": time.time(), "entries": self.total, "errors": 0,
                      "verdict": f"diverged: replay failed ({exc})"}
        if report["verdict"].startswith("diverged"):
            reason = f"{report['verdict'].split(': ', 1)[1]}; {report['entries']} recorded requests replayed"
            _write_json(self.files.reset_marker, {"at": time.time(), "reason": reason})
        with self.lock:
            self.recorder.start_recording()
            self._start_checkpoint_log()
        _write_json(self.files.replay, report)
        print(f"egov: replay finished: {json.dumps(report)}", flush=True)
        self.ready.set()

    # ---- main

    def run(self) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        server = make_server(self.host, self.port, self, threaded=True, request_handler=MotoRequestHandler)

        def terminate(signum: int, frame: Any) -> None:
            self.lock.acquire(timeout=5)  # let an in-flight request finish and record its checkpoint
            os._exit(0)

        signal.signal(signal.SIGTERM, terminate)
        signal.signal(signal.SIGINT, terminate)
        threading.Thread(target=self._restore, name="egov-replay", daemon=True).start()
        print(f"egov: moto {self.moto_version} serving on http://{self.host}:{self.port}", flush=True)
        server.serve_forever()


def _main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.local.moto")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the embedded cloud (started by `egov local up`)")
    serve.add_argument("-H", "--host", default=LOOPBACK, help="address to bind (loopback only by design)")
    serve.add_argument("-p", "--port", type=int, required=True)
    serve.add_argument("--state-dir", type=Path, required=True, help="where the recording lives")
    serve.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    _Server(args.host, args.port, args.state_dir, args.seed).run()


if __name__ == "__main__":
    _main(sys.argv[1:])
