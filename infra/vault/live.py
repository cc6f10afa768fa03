"""Talking to a real OpenBao with hvac: connect, check it is usable, read resources, write actions.

Every request names its namespace explicitly (``X-Vault-Namespace`` through an hvac client per
namespace on one shared session), so a resource can never land in the wrong tenant. Reads map
OpenBao's answers onto exactly the fields ``resources.py`` declares, normalised (seconds for
durations, canonical CIDRs) so that an unchanged server yields an empty plan.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from infra.vault.breakglass import BREAK_GLASS_VARIABLE, break_glass_reason
from infra.vault.errors import NamespaceSealed, VaultOpsError, VaultUnavailable
from infra.vault.model import PIPELINE_MANAGER, NamespaceSeal
from infra.vault.plan import Action, Finding, in_namespace
from infra.vault.resources import Resource
from infra.vault.seal import KEYS_DIR_VARIABLE, KeyShareStore, create_sealable, read_seal_status

# A CA expiring sooner than this is reported: tenant CAs are signed for up to 2 years below it.
CA_EXPIRY_WARNING = dt.timedelta(days=90)
KV_UPGRADE_TIMEOUT = 15.0


INSECURE_HTTP_VARIABLE = "EGOV_VAULT_INSECURE_HTTP"


@dataclass
class Connection:
    """Where OpenBao is and how we authenticate; ``source`` says where that came from, for messages.

    ``break_glass_token`` is the root token for the few actions the `operators` policy refuses on purpose
    (see ``breakglass.py``); when ``token`` is itself a root token (``preflight`` finds out), it is used.
    """

    address: str
    token: str
    verify: bool | str
    source: str
    # Where key shares of new sealable namespaces are written (0600); None: nowhere, so none can be created.
    namespace_keys_dir: Path | None = None
    break_glass_token: str | None = field(default=None, repr=False)
    # A token would cross the network in clear over http://; only with this explicit opt-in.
    insecure_http: bool = False
    token_policies: tuple[str, ...] = ()  # of ``token``, filled in by ``preflight``
    _session: requests.Session = field(default_factory=requests.Session, repr=False)
    _clients: dict[str, hvac.Client] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_address(self.address, self.insecure_http, self.source)
        self._session.verify = self.verify

    def break_glass(self) -> Connection | None:
        """A connection with the break-glass (root) token, or None when there is none to use."""
        if "root" in self.token_policies:
            return self
        if not self.break_glass_token:
            return None
        return Connection(self.address, self.break_glass_token, self.verify, self.source,
                          namespace_keys_dir=self.namespace_keys_dir, insecure_http=self.insecure_http,
                          token_policies=("root",))

    def client(self, namespace: str = "") -> hvac.Client:
        """An hvac client bound to one namespace ("" = root); all share one TLS session."""
        if namespace not in self._clients:
            self._clients[namespace] = hvac.Client(url=self.address, token=self.token, verify=self.verify,
                                                   namespace=namespace or None, session=self._session)
        return self._clients[namespace]

    @property
    def key_store(self) -> KeyShareStore | None:
        return KeyShareStore(self.namespace_keys_dir) if self.namespace_keys_dir is not None else None

    @property
    def what_to_do(self) -> str:
        if self.source == "embedded":
            return "start or unseal the embedded one with `egov local up`"
        return f"check VAULT_ADDR={self.address} and that the server runs and is unsealed"

    def call(self, method: str, namespace: str, path: str, body: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None) -> dict[str, Any] | None:
        """One API call; ``None`` for 404 on reads, the JSON body otherwise ({} when there is none)."""
        try:
            result = self.client(namespace).adapter.request(
                method, f"/v1/{path}", json=dict(body) if body is not None else None, headers=dict(headers or {}))
        except hvac.exceptions.InvalidPath:
            if method in ("GET", "LIST"):
                return None
            raise
        except hvac.exceptions.VaultDown as exc:
            if "namespace is sealed" in _first_error(exc):
                parent, _, name = namespace.rpartition("/")
                raise NamespaceSealed(
                    f"namespace {namespace or '(root)'} at {self.address} is sealed on its own, so {method} {path} "
                    f"was refused (503 \"namespace is sealed\"); the other namespaces are not affected. Unseal it "
                    f"with `egov vault unseal-tenant {name}` or `bao namespace unseal -namespace={parent} {name}`"
                ) from exc
            raise VaultUnavailable(f"OpenBao at {self.address} is sealed or down ({_first_error(exc)}); "
                                   f"{self.what_to_do}") from exc
        except requests.exceptions.ConnectionError as exc:
            raise VaultUnavailable(f"OpenBao at {self.address} stopped answering ({exc.__class__.__name__}); "
                                   f"{self.what_to_do}") from exc
        return result if isinstance(result, dict) else {}


def _first_error(exc: hvac.exceptions.VaultError) -> str:
    errors = getattr(exc, "errors", None)
    return str(errors[0]) if errors else str(exc)


def check_address(address: str, insecure_http: bool, source: str = "environment") -> None:
    """``https://`` only: over ``http://`` the token and every secret cross the network in clear."""
    scheme = address.split("://", 1)[0].lower() if "://" in address else ""
    if scheme == "https" or (scheme == "http" and insecure_http):
        return
    where = "VAULT_ADDR" if source == "environment" else f"the OpenBao address ({source})"
    if scheme == "http":
        raise VaultUnavailable(
            f"{where} is {address}: plain http:// would send the token and every secret in clear, so it is "
            f"refused. Use the server's https:// address (and VAULT_CACERT for its CA), or, for a throw-away "
            f"test server only, opt in with --insecure-http or {INSECURE_HTTP_VARIABLE}=1. Nothing was changed.")
    raise VaultUnavailable(f"{where} is {address!r}, which is not an https:// URL; write it as "
                           "https://host:port. Nothing was changed.")


