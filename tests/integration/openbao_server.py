"""A real OpenBao (raft, TLS, Shamir) of a test module's own, and the plain clients the tests check it with.

``conftest.py`` turns :func:`openbao_server` into the module-scoped ``openbao_server`` fixture (and
``bao``, the same server, which a module overrides to add setup of its own), so each test module gets a
server (and a LocalPaths root) of its own. Tests that start servers themselves stop them with
:func:`stop_openbao`.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
from collections.abc import Iterator, Mapping
from pathlib import Path

import hvac
from typer.testing import CliRunner

from infra.cli.main import app
from infra.local.openbao import OpenBao
from infra.local.paths import LocalPaths
from infra.local.process import DaemonRecord, pid_alive

# rich draws tables with these; tests that compare whole messages drop them
_BOX_DRAWING = re.compile(r"[\u2500-\u257f]")


@contextlib.contextmanager
def openbao_server(root: Path) -> Iterator[OpenBao]:
    """A single-node OpenBao up in ``LocalPaths(root)``, stopped on exit (see :func:`stop_openbao`)."""
    instance = OpenBao(LocalPaths(root))
    try:
        instance.up()
        yield instance
    finally:
        stop_openbao(instance)


def stop_openbao(bao: OpenBao) -> None:
    """down(), and if that failed, still kill the servers this test started (by their recorded PIDs)."""
    try:
        bao.down()
    finally:
        kill_leftovers(bao.dir)


def kill_leftovers(openbao_dir: Path) -> None:
    """SIGKILL every live server recorded under ``openbao_dir`` (each node's ``server.json``) whose
    command line names that node's ``config.hcl``: ours, never a process that reused the PID."""
    for record_path in openbao_dir.glob("**/server.json"):
        record = DaemonRecord.load(record_path)
        config = record_path.with_name("config.hcl")
        if record is not None and pid_alive(record.pid):
            cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().decode(errors="replace")
            if str(config) in cmdline:
                os.kill(record.pid, signal.SIGKILL)


def ns_client(bao: OpenBao, namespace: str = "", token: str | None = None) -> hvac.Client:
    """A plain hvac client on ``bao`` in ``namespace`` (the root namespace if empty), with the root token
    unless ``token`` is given."""
    env = bao.root_env()
    return hvac.Client(url=env["VAULT_ADDR"], token=token or env["VAULT_TOKEN"], verify=env["VAULT_CACERT"],
                       namespace=namespace or None)


def pipeline_credentials(bao: OpenBao, tenant: str) -> tuple[str, str]:
    """The tenant pipeline's role_id and a fresh secret_id (issued with the root token)."""
    admin = ns_client(bao, f"tenants/{tenant}")
    role_id = admin.read("auth/approle/role/pipeline/role-id")["data"]["role_id"]
    secret_id = admin.write_data("auth/approle/role/pipeline/secret-id")["data"]["secret_id"]
    return role_id, secret_id


def pipeline_login(bao: OpenBao, tenant: str) -> hvac.Client:
    """Log in as the tenant's pipeline: role_id + a fresh secret_id (issued with the root token)."""
    role_id, secret_id = pipeline_credentials(bao, tenant)
    client = ns_client(bao, f"tenants/{tenant}", token="none")
    client.auth.approle.login(role_id=role_id, secret_id=secret_id)
    return client


def vault_cli(env: Mapping[str, str], *args: str, input: str | None = None,
              boxes: bool = True) -> tuple[int, str]:
    """`egov vault ARGS` through typer's CliRunner, 250 columns wide: its exit code and its output with the
    white space folded (rich wraps messages at the terminal width), box characters dropped unless ``boxes``."""
    result = CliRunner().invoke(app, ["vault", *args], env={**env, "COLUMNS": "250"}, input=input)
    output = result.output if boxes else _BOX_DRAWING.sub(" ", result.output)
    return result.exit_code, " ".join(output.split())


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
