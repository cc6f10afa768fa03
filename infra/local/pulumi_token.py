"""Pulumi's own OpenBao token for the embedded environment: encrypt/decrypt with one transit key, nothing else.

``egov local up`` writes the ``pulumi`` policy (rendered from ``policies/vault/templates/pulumi.hcl.tmpl``,
the same text ``egov vault apply`` manages) and issues a periodic, renewable orphan token carrying only it
(no ``default``). ``egov local env`` exports that token as VAULT_TOKEN, never the root token. The token is
kept in ``pulumi-token.json`` (0600) next to ``init.json`` and renewed, or reissued once expired, by
``up()`` and whenever it is read with less than :data:`RENEW_BELOW` left (with the local root token:
the Pulumi token itself may not even look itself up).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import requests

from infra.files import write_private_file
from infra.local.process import LocalEnvError
from infra.vault.policies import PULUMI_POLICY, render_pulumi_policy

# Short-lived: a leaked token is good for at most an hour unless someone holding the root token renews it.
PERIOD_SECONDS = 3600
RENEW_BELOW = 30 * 60


class PulumiToken:
    """The Pulumi token of one embedded OpenBao; ``root_client`` gives an hvac client with the root token."""

    def __init__(self, directory: Path, key: str, root_client: Callable[[], hvac.Client]) -> None:
        self.path = directory / "pulumi-token.json"
        self.key = key
        self._root_client = root_client

    def ensure(self, progress: Callable[[str], None] = lambda _: None) -> str:
        """The policy as rendered, and a token with at least :data:`RENEW_BELOW` left; returns the token."""
        client = self._root_client()
        policy = render_pulumi_policy(self.key)
        try:
            current = client.adapter.get(f"/v1/sys/policies/acl/{PULUMI_POLICY}")["data"]["policy"]
        except hvac.exceptions.InvalidPath:
            current = None
        if current != policy:
            progress(f"OpenBao: writing the `{PULUMI_POLICY}` policy (encrypt/decrypt with {self.key} only)")
            client.sys.create_or_update_policy(PULUMI_POLICY, policy)
        return self._fresh(client, progress)

    def token(self) -> str:
        """The stored token, renewed or reissued first when it has less than :data:`RENEW_BELOW` left."""
        record = self._load()
        if record is not None and float(record.get("expires_at", 0)) - time.time() > RENEW_BELOW:
            return str(record["token"])
        try:
            return self._fresh(self._root_client())
        except (requests.exceptions.RequestException, hvac.exceptions.VaultError) as exc:
            raise LocalEnvError(f"the Pulumi token in {self.path} is expiring or gone and OpenBao could not renew "
                                f"or reissue it ({exc.__class__.__name__}: {exc}); run `egov local up`") from exc

    def _fresh(self, client: hvac.Client, progress: Callable[[str], None] = lambda _: None) -> str:
        record = self._load()
        if record is not None:
            left = float(record.get("expires_at", 0)) - time.time()
            if left > RENEW_BELOW:
                return str(record["token"])
            try:
                renewed = client.auth.token.renew(record["token"], increment=f"{PERIOD_SECONDS}s")
                return self._save(str(record["token"]), renewed["auth"])
            except hvac.exceptions.VaultError:
                pass  # expired or revoked: issue a new one
        progress(f"OpenBao: issuing Pulumi's token (policy `{PULUMI_POLICY}` only, renewable, {PERIOD_SECONDS}s)")
        created = client.auth.token.create(policies=[PULUMI_POLICY], no_default_policy=True, no_parent=True,
                                           renewable=True, period=f"{PERIOD_SECONDS}s",
                                           display_name="egov-local-pulumi")
        return self._save(str(created["auth"]["client_token"]), created["auth"])

    def _save(self, token: str, auth: dict[str, Any]) -> str:
        record = {"token": token, "accessor": auth.get("accessor", ""), "policies": auth.get("policies", []),
                  "expires_at": time.time() + int(auth.get("lease_duration") or 0)}
        write_private_file(self.path, (json.dumps(record, indent=2) + "\n").encode())
        return token

    def _load(self) -> dict[str, Any] | None:
        try:
            record = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable: reissue (the old token then simply expires)
        return record if isinstance(record, dict) and isinstance(record.get("token"), str) else None