def connect(env: Mapping[str, str] | None = None, *, insecure_http: bool = False) -> Connection:
    """A connection from VAULT_ADDR/VAULT_TOKEN/VAULT_CACERT (+ the break-glass token and key-share directory).

    The embedded OpenBao of ``egov local`` is not known here (this layer does not import ``infra.local``):
    the CLI passes its settings in, see ``infra/cli/vault_connection.py``.
    """
    env = os.environ if env is None else env
    address = env.get("VAULT_ADDR", "").rstrip("/")
    if not address:
        raise VaultUnavailable("VAULT_ADDR is not set: export the address of OpenBao (https://...) and a token "
                               "carrying the `operators` policy in VAULT_TOKEN, or run `egov local up` and "
                               "`eval \"$(egov local env)\"` for the embedded one")
    insecure_http = insecure_http or env.get(INSECURE_HTTP_VARIABLE, "") in ("1", "true", "yes")
    check_address(address, insecure_http)
    token = env.get("VAULT_TOKEN", "")
    if not token:
        raise VaultUnavailable(f"VAULT_ADDR is set ({address}) but VAULT_TOKEN is not: export a token that "
                               "carries the `operators` policy, or unset VAULT_ADDR to use the embedded OpenBao")
    keys_dir = env.get(KEYS_DIR_VARIABLE)
    return Connection(address, token, env.get("VAULT_CACERT") or True, source="environment",
                      namespace_keys_dir=Path(keys_dir) if keys_dir else None,
                      break_glass_token=env.get(BREAK_GLASS_VARIABLE) or None, insecure_http=insecure_http)


def preflight(conn: Connection) -> None:
    """Reachable, initialized, unsealed, token accepted: checked before the first read or write."""
    try:
        status = conn.client().sys.read_seal_status()
    except requests.exceptions.SSLError as exc:
        raise VaultUnavailable(f"TLS verification of {conn.address} failed ({exc.__class__.__name__}); set "
                               "VAULT_CACERT to the CA that signed its certificate. Nothing was changed.") from exc
    except (requests.exceptions.RequestException, hvac.exceptions.VaultError) as exc:
        raise VaultUnavailable(f"OpenBao at {conn.address} is unreachable ({exc.__class__.__name__}: {exc}); "
                               f"{conn.what_to_do}. Nothing was changed.") from exc
    if not status.get("initialized", False):
        raise VaultUnavailable(f"OpenBao at {conn.address} is not initialized; initialize it (`egov local up` "
                               "does so for the embedded one). Nothing was changed.")
    if status.get("sealed", True):
        raise VaultUnavailable(
            f"OpenBao at {conn.address} is sealed, so nothing can be read or changed (nothing was). Unseal it: "
            f"`egov local up` for the embedded server, or `bao operator unseal` with VAULT_ADDR={conn.address} "
            f"({status.get('progress', 0)}/{status.get('t', '?')} key shares given so far), then run again.")
    try:
        me = conn.client().auth.token.lookup_self()
        conn.token_policies = tuple(str(p) for p in ((me.get("data") or {}).get("policies") or []))
    except hvac.exceptions.Forbidden as exc:
        raise VaultUnavailable(f"OpenBao at {conn.address} rejected the token ({_first_error(exc)}); export "
                               "VAULT_TOKEN for a valid token carrying the `operators` policy. Nothing was changed."
                               ) from exc


