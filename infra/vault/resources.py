"""The desired state flattened into OpenBao resources, in the order they must be created.

Each resource is addressed by its namespace and the API path that configures it, and splits
its fields by how they may change: ``settings`` converge (create/update), ``immutable`` are
only checked (a CA's subject, a key's type: changing them means a new object, never an
in-place edit), ``create_only`` feed the creation call alone (TTLs of a CA, descriptions).
This module is pure: building the list never talks to OpenBao, so it is unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.vault import policies as pol
from infra.vault.model import TENANTS_NAMESPACE, DesiredState, Tenant, key_params

Kind = Literal[
    "namespace", "mount", "auth_mount", "kv_config", "transit_key", "policy", "approle_role",
    "pki_root", "pki_intermediate", "tenant_ca", "pki_urls", "pki_role", "audit_device",
]

KIND_LABELS: dict[str, str] = {
    "namespace": "namespace",
    "mount": "secrets engine",
    "auth_mount": "auth method",
    "kv_config": "KV v2 settings",
    "transit_key": "transit key",
    "policy": "ACL policy",
    "approle_role": "AppRole role",
    "pki_root": "root CA",
    "pki_intermediate": "platform intermediate CA",
    "tenant_ca": "tenant issuing CA",
    "pki_urls": "PKI AIA/CRL URLs",
    "pki_role": "certificate role",
    "audit_device": "audit device",
}


@dataclass(frozen=True)
class Resource:
    """One configurable object of OpenBao, addressed like its API path (``tenants/a/kv/config``)."""

    kind: Kind
    namespace: str  # "" is the root namespace
    path: str  # API path relative to the namespace
    settings: Mapping[str, Any] = field(default_factory=dict)
    immutable: Mapping[str, Any] = field(default_factory=dict)
    create_only: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # keys of resources that must exist first
    verify_only: bool = False  # checked and reported, never written (audit devices)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.path}" if self.namespace else self.path

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def __str__(self) -> str:
        return f"{self.label} {self.key}"


def _ns_key(parent: str, name: str) -> str:
    return f"{parent}/sys/namespaces/{name}" if parent else f"sys/namespaces/{name}"


def _join(namespace: str, path: str) -> str:
    return f"{namespace}/{path}" if namespace else path


# Keys whose values the audit devices write in clear: none, on every mount (a tenant's KV password in
# `audit.log` is one tune call away otherwise). Declared so that plan reports any drift by name.
AUDIT_HMAC_SETTINGS: dict[str, Any] = {"audit_non_hmac_request_keys": [], "audit_non_hmac_response_keys": []}


def _mount(namespace: str, path: str, engine: str, needs: tuple[str, ...], *, version: str | None = None,
           max_lease_ttl: int | None = None, description: str = "") -> Resource:
    immutable: dict[str, Any] = {"type": engine}
    if version is not None:
        immutable["version"] = version
    settings: dict[str, Any] = {"max_lease_ttl": max_lease_ttl} if max_lease_ttl is not None else {}
    settings.update(AUDIT_HMAC_SETTINGS)
    return Resource("mount", namespace, f"sys/mounts/{path}", settings=settings, immutable=immutable,
                    create_only={"description": description}, needs=needs)


def _auth_mount(namespace: str, path: str, method: str, needs: tuple[str, ...], description: str) -> Resource:
    return Resource("auth_mount", namespace, f"sys/auth/{path}", settings=dict(AUDIT_HMAC_SETTINGS),
                    immutable={"type": method}, create_only={"description": description}, needs=needs)


def _policy(namespace: str, name: str, text: str, needs: tuple[str, ...] = ()) -> Resource:
    return Resource("policy", namespace, f"sys/policies/acl/{name}", settings={"policy": text}, needs=needs)


def _approle_role(namespace: str, name: str, policy: str, *, token_ttl: int, token_max_ttl: int,
                  secret_id_ttl: int, secret_id_num_uses: int, cidrs: list[str],
                  needs: tuple[str, ...]) -> Resource:
    return Resource("approle_role", namespace, f"auth/{pol.APPROLE_MOUNT}/role/{name}", settings={
        "token_policies": [policy],
        "token_no_default_policy": True,
        "token_type": "service",
        "token_ttl": token_ttl,
        "token_max_ttl": token_max_ttl,
        "token_bound_cidrs": cidrs,
        "secret_id_bound_cidrs": cidrs,
        "secret_id_num_uses": secret_id_num_uses,
        "secret_id_ttl": secret_id_ttl,
        "bind_secret_id": True,
    }, needs=needs)


# The `pulumi` AppRole of the pipelines (root namespace): 15-minute tokens that only encrypt/decrypt.
PULUMI_TOKEN_TTL = 15 * 60
PULUMI_TOKEN_MAX_TTL = 60 * 60


def _urls(namespace: str, mount: str, url_base: str, needs: tuple[str, ...]) -> Resource:
    """AIA and CRL distribution points, set before the CA is created so its certificates carry them."""
    base = f"{url_base}/v1/{_join(namespace, mount)}"
    return Resource("pki_urls", namespace, f"{mount}/config/urls", settings={
        "issuing_certificates": [f"{base}/ca"],
        "crl_distribution_points": [f"{base}/crl"],
        "ocsp_servers": [f"{base}/ocsp"],
    }, needs=needs)


def _platform(state: DesiredState, url_base: str) -> list[Resource]:
    platform = state.platform
    pki = platform.pki
    key_type, key_bits = key_params(pki.key)
    root_pki, int_pki, transit = pol.ROOT_PKI_MOUNT, pol.INT_PKI_MOUNT, pol.TRANSIT_MOUNT
    resources: list[Resource] = [
        Resource("audit_device", "", f"sys/audit/{device.path}", immutable={"type": device.type},
                 verify_only=True)
        for device in platform.audit_devices
    ]
    resources += [_policy("", pol.OPERATORS_POLICY, pol.render_operators_policy()),
                  _policy("", pol.AUDITOR_POLICY, pol.render_auditor_policy()),
                  _policy("", pol.DEFAULT_POLICY, pol.render_default_policy())]
    transit_mount = _mount("", transit, "transit", (), description="egov: Pulumi state secrets")
    pulumi_policy = _policy("", pol.PULUMI_POLICY, pol.render_pulumi_policy(platform.pulumi_key))
    approle = _auth_mount("", pol.APPROLE_MOUNT, "approle", (), "egov: pipelines (Pulumi's secrets provider)")
    resources += [
        transit_mount,
        _transit_key("", platform.pulumi_key, platform.pulumi_key_rotation_period, (transit_mount.key,)),
        pulumi_policy,
        approle,
        _approle_role("", pol.PULUMI_ROLE, pol.PULUMI_POLICY, token_ttl=PULUMI_TOKEN_TTL,
                      token_max_ttl=PULUMI_TOKEN_MAX_TTL, secret_id_ttl=PULUMI_TOKEN_TTL, secret_id_num_uses=1,
                      cidrs=[], needs=(approle.key, pulumi_policy.key)),
    ]
    root_mount = _mount("", root_pki, "pki", (), max_lease_ttl=pki.root_ttl, description="egov: platform root CA")
    root_urls = _urls("", root_pki, url_base, (root_mount.key,))
    root_ca = Resource("pki_root", "", f"{root_pki}/root", immutable={
        "common_name": pki.root_common_name, "key_type": key_type,
    }, create_only={"ttl": pki.root_ttl, "key_bits": key_bits, "issuer_name": "platform-root"},
        needs=(root_mount.key, root_urls.key))
    int_mount = _mount("", int_pki, "pki", (), max_lease_ttl=pki.intermediate_ttl,
                       description="egov: platform intermediate CA (signs the tenants' issuing CAs)")
    int_urls = _urls("", int_pki, url_base, (int_mount.key,))
    int_ca = Resource("pki_intermediate", "", f"{int_pki}/intermediate", immutable={
        "common_name": pki.intermediate_common_name, "key_type": key_type,
    }, create_only={"ttl": pki.intermediate_ttl, "key_bits": key_bits, "signer_mount": root_pki,
                    "signer_namespace": ""}, needs=(int_mount.key, int_urls.key, root_ca.key))
    resources += _ledger()
    resources += [root_mount, root_urls, root_ca, int_mount, int_urls, int_ca,
                  Resource("namespace", "", f"sys/namespaces/{TENANTS_NAMESPACE}", settings={
                      "custom_metadata": {"managed_by": "egov vault apply", "purpose": "one child per tenant"},
                  })]
    return resources


def _ledger() -> list[Resource]:
    """The CIDR ledger of `egov tenant plan`: declared here so that apply creates it and plan reports drift in it,
    and planners need no token that may enable mounts or write policies."""
    mount = _mount("", pol.LEDGER_MOUNT, "kv", (), version="2", description="egov: CIDR ledger of egov tenant plan")
    config = Resource("kv_config", "", f"{pol.LEDGER_MOUNT}/config", settings={
        "max_versions": pol.LEDGER_MAX_VERSIONS,
        "cas_required": True,  # no writer may skip check-and-set, so no block is ever handed out twice
        "delete_version_after": 0,
    }, needs=(mount.key,))
    return [mount, config, _policy("", pol.LEDGER_POLICY, pol.render_ledger_policy())]


def _transit_key(namespace: str, name: str, rotation: int, needs: tuple[str, ...],
                 key_type: str = "aes256-gcm96") -> Resource:
    return Resource("transit_key", namespace, f"{pol.TRANSIT_MOUNT}/keys/{name}", settings={
        "deletion_allowed": False,
        "auto_rotate_period": rotation,
    }, immutable={"type": key_type, "exportable": False, "allow_plaintext_backup": False}, needs=needs)


def _seal_create_only(state: DesiredState, tenant: Tenant) -> dict[str, Any]:
    """A sealable namespace is created with its own Shamir seal; the tenant id names its key-share file."""
    seal = state.namespace_seal(tenant)
    if seal is None:
        return {}
    return {"tenant": tenant.id, "seal_shares": seal.shares, "seal_threshold": seal.threshold}


def _tenant(state: DesiredState, tenant: Tenant, url_base: str) -> list[Resource]:
    pki = state.platform.pki
    ns = tenant.namespace
    ns_res = Resource("namespace", TENANTS_NAMESPACE, f"sys/namespaces/{tenant.id}", settings={
        "custom_metadata": {
            "department": tenant.department,
            "managed_by": tenant.managed_by,
            "offboarded": "true" if tenant.offboarded else "false",
        },
    }, immutable={"sealable": tenant.sealable}, create_only=_seal_create_only(state, tenant),
        needs=(_ns_key("", TENANTS_NAMESPACE),))
    inside = (ns_res.key,)
    policy = _policy(ns, pol.PIPELINE_POLICY, pol.render_tenant_policy(tenant), inside)
    default = _policy(ns, pol.DEFAULT_POLICY, pol.render_default_policy(), inside)
    kv = _mount(ns, pol.KV_MOUNT, "kv", inside, version="2", description=f"egov: secrets of {tenant.id}")
    kv_config = Resource("kv_config", ns, f"{pol.KV_MOUNT}/config", settings={
        "max_versions": tenant.kv_max_versions,
        "cas_required": tenant.kv_cas_required,
        "delete_version_after": 0,
    }, needs=(kv.key,))
    transit = _mount(ns, pol.TRANSIT_MOUNT, "transit", inside, description=f"egov: encryption keys of {tenant.id}")
    # An offboarded tenant encrypts nothing new, so its key stops rotating; its versions are all kept.
    rotation = 0 if tenant.offboarded else tenant.transit_rotation_period
    key = _transit_key(ns, pol.transit_key_name(tenant), rotation, (transit.key,), tenant.transit_key_type)
    key_type, key_bits = key_params(pki.key)
    pki_mount = _mount(ns, pol.PKI_MOUNT, "pki", inside, max_lease_ttl=pki.tenant_ca_ttl,
                       description=f"egov: issuing CA of {tenant.id}")
    urls = _urls(ns, pol.PKI_MOUNT, url_base, (pki_mount.key,))
    ca = Resource("tenant_ca", ns, f"{pol.PKI_MOUNT}/intermediate", settings={
        # Name constraints in the CA certificate itself: even a misconfigured role cannot reach other domains.
        "permitted_dns_domains": sorted(tenant.domains),
    }, immutable={"common_name": f"egov tenant {tenant.id} issuing CA", "key_type": key_type},
        create_only={"ttl": pki.tenant_ca_ttl, "key_bits": key_bits, "signer_mount": pol.INT_PKI_MOUNT,
                     "signer_namespace": ""},
        needs=(pki_mount.key, urls.key, f"{pol.INT_PKI_MOUNT}/intermediate"))
    cert_type, cert_bits = key_params(tenant.cert_key)
    role = Resource("pki_role", ns, f"{pol.PKI_MOUNT}/roles/{pol.pki_role_name(tenant)}", settings={
        "allowed_domains": sorted(tenant.domains),
        "allow_subdomains": True,
        "allow_bare_domains": False,
        "allow_glob_domains": False,
        "allow_wildcard_certificates": False,
        "allow_any_name": False,
        "allow_localhost": False,
        "allow_ip_sans": False,
        "enforce_hostnames": True,
        "key_type": cert_type,
        "key_bits": cert_bits,
        "max_ttl": tenant.cert_max_ttl,
        "server_flag": True,
        "client_flag": True,
        "issuer_ref": "default",
    }, needs=(ca.key,))
    approle = _auth_mount(ns, pol.APPROLE_MOUNT, "approle", inside, f"egov: deployment pipeline of {tenant.id}")
    approle_role = _approle_role(ns, pol.PIPELINE_ROLE, pol.PIPELINE_POLICY, token_ttl=tenant.token_ttl,
                                 token_max_ttl=tenant.token_max_ttl, secret_id_ttl=tenant.secret_id_ttl,
                                 secret_id_num_uses=tenant.secret_id_num_uses, cidrs=sorted(tenant.pipeline_cidrs),
                                 needs=(approle.key, policy.key))
    return [ns_res, policy, default, kv, kv_config, transit, key, pki_mount, urls, ca, role, approle, approle_role]


def build_resources(state: DesiredState, url_base: str) -> list[Resource]:
    """Every resource of the desired state, parents before children, platform before tenants."""
    resources = _platform(state, url_base)
    for tenant in state.tenants:
        resources += _tenant(state, tenant, url_base)
    keys = [r.key for r in resources]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:  # a programming error, not an input error: the model forbids duplicate tenants
        raise AssertionError(f"duplicate resource keys: {sorted(duplicates)}")
    return resources
