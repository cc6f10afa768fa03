"""Which OpenBao `egov vault` and `egov cert` talk to, and with which token: the CLI decides, the library obeys.

``infra.vault`` only takes explicit settings (``Connection``); the embedded OpenBao of ``egov local`` is
known here. On the embedded server (VAULT_ADDR unset, or set to it by ``eval "$(egov local env)"`` with
VAULT_TOKEN still Pulumi's token) the CLI reads the root token from the local ``init.json``: there is no
other holder of it on a developer machine, and `egov vault apply` needs it for its break-glass actions.
Anywhere else VAULT_TOKEN is the operator's own token and the break-glass token comes from
EGOV_VAULT_BREAK_GLASS_TOKEN, for the few actions that need it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from infra.local.openbao import OpenBao
from infra.local.paths import LocalPaths
from infra.local.process import LocalEnvError
from infra.vault.errors import VaultUnavailable
from infra.vault.live import Connection, connect


def vault_connection(env: Mapping[str, str] | None = None, *, insecure_http: bool = False) -> Connection:
    """The embedded OpenBao with its root token, or VAULT_ADDR/VAULT_TOKEN (see the module docstring)."""
    env = os.environ if env is None else env
    address = env.get("VAULT_ADDR", "").rstrip("/")
    embedded = OpenBao(LocalPaths.default())
    if address and address not in _addresses(embedded):
        return connect(env, insecure_http=insecure_http)
    try:
        root = embedded.root_connection()
        if address and env.get("VAULT_TOKEN") not in (None, "", embedded.pulumi.token()):
            return connect(env, insecure_http=insecure_http)  # an explicit token of someone's own: use it
    except LocalEnvError as exc:
        if address:
            return connect(env, insecure_http=insecure_http)
        raise VaultUnavailable(f"no VAULT_ADDR set and the embedded OpenBao is not usable: {exc}") from exc
    return root


def _addresses(embedded: OpenBao) -> list[str]:
    try:
        return embedded.addresses()
    except LocalEnvError:
        return []