# ------------------------------------------------------------------------------------ reading


def _seconds(value: Any) -> int:
    """OpenBao returns durations as seconds, or as Go strings like "768h0m0s" in a few places."""
    if isinstance(value, int | float):
        return int(value)
    total = 0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(h|m|s)", str(value)):
        total += int(float(number) * {"h": 3600, "m": 60, "s": 1}[unit])
    return total


def _cidrs(values: Sequence[str] | None) -> list[str]:
    return sorted(str(ipaddress.ip_network(v, strict=False)) for v in values or [])


def _name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _mount_of(path: str) -> str:
    return path.split("/", 1)[0]


def _audit_hmac(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """The keys a mount's audit entries carry in clear; OpenBao leaves them out of the listing when empty."""
    return {name: sorted(str(v) for v in config.get(name) or [])
            for name in ("audit_non_hmac_request_keys", "audit_non_hmac_response_keys")}


@dataclass(frozen=True)
class _CaInfo:
    common_name: str
    key_type: str
    permitted_dns_domains: list[str]
    not_after: dt.datetime
    self_signed: bool


def _ca_info(pem: str) -> _CaInfo:
    cert = x509.load_pem_x509_certificate(pem.encode())
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    public = cert.public_key()
    key_type = "ec" if isinstance(public, ec.EllipticCurvePublicKey) else (
        "rsa" if isinstance(public, rsa.RSAPublicKey) else type(public).__name__)
    try:
        constraints = cert.extensions.get_extension_for_class(x509.NameConstraints).value
        permitted = sorted(str(n.value) for n in constraints.permitted_subtrees or []
                           if isinstance(n, x509.DNSName))
    except x509.ExtensionNotFound:
        permitted = []
    return _CaInfo(common_name=str(names[0].value) if names else "", key_type=key_type,
                   permitted_dns_domains=permitted, not_after=cert.not_valid_after_utc,
                   self_signed=cert.subject == cert.issuer)


class Observer:
    """Reads each declared resource once; listings (mounts, auth, audit) are cached per namespace."""

    def __init__(self, conn: Connection, now: dt.datetime | None = None) -> None:
        self.conn = conn
        self.now = now or dt.datetime.now(dt.UTC)
        self.findings: list[Finding] = []
        self.sealed: list[str] = []  # namespaces sealed on their own: nothing inside them can be read
        self._listings: dict[tuple[str, str], dict[str, Any]] = {}

    def observe(self, resources: Sequence[Resource]) -> dict[str, dict[str, Any] | None]:
        observed: dict[str, dict[str, Any] | None] = {}
        for resource in resources:
            if any(in_namespace(resource.namespace, sealed) for sealed in self.sealed):
                continue  # left out of the plan, reported once per namespace
            if any(observed.get(need, {}) is None for need in resource.needs):
                observed[resource.key] = None  # its parent is absent, so it is too; do not ask
                continue
            try:
                observed[resource.key] = self._read(resource)
            except hvac.exceptions.Forbidden as exc:
                raise VaultOpsError(
                    f"reading {resource} at {self.conn.address} was refused ({_first_error(exc)}): the token "
                    "lacks a capability of the `operators` policy. Nothing was changed.") from exc
        return observed

    def _listing(self, namespace: str, path: str) -> dict[str, Any]:
        if (namespace, path) not in self._listings:
            body = self.conn.call("GET", namespace, path) or {}
            self._listings[namespace, path] = dict(body.get("data", body))
        return self._listings[namespace, path]

    def _data(self, namespace: str, path: str, method: str = "GET") -> dict[str, Any] | None:
        body = self.conn.call(method, namespace, path)
        return None if body is None else dict(body.get("data") or {})

    def _read(self, r: Resource) -> dict[str, Any] | None:
        reader: Callable[[Resource], dict[str, Any] | None] = getattr(self, f"_read_{r.kind}")
        return reader(r)

    def _read_namespace(self, r: Resource) -> dict[str, Any] | None:
        data = self._data(r.namespace, r.path)
        if data is None:
            return None
        seen: dict[str, Any] = {"custom_metadata": dict(data.get("custom_metadata") or {})}
        if "sealable" in r.immutable:  # tenant namespaces: does it have its own seal, and is it sealed?
            namespace = f"{r.namespace}/{_name_of(r.path)}" if r.namespace else _name_of(r.path)
            status = read_seal_status(self.conn, namespace)
            seen["sealable"] = status is not None
            if status is not None:
                seen.update(sealed=status.sealed, seal_threshold=status.threshold, seal_shares=status.shares)
                if status.sealed:
                    self.sealed.append(namespace)
        return seen

    def _read_mount(self, r: Resource) -> dict[str, Any] | None:
        entry = self._listing(r.namespace, "sys/mounts").get(_name_of(r.path) + "/")
        if entry is None:
            return None
        config = entry.get("config") or {}
        return {"type": entry.get("type"), "version": (entry.get("options") or {}).get("version"),
                "max_lease_ttl": _seconds(config.get("max_lease_ttl", 0)), **_audit_hmac(config)}

    def _read_auth_mount(self, r: Resource) -> dict[str, Any] | None:
        entry = self._listing(r.namespace, "sys/auth").get(_name_of(r.path) + "/")
        if entry is None:
            return None
        return {"type": entry.get("type"), **_audit_hmac(entry.get("config") or {})}

    def _read_audit_device(self, r: Resource) -> dict[str, Any] | None:
        entry = self._listing(r.namespace, "sys/audit").get(_name_of(r.path) + "/")
        return None if entry is None else {"type": entry.get("type")}

    def _read_kv_config(self, r: Resource) -> dict[str, Any] | None:
        data = self._data(r.namespace, r.path)
        if data is None:
            return None
        return {"max_versions": data.get("max_versions"), "cas_required": data.get("cas_required"),
                "delete_version_after": _seconds(data.get("delete_version_after", 0))}

    def _read_transit_key(self, r: Resource) -> dict[str, Any] | None:
        data = self._data(r.namespace, r.path)
        if data is None:
            return None
        fields = ("type", "exportable", "allow_plaintext_backup", "deletion_allowed")
        return {**{name: data.get(name) for name in fields},
                "auto_rotate_period": _seconds(data.get("auto_rotate_period", 0))}

    def _read_policy(self, r: Resource) -> dict[str, Any] | None:
        body = self.conn.call("GET", r.namespace, r.path)
        if body is None:
            return None
        return {"policy": (body.get("data") or body).get("policy")}

    def _read_approle_role(self, r: Resource) -> dict[str, Any] | None:
        data = self._data(r.namespace, r.path)
        if data is None:
            return None
        seen = {name: data.get(name) for name in r.settings}
        for name in ("token_ttl", "token_max_ttl", "secret_id_ttl"):
            seen[name] = _seconds(data.get(name, 0))
        seen["token_bound_cidrs"] = _cidrs(data.get("token_bound_cidrs"))
        seen["secret_id_bound_cidrs"] = _cidrs(data.get("secret_id_bound_cidrs"))
        return seen

    def _read_pki_urls(self, r: Resource) -> dict[str, Any] | None:
        data = self._data(r.namespace, r.path)
        return None if data is None else {name: list(data.get(name) or []) for name in r.settings}

    def _read_pki_role(self, r: Resource) -> dict[str, Any] | None:
        data = self._data(r.namespace, r.path)
        if data is None:
            return None
        seen = {name: data.get(name) for name in r.settings}
        seen["max_ttl"] = _seconds(data.get("max_ttl", 0))
        return seen

    def _default_ca(self, r: Resource) -> _CaInfo | None:
        """The mount's default issuer, if it exists and holds a key (a bare imported chain does not count)."""
        mount = _mount_of(r.path)
        if self._data(r.namespace, f"{mount}/issuers", method="LIST") is None:
            return None
        try:
            issuer = self._data(r.namespace, f"{mount}/issuer/default")
        except hvac.exceptions.InvalidRequest:
            return None  # issuers exist but none is the default: treat as not set up
        if not issuer or not issuer.get("key_id") or not issuer.get("certificate"):
            return None
        return _ca_info(str(issuer["certificate"]))

    def _ca(self, r: Resource, want_self_signed: bool) -> dict[str, Any] | None:
        info = self._default_ca(r)
        if info is None or info.self_signed != want_self_signed:
            return None
        left = info.not_after - self.now
        if left < CA_EXPIRY_WARNING:
            self.findings.append(Finding(
                "warning", str(r), f"expires on {info.not_after:%Y-%m-%d} ({left.days} days left)",
                "plan a CA rollover now: apply never re-keys a CA by itself"))
        return {"common_name": info.common_name, "key_type": info.key_type,
                "permitted_dns_domains": info.permitted_dns_domains}

    def _read_pki_root(self, r: Resource) -> dict[str, Any] | None:
        return self._ca(r, want_self_signed=True)

    def _read_pki_intermediate(self, r: Resource) -> dict[str, Any] | None:
        return self._ca(r, want_self_signed=False)

    def _read_tenant_ca(self, r: Resource) -> dict[str, Any] | None:
        return self._ca(r, want_self_signed=False)

    def unmanaged_findings(self, resources: Sequence[Resource]) -> list[Finding]:
        """What the plan cannot converge but a human must see: mounts the tool does not manage that write
        values in clear to the audit log, and AppRole roles nobody declared (their bindings go unchecked)."""
        managed = {r.key for r in resources}
        findings: list[Finding] = []
        for (namespace, listing), entries in sorted(self._listings.items()):
            kind = {"sys/mounts": "secrets engine", "sys/auth": "auth method"}.get(listing)
            if kind is None:
                continue
            for path, entry in sorted(entries.items()):
                key = "/".join(filter(None, (namespace, listing, str(path).rstrip("/"))))
                clear = {name: keys for name, keys in _audit_hmac((entry or {}).get("config") or {}).items() if keys}
                if key in managed or not clear:
                    continue
                tune = "secrets tune" if listing == "sys/mounts" else "auth tune"
                findings.append(Finding(
                    "warning", f"{kind} {key}",
                    "is not managed by apply and has its audit log write "
                    + "; ".join(f"{name} {', '.join(keys)}" for name, keys in clear.items()) + " in clear",
                    f"with the break-glass token, `bao {tune} -namespace={namespace or 'root'} "
                    f"-audit-non-hmac-request-keys= -audit-non-hmac-response-keys= {str(path).rstrip('/')}` "
                    "(or remove the mount), then check the audit log for what leaked"))
            if listing == "sys/auth":
                findings += self._unmanaged_roles(namespace, entries, managed)
        return findings

    def _unmanaged_roles(self, namespace: str, auth: Mapping[str, Any], managed: set[str]) -> list[Finding]:
        findings = []
        for path, entry in sorted(auth.items()):
            if (entry or {}).get("type") != "approle":
                continue
            mount = str(path).rstrip("/")
            listing = self.conn.call("LIST", namespace, f"auth/{mount}/role")
            for role in sorted(str(k) for k in ((listing or {}).get("data") or {}).get("keys", [])):
                key = "/".join(filter(None, (namespace, f"auth/{mount}/role/{role}")))
                if key not in managed:
                    findings.append(Finding(
                        "warning", f"AppRole role {key}",
                        "exists but is not declared, so its bindings (bind_secret_id, bound CIDRs, policies) are "
                        "not checked by plan",
                        "delete it with the break-glass token if nobody can say who made it and why"))
        return findings

    def unmanaged_tenants(self, parent: str, declared: set[str]) -> list[Finding]:
        """Tenant namespaces that exist but are no longer declared: never deleted, always reported. A namespace
        whose metadata says a department's request declared it (``egov tenant apply``) is the pipeline's, not
        unmanaged: its declaration is its onboarding record."""
        listing = self.conn.call("LIST", parent, "sys/namespaces")
        keys = [str(k).rstrip("/") for k in ((listing or {}).get("data") or {}).get("keys", [])]
        findings = []
        for name in sorted(set(keys) - declared):
            metadata = ((self.conn.call("GET", parent, f"sys/namespaces/{name}") or {}).get("data") or {}).get(
                "custom_metadata") or {}
            if metadata.get("managed_by") == PIPELINE_MANAGER:
                continue
            findings.append(Finding(
                "warning", f"namespace {parent}/{name}", "exists but is not declared in the desired state",
                "apply never deletes a tenant: declare it again with `offboarded: true` and run "
                "`egov vault offboard` to keep its keys for decryption only"))
        return findings


# ------------------------------------------------------------------------------------ writing


class Executor:
    """Performs one action: exactly the API calls that create the resource or change its listed fields.

    Actions the `operators` policy refuses on purpose (``breakglass.py``) run with ``break_glass``, all
    others with ``conn``'s own token.
    """

    def __init__(self, conn: Connection, break_glass: Connection | None = None) -> None:
        self.conn = conn
        self.break_glass = break_glass

    def run(self, action: Action) -> None:
        r = action.resource
        if r.verify_only:
            raise VaultOpsError(f"{r} is verify-only; it is declared in the server config, not applied")
        target = self
        reason = break_glass_reason(action)
        if reason and self.break_glass is not None and self.break_glass is not self.conn:
            target = Executor(self.break_glass)
        elif reason and self.break_glass is None:
            raise VaultOpsError(f"{action.describe()} needs the break-glass (root) token ({reason}); set "
                                f"{BREAK_GLASS_VARIABLE}")
        writer: Callable[[Action], None] = getattr(target, f"_write_{r.kind}")
        writer(action)

    def _post(self, namespace: str, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.conn.call("POST", namespace, path, body) or {}

    def _write_namespace(self, a: Action) -> None:
        r = a.resource
        metadata = dict(r.settings["custom_metadata"])
        if a.op == "create" and r.immutable.get("sealable"):
            store = self.conn.key_store
            if store is None:  # make_plan refuses this plan; never create shares we cannot keep
                raise VaultOpsError(f"{r}: no directory for its key shares ({KEYS_DIR_VARIABLE})")
            seal = NamespaceSeal(shares=r.create_only["seal_shares"], threshold=r.create_only["seal_threshold"])
            namespace = f"{r.namespace}/{_name_of(r.path)}" if r.namespace else _name_of(r.path)
            # Created sealed; unsealed right away so that the tenant's mounts can be created in it.
            create_sealable(self.conn, namespace, str(r.create_only["tenant"]), seal, metadata, store)
            return
        if a.op == "create":
            self._post(r.namespace, r.path, {"custom_metadata": metadata})
            return
        old = next((c.old for c in a.changes if c.field == "custom_metadata"), None) or {}
        patch: dict[str, Any] = {k: v for k, v in metadata.items() if old.get(k) != v}
        patch.update({k: None for k in old if k not in metadata})  # JSON merge patch: null removes
        self.conn.call("PATCH", r.namespace, r.path, {"custom_metadata": patch},
                       headers={"Content-Type": "application/merge-patch+json"})

    def _write_mount(self, a: Action) -> None:
        r = a.resource
        if a.op == "create":
            body: dict[str, Any] = {"type": r.immutable["type"], "description": r.create_only.get("description", "")}
            if "version" in r.immutable:
                body["options"] = {"version": r.immutable["version"]}
            # No `config` here: the operators policy refuses it (audit HMAC keys could ride along); the lease
            # TTL is tuned right after, and a new mount has no audit HMAC keys.
            self._post(r.namespace, r.path, body)
            if r.immutable.get("version") == "2":
                self._wait_kv_upgrade(r.namespace, _name_of(r.path))
            if "max_lease_ttl" in r.settings:
                self._post(r.namespace, f"{r.path}/tune", {"max_lease_ttl": r.settings["max_lease_ttl"]})
        else:
            self._post(r.namespace, f"{r.path}/tune", {c.field: c.new for c in a.changes})

    def _wait_kv_upgrade(self, namespace: str, mount: str) -> None:
        """A new KV v2 mount answers "Upgrading from non-versioned to versioned data" for a moment."""
        deadline = time.monotonic() + KV_UPGRADE_TIMEOUT
        while True:
            try:
                self.conn.call("GET", namespace, f"{mount}/config")
                return
            except hvac.exceptions.VaultError as exc:
                if "Upgrading" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def _write_auth_mount(self, a: Action) -> None:
        r = a.resource
        if a.op == "create":
            self._post(r.namespace, r.path, {"type": r.immutable["type"],
                                             "description": r.create_only.get("description", "")})
        else:
            self._post(r.namespace, f"{r.path}/tune", {c.field: c.new for c in a.changes})

    def _write_kv_config(self, a: Action) -> None:
        self._post(a.resource.namespace, a.resource.path, dict(a.resource.settings))

    def _write_transit_key(self, a: Action) -> None:
        r = a.resource
        if a.op == "create":
            # exportable and allow_plaintext_backup are false by default and the operators policy refuses both
            # parameters (whatever their value), so they are not sent; plan checks them after creation.
            self._post(r.namespace, r.path, {"type": r.immutable["type"],
                                             "auto_rotate_period": r.settings["auto_rotate_period"]})
            self._post(r.namespace, f"{r.path}/config", dict(r.settings))
        else:
            self._post(r.namespace, f"{r.path}/config", {c.field: c.new for c in a.changes})

    def _write_policy(self, a: Action) -> None:
        r = a.resource
        self.conn.call("PUT", r.namespace, r.path, {"policy": r.settings["policy"]})

    def _write_approle_role(self, a: Action) -> None:
        # An update sends only the changed fields, so that a lifetime change stays within the operators policy.
        body = dict(a.resource.settings) if a.op == "create" else {c.field: c.new for c in a.changes}
        self._post(a.resource.namespace, a.resource.path, body)

    def _write_pki_urls(self, a: Action) -> None:
        self._post(a.resource.namespace, a.resource.path, dict(a.resource.settings))

    def _write_pki_role(self, a: Action) -> None:
        self._post(a.resource.namespace, a.resource.path, dict(a.resource.settings))

    def _write_pki_root(self, a: Action) -> None:
        r = a.resource
        self._post(r.namespace, f"{_mount_of(r.path)}/root/generate/internal", {
            "common_name": r.immutable["common_name"], "key_type": r.immutable["key_type"],
            "key_bits": r.create_only["key_bits"], "ttl": r.create_only["ttl"],
            "issuer_name": r.create_only["issuer_name"],
        })

    def _write_pki_intermediate(self, a: Action) -> None:
        self._signed_ca(a.resource, extra={})

    def _write_tenant_ca(self, a: Action) -> None:
        # Create, or re-issue with new name constraints: a new key and issuer become the default; the
        # old issuer stays so that certificates it signed still chain and can be revoked.
        r = a.resource
        self._signed_ca(r, extra={"permitted_dns_domains": list(r.settings["permitted_dns_domains"]),
                                  "max_path_length": 0})

    def _signed_ca(self, r: Resource, extra: Mapping[str, Any]) -> None:
        """CSR in the CA's own mount (and namespace), signed by its parent, imported, made default."""
        mount = _mount_of(r.path)
        csr = self._post(r.namespace, f"{mount}/intermediate/generate/internal", {
            "common_name": r.immutable["common_name"], "key_type": r.immutable["key_type"],
            "key_bits": r.create_only["key_bits"],
        })["data"]["csr"]
        signer = f"{r.create_only['signer_mount']}/root/sign-intermediate"
        signed = self._post(r.create_only["signer_namespace"], signer,
                            {"csr": csr, "common_name": r.immutable["common_name"], "ttl": r.create_only["ttl"],
                             "format": "pem_bundle", "use_csr_values": False, **extra})["data"]
        imported = self._post(r.namespace, f"{mount}/intermediate/set-signed",
                              {"certificate": signed["certificate"]})["data"]
        mine = [issuer for issuer, key in (imported.get("mapping") or {}).items() if key]
        if len(mine) != 1:
            raise VaultOpsError(f"{r}: set-signed imported {imported.get('imported_issuers')} with keys for "
                                f"{mine}; expected exactly one new issuer with its key")
        self._post(r.namespace, f"{mount}/config/issuers", {"default": mine[0]})
