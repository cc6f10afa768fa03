"""Pulumi state evidence through the real CLI: for every stack of the backend, its secrets provider and the
property paths (never the values) of secrets kept in plaintext.

``pulumi stack ls --json --all`` and ``pulumi stack export`` are reads; the state itself is not kept in the
evidence, only what the checks judge, so the evidence folder never holds a secret that leaked into state.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from compliance.evidence.cloud import SourceUnreachable
from infra.engine import EngineError, Stack

TRANSIT_ROUTE_TYPE = "egov:ec2:TransitGatewayRoute"
"""Our provider's transit route: its table, destination and attachment name a route's target where the
cloud's own answer leaves it out (moto's search_transit_gateway_routes does)."""
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of an encrypted secret value
SECRET_NAMES = ("password", "passphrase", "secret", "secretkey", "secretaccesskey", "token", "privatekey",
                "apikey", "clientsecret")
EXPORTS_AT_ONCE = 4
PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def plaintext_secrets(value: Any, path: str = "") -> Iterator[str]:
    """Property paths under ``value`` holding a secret in clear: a secret-named key with a text value that is
    not Pulumi's encrypted envelope, or a PEM private key under any name."""
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG):
            return
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            normalized = re.sub(r"[^a-z]", "", str(key).lower())
            if isinstance(item, str) and item and normalized.endswith(SECRET_NAMES):
                yield where
            else:
                yield from plaintext_secrets(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from plaintext_secrets(item, f"{path}[{index}]")
    elif isinstance(value, str) and PEM_PRIVATE_KEY.search(value):
        yield path


class StateCollector:
    def __init__(self, environ: Mapping[str, str] | None = None, leave_out: frozenset[str] = frozenset()) -> None:
        self.env = dict(os.environ if environ is None else environ)
        self.leave_out = leave_out
        """Stacks not to read: other departments' own stacks in a tenant's scan (``ScanOptions``)."""
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return self.env.get("PULUMI_BACKEND_URL", "(the CLI's current login)")

    def _run(self, *args: str, stack: str = "_list") -> str:
        with self._lock:
            self.calls[f"pulumi {' '.join(args[:2])}"] = self.calls.get(f"pulumi {' '.join(args[:2])}", 0) + 1
        try:
            return Stack(stack, env=self.env).run(*args, stack_flag=stack != "_list").stdout
        except (EngineError, FileNotFoundError, OSError) as exc:
            raise SourceUnreachable("state", self.address, str(exc).strip().splitlines()[-1][:300]) from exc

    def collect(self, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
        progress(f"state: listing stacks at {self.address}")
        stacks = json.loads(self._run("stack", "ls", "--json", "--all") or "[]")
        found = []
        routes: list[dict[str, str]] = []
        listed = [str(entry["name"]) for entry in stacks]
        names = [name for name in listed if name not in self.leave_out]

        def export(name: str) -> dict[str, Any]:
            progress(f"state: exporting {name}")
            return json.loads(self._run("stack", "export", stack=name)).get("deployment") or {}

        # one CLI process per stack, a few at a time: a tenant's gate reads every stack of the backend
        with ThreadPoolExecutor(max_workers=EXPORTS_AT_ONCE) as pool:
            deployments = list(pool.map(export, names))
        for name, deployment in zip(names, deployments, strict=True):
            provider = deployment.get("secrets_providers") or {}
            paths = [f"{r.get('urn')}:{p}" for r in deployment.get("resources") or ()
                     for p in plaintext_secrets({"inputs": r.get("inputs"), "outputs": r.get("outputs")})]
            routes += [{"table": str(o.get("transitGatewayRouteTableId")),
                        "destination": str(o.get("destinationCidrBlock")),
                        "attachment": str(o.get("transitGatewayAttachmentId")), "stack": name}
                       for r in deployment.get("resources") or () if r.get("type") == TRANSIT_ROUTE_TYPE
                       for o in [r.get("outputs") or {}] if o.get("transitGatewayAttachmentId")]
            found.append({
                "name": name,
                "secrets_provider": {"type": provider.get("type"), "url": (provider.get("state") or {}).get("url")},
                "resources": len(deployment.get("resources") or ()),
                "plaintext_secret_paths": paths,
                "tenant": stack_tenant(deployment),
            })
        return {"backend": self.address, "global": {"stacks": found, "transit_routes": routes,
                                                     "left_out": len(listed) - len(names)}, "errors": {}}


def stack_tenant(deployment: Mapping[str, Any]) -> str:
    """The department a stack belongs to (the ``egov:tenant`` tag its resources carry), "" for the platform's:
    a tenant's scan then judges its own stack and not another department's."""
    for resource in deployment.get("resources") or ():
        tags = (resource.get("inputs") or {}).get("tags")
        if isinstance(tags, Mapping) and isinstance(tags.get("egov:tenant"), str):
            return str(tags["egov:tenant"])
    return ""
