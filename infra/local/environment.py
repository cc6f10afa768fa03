"""The embedded environment as one thing: moto (the cloud), OpenBao (the keys) and the Pulumi backend.

`egov local up|down|status|env` and the tests use this; production points the same code at a real
endpoint and a real Vault instead (see README).
"""

from __future__ import annotations

from collections.abc import Callable

from infra.engine import engine_settings
from infra.local.backend import BackendChoice, backend_status, backend_url, select_backend
from infra.local.moto import MotoCloud
from infra.local.openbao import OpenBao
from infra.local.paths import LocalPaths
from infra.local.status import PartStatus

Progress = Callable[[str], None]


class LocalEnvironment:
    """The three parts together; each is safe to bring up again."""

    def __init__(self, paths: LocalPaths | None = None, *, vault_nodes: int | None = None) -> None:
        """``vault_nodes``: OpenBao raft nodes to run (None: as many as before, one on a fresh setup)."""
        self.paths = paths or LocalPaths.default()
        self.cloud = MotoCloud(self.paths)
        self.vault = OpenBao(self.paths, nodes=vault_nodes)

    def up(self, progress: Progress = lambda _: None, *, renew_tls: bool = False,
           backend: str | None = None) -> list[PartStatus]:
        """Bring every part up; parts already running are left alone, so this is safe to repeat.

        ``renew_tls``: a new bootstrap CA and OpenBao server certificate (`egov local up --renew-tls`).
        ``backend``: "file" or "s3" for Pulumi's state from now on (None: as before, file on a fresh setup).
        """
        self.paths.ensure()
        self.cloud.up(progress)
        if backend is not None or BackendChoice.load(self.paths).kind == "s3":
            progress("setting up the Pulumi state backend")
            select_backend(self.paths, backend, self.cloud.env())
        self.vault.up(progress, renew_tls=renew_tls)
        self._unseal_tenant_namespaces(progress)
        return self.status()

    def _unseal_tenant_namespaces(self, progress: Progress) -> None:
        """A restart leaves sealable tenant namespaces sealed; locally we keep their shares, so unseal them."""
        from infra.vault.live import connect
        from infra.vault.seal import KEYS_DIR_VARIABLE, KeyShareStore, unseal_stored

        keys_dir = self.vault.namespace_keys_dir
        if not keys_dir.is_dir():
            return
        conn = connect({**self.vault.root_env(), KEYS_DIR_VARIABLE: str(keys_dir)})
        for message in unseal_stored(conn, KeyShareStore(keys_dir)):
            progress(message)

    def down(self) -> None:
        """Stop our processes (by recorded PID); all state stays on disk for the next `up`."""
        self.vault.down()
        self.cloud.down()

    def status(self) -> list[PartStatus]:
        return [self.cloud.status(), self.vault.status(), backend_status(self.paths, self.cloud.env())]

    @property
    def secrets_provider(self) -> str:
        return self.vault.secrets_provider_url

    def env(self) -> dict[str, str]:
        """Everything a shell (or the engine) needs to use this environment; VAULT_TOKEN is Pulumi's own
        token (encrypt/decrypt with its key only), never the root token."""
        return {
            **self.cloud.env(),
            **self.vault.env(),
            "EGOV_HOME": str(self.paths.root),
            "PULUMI_BACKEND_URL": backend_url(self.paths, self.cloud.env()),
            "PULUMI_HOME": str(self.paths.pulumi_home),
            **engine_settings(),
        }


def diagnose(error: Exception, env: LocalEnvironment) -> str:
    """Turn an engine failure caused by the embedded environment into what happened and what to do.

    Returns "" when the failure is not one we recognise, so callers show the engine's own message alone.
    """
    text = str(error)
    vault, cloud = env.vault.address, env.cloud.endpoint
    if "Vault is sealed" in text:
        return f"OpenBao at {vault} is sealed, so stack secrets cannot be decrypted: run `egov local up` to unseal it"
    if vault.split("://", 1)[-1] in text and ("connection refused" in text or "no such host" in text):
        return f"OpenBao at {vault} is not reachable (not running?): run `egov local up`"
    if cloud in text and ("Could not connect" in text or "connection refused" in text.lower()):
        return (f"the embedded cloud at {cloud} is not reachable: run `egov local up`, then run the same command "
                "again; Pulumi resumes from its state")
    return ""
