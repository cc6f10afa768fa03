"""The desired OpenBao configuration, as declared in ``policies/vault/tenants.yaml``.

Everything is validated here, before any request reaches OpenBao, and every problem is
reported with the file, the field, why it is wrong and what to write instead. Durations are
kept as whole seconds so that they compare directly with what OpenBao returns.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from infra.config.problems import ConfigError, format_path, shown, unexpected_problem
from infra.config.problems import Problem as ConfigProblem
from infra.config.yamlfile import parse_yaml, read_yaml
from infra.vault.errors import DesiredStateError, Problem

HOUR = 3600
DAY = 24 * HOUR
# CA/Browser Forum cap on leaf lifetimes (398 days) minus a day of clock skew.
MAX_LEAF_TTL = 397 * DAY
# Patterns are always used with .fullmatch: "$" also matches before a final "\n".
_DURATION = re.compile(r"([0-9]+)(s|m|h|d)")
_UNITS = {"s": 1, "m": 60, "h": HOUR, "d": DAY}
_TENANT_ID = re.compile(r"[a-z][a-z0-9-]{0,30}[a-z0-9]")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_AUDIT_PATH = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Where pipeline runners can be: the private address pools (RFC 1918, RFC 4193) and this host (local runs).
# A pipeline CIDR must lie inside one of them, so no public range and nothing wider than a pool can be bound.
RUNNER_POOLS = tuple(ipaddress.ip_network(block) for block in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "fc00::/7", "::1/128"))


class _Invalid(ValueError):
    """A validator's verdict: why the value is wrong and what to write instead.

    ``problems`` carries (field, why, fix) triples for model-level checks that point at a
    field other than the one being validated; pydantic keeps the exception in ``ctx["error"]``.
    """

    def __init__(self, why: str, fix: str, problems: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.fix = fix
        self.problems = problems or []


def parse_duration(value: object) -> int:
    """``15m``, ``1h``, ``90d`` or whole seconds -> seconds; OpenBao's own format without fractions."""
    if isinstance(value, bool):
        raise _Invalid(f"{shown(value)} is not a duration", "write a duration like 15m, 1h, 2160h or 90d")
    if isinstance(value, int):
        if value < 0:
            raise _Invalid(f"{value} is negative", "write a positive duration like 15m, 1h or 90d")
        return value
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if match:
            return int(match.group(1)) * _UNITS[match.group(2)]
    raise _Invalid(f"{shown(value)} is not a duration",
                   "write a whole number followed by s, m, h or d, e.g. 15m, 1h, 2160h or 90d")


def format_duration(seconds: int) -> str:
    """Seconds -> the shortest exact ``Nd``/``Nh``/``Nm``/``Ns`` (for plans and messages)."""
    if seconds == 0:
        return "0s"
    for unit, size in (("d", DAY), ("h", HOUR), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[int, BeforeValidator(parse_duration)]
CertKey = Literal["ec-p256", "rsa-2048", "rsa-3072", "rsa-4096"]
# Symmetric transit key types only: the tenant key encrypts; signing keys would be a different role.
TransitKeyType = Literal["aes256-gcm96", "aes128-gcm96", "chacha20-poly1305"]


def key_params(key: CertKey) -> tuple[str, int]:
    """``ec-p256`` -> (``ec``, 256): the key_type/key_bits pair OpenBao's PKI expects."""
    kind, bits = key.split("-")
    return kind, int(bits.lstrip("p"))


def _check_domain(value: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"{shown(value)} is not a domain name", "write a DNS name like finance.egov.example")
    if "*" in value:
        raise _Invalid(f"{shown(value)} is a wildcard; wildcard certificates are never granted",
                       f"list the parent domain ({value.lstrip('*.')!r}); its subdomains are allowed automatically")
    if value != value.lower():
        raise _Invalid(f"{shown(value)} has upper-case letters", f"write it in lower case: {value.lower()!r}")
    labels = value.split(".")
    if len(labels) < 2 or len(value) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _Invalid(f"{shown(value)} is not a valid DNS domain with at least two labels",
                       "write it like finance.egov.example: letters, digits and inner hyphens, dot-separated")
    return value


def _check_cidr(value: object) -> str:
    text = str(value)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise _Invalid(f"{shown(text)} is not an IP network",
                       "write it in CIDR notation like 10.20.8.0/24 (or 127.0.0.1/32 for one host)") from None
    if "/" not in text:
        raise _Invalid(f"{shown(text)} has no prefix length", f"write it as {network.with_prefixlen!r}")
    if str(network) != text:
        raise _Invalid(f"{shown(text)} has host bits set", f"write the network address: {str(network)!r}")
    if network.prefixlen == 0:
        raise _Invalid(f"{shown(text)} matches every address, so the binding would bind nothing",
                       "list only the pipeline runners' own subnets")
    if not _inside_a_pool(network):
        pools = ", ".join(str(pool) for pool in RUNNER_POOLS)
        raise _Invalid(f"{shown(text)} is not inside the private address pools pipeline runners live in ({pools}); a "
                       "token could be obtained from addresses outside the platform",
                       "list only the pipeline runners' own private subnets, e.g. 10.20.8.0/24")
    return text


def _inside_a_pool(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    for pool in RUNNER_POOLS:
        v4 = isinstance(network, ipaddress.IPv4Network) and isinstance(pool, ipaddress.IPv4Network)
        v6 = isinstance(network, ipaddress.IPv6Network) and isinstance(pool, ipaddress.IPv6Network)
        if (v4 or v6) and network.subnet_of(pool):  # type: ignore[arg-type]
            return True
    return False


def _check_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("empty", "write the department's name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or len(value) > 120:
        raise _Invalid(f"{shown(value)} has control characters or is longer than 120 characters",
                       "write the name on one line, at most 120 characters")
    return value


Domain = Annotated[str, BeforeValidator(_check_domain)]
Cidr = Annotated[str, BeforeValidator(_check_cidr)]
Text = Annotated[str, BeforeValidator(_check_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PkiSettings(_Strict):
    """The platform CA hierarchy in the root namespace; tenant CAs are signed by its intermediate."""

    root_common_name: Text = "egov platform root CA"
    root_ttl: Duration = 3650 * DAY
    intermediate_common_name: Text = "egov platform intermediate CA"
    intermediate_ttl: Duration = 1825 * DAY
    tenant_ca_ttl: Duration = 730 * DAY
    key: CertKey = "ec-p256"
    # Base of the AIA/CRL URLs written into certificates; None: the address `apply` talks to.
    url_base: str | None = None

    @field_validator("url_base")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith(("https://", "http://")) or value.endswith("/")
                                  or not value.isprintable() or " " in value):
            raise _Invalid(f"{shown(value)} is not a base URL",
                           "write the OpenBao address clients reach, like https://bao.egov.example:8200 "
                           "(no trailing slash)")
        return value

    @model_validator(mode="after")
    def _nested_lifetimes(self) -> PkiSettings:
        if not self.tenant_ca_ttl < self.intermediate_ttl < self.root_ttl:
            raise _Invalid("", "", [(
                "tenant_ca_ttl",
                f"lifetimes must shrink down the chain (root {format_duration(self.root_ttl)} > intermediate "
                f"{format_duration(self.intermediate_ttl)} > tenant CA {format_duration(self.tenant_ca_ttl)})",
                "a CA cannot sign a certificate that outlives it; shorten the lower ones",
            )])
        return self


class AuditDevice(_Strict):
    """An audit device the server config must declare; OpenBao >= 2.2 refuses to enable them via the API."""

    path: str
    type: Literal["file", "socket", "syslog", "http"]

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _AUDIT_PATH.fullmatch(value):
            raise _Invalid(f"{shown(value)} is not an audit device path",
                           "write it without slashes, like file or file-secondary")
        return value


class NamespaceSeal(_Strict):
    """Shamir split of a sealable tenant namespace's own root key: ``threshold`` of ``shares`` unseal it."""

    shares: int = Field(default=5, ge=1, le=10)
    threshold: int = Field(default=3, ge=1, le=10)

    @model_validator(mode="after")
    def _threshold(self) -> NamespaceSeal:
        if self.threshold > self.shares:
            raise _Invalid("", "", [(
                "threshold", f"{self.threshold} exceeds shares {self.shares}, so the namespace could never be "
                "unsealed", "make threshold at most shares (the default is 3 of 5)")])
        if self.shares > 1 and self.threshold < 2:
            raise _Invalid("", "", [(
                "threshold", f"1 of {self.shares} shares would let any single custodian unseal the namespace "
                "(OpenBao refuses it)", "use a threshold of at least 2, or shares: 1 and threshold: 1")])
        return self


def _default_audit() -> list[AuditDevice]:
    return [AuditDevice(path="file", type="file"), AuditDevice(path="file-secondary", type="file")]


class Platform(_Strict):
    """What lives in the root namespace: the CA hierarchy, the Pulumi key and the audit devices."""

    pki: PkiSettings = Field(default_factory=PkiSettings)
    pulumi_key: str = "pulumi-secrets"
    pulumi_key_rotation_period: Duration = 90 * DAY
    audit_devices: list[AuditDevice] = Field(default_factory=_default_audit)
    # Key shares of every sealable tenant namespace that does not declare its own `namespace_seal`.
    namespace_seal: NamespaceSeal = Field(default_factory=NamespaceSeal)

    @field_validator("pulumi_key_rotation_period")
    @classmethod
    def _rotation(cls, value: int) -> int:
        return _rotation_period(value)

    @field_validator("pulumi_key")
    @classmethod
    def _pulumi_key(cls, value: str) -> str:
        # One path segment: the `pulumi` policy grants transit/encrypt/<key> and transit/decrypt/<key>.
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", value):
            raise _Invalid(f"{value!r} is not a transit key name",
                           "write 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit, "
                           "like pulumi-secrets")
        return value

    @field_validator("audit_devices")
    @classmethod
    def _two_devices(cls, value: list[AuditDevice]) -> list[AuditDevice]:
        if len({device.path for device in value}) < 2:
            raise _Invalid("fewer than two distinct audit devices",
                           "declare at least two, so that one failing device never blocks requests")
        return value


def _rotation_period(value: int) -> int:
    if not HOUR <= value <= 365 * DAY:
        raise _Invalid(f"{format_duration(value)} is outside 1h..365d",
                       "keys must rotate (OpenBao needs at least 1h); the platform default is 2160h (90 days)")
    return value


PIPELINE_MANAGER = "egov tenant apply"
"""``Tenant.managed_by`` of a tenant a department's request declared (see there)."""


class Tenant(_Strict):
    """One department: its namespace, KV, transit key, issuing CA, certificate role and pipeline AppRole."""

    id: str
    department: Text
    domains: list[Domain] = Field(min_length=1)
    pipeline_cidrs: list[Cidr] = Field(min_length=1)
    transit_rotation_period: Duration = 90 * DAY
    transit_key_type: TransitKeyType = "aes256-gcm96"
    kv_max_versions: int = Field(default=20, ge=1, le=1000)
    kv_cas_required: bool = False
    cert_key: CertKey = "ec-p256"
    cert_max_ttl: Duration = 90 * DAY
    token_ttl: Duration = 15 * 60
    token_max_ttl: Duration = HOUR
    secret_id_ttl: Duration = HOUR
    secret_id_num_uses: int = Field(default=1, ge=1, le=100)
    offboarded: bool = False
    # Its namespace gets its own seal (OpenBao >= 2.6), so it can be sealed without touching the others.
    # Chosen when the namespace is created, never afterwards.
    sealable: bool = False
    namespace_seal: NamespaceSeal | None = None  # default: platform.namespace_seal
    # Who declares it: this file (`egov vault apply`), or a department's request (`egov tenant apply`, which
    # keeps the declaration in the tenant's onboarding record). Written into the namespace's metadata, so
    # `egov vault plan`, which reads only this file, does not call a pipeline's tenant unmanaged.
    managed_by: Literal["egov vault apply", "egov tenant apply"] = "egov vault apply"

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _TENANT_ID.fullmatch(value):
            raise _Invalid(f"{shown(value)} is not a tenant id",
                           "use 2-32 characters: lower-case letters, digits and inner hyphens, starting with a "
                           "letter (it becomes the namespace tenants/<id>)")
        return value

    @field_validator("transit_rotation_period")
    @classmethod
    def _rotation(cls, value: int) -> int:
        return _rotation_period(value)

    @field_validator("cert_max_ttl")
    @classmethod
    def _leaf_ttl(cls, value: int) -> int:
        if not 0 < value <= MAX_LEAF_TTL:
            raise _Invalid(f"{format_duration(value)} is outside 1s..397d",
                           "browsers reject leaf certificates valid for more than 398 days; use at most 397d "
                           "(9528h)")
        return value

    @field_validator("token_ttl", "token_max_ttl")
    @classmethod
    def _short_token(cls, value: int) -> int:
        if not 60 <= value <= HOUR:
            raise _Invalid(f"{format_duration(value)} is outside 1m..1h",
                           "pipeline tokens are short-lived: at most 1h, 15m is the default")
        return value

    @field_validator("secret_id_ttl")
    @classmethod
    def _secret_id_ttl(cls, value: int) -> int:
        if not 60 <= value <= DAY:
            raise _Invalid(f"{format_duration(value)} is outside 1m..24h",
                           "a pipeline fetches a fresh secret_id per run; 1h is the default")
        return value

    @model_validator(mode="after")
    def _token_ttls(self) -> Tenant:
        if self.token_ttl > self.token_max_ttl:
            raise _Invalid("", "", [(
                "token_ttl", f"{format_duration(self.token_ttl)} exceeds token_max_ttl "
                f"{format_duration(self.token_max_ttl)}", "make token_ttl at most token_max_ttl")])
        if self.namespace_seal is not None and not self.sealable:
            raise _Invalid("", "", [(
                "namespace_seal", "is set but the tenant is not `sealable`, so its namespace gets no seal of its own",
                "add `sealable: true` (only possible for a namespace not created yet) or remove namespace_seal")])
        return self

    @property
    def namespace(self) -> str:
        return f"{TENANTS_NAMESPACE}/{self.id}"


TENANTS_NAMESPACE = "tenants"


def _domain_within(child: str, parent: str) -> bool:
    return child == parent or child.endswith("." + parent)


class DesiredState(_Strict):
    """The whole file: the platform (root namespace) and the tenants (one namespace each)."""

    version: Literal[1]
    platform: Platform = Field(default_factory=Platform)
    tenants: list[Tenant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_tenant(self) -> DesiredState:
        problems: list[tuple[str, str, str]] = []
        seen_ids: dict[str, int] = {}
        owners: list[tuple[str, str]] = []  # (domain, tenant id)
        for index, tenant in enumerate(self.tenants):
            if tenant.id in seen_ids:
                problems.append((f"tenants[{index}].id",
                                 f"{tenant.id!r} is already used by tenants[{seen_ids[tenant.id]}]",
                                 "give every tenant its own id"))
            seen_ids.setdefault(tenant.id, index)
            for d_index, domain in enumerate(tenant.domains):
                for other_domain, other in owners:
                    if other != tenant.id and (_domain_within(domain, other_domain)
                                               or _domain_within(other_domain, domain)):
                        problems.append((
                            f"tenants[{index}].domains[{d_index}]",
                            f"{domain!r} overlaps {other_domain!r} of tenant {other!r}, so one tenant could "
                            "obtain certificates for the other's names",
                            "give each tenant domains that are disjoint from every other tenant's"))
            owners.extend((domain, tenant.id) for domain in tenant.domains)
        if problems:
            raise _Invalid("", "", problems)
        return self

    def namespace_seal(self, tenant: Tenant) -> NamespaceSeal | None:
        """The seal a tenant's namespace is created with; None for a namespace under the platform's seal."""
        if not tenant.sealable:
            return None
        return tenant.namespace_seal or self.platform.namespace_seal

    def tenant(self, tenant_id: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        known = ", ".join(t.id for t in self.tenants) or "none"
        raise KeyError(f"no tenant {tenant_id!r} in the desired state (tenants: {known})")


# ---------------------------------------------------------------------------- loading


def _field_name(loc: tuple[int | str, ...], raw: Any) -> str:
    """("tenants", 1, "domains", 0) -> "tenants[1].domains[0] (tenant 'health')"."""
    text = format_path([part if isinstance(part, int) else str(part) for part in loc])
    if len(loc) >= 2 and loc[0] == "tenants" and isinstance(loc[1], int):
        try:
            tenant_id = raw["tenants"][loc[1]]["id"]
        except (KeyError, IndexError, TypeError):
            tenant_id = None
        if isinstance(tenant_id, str):
            text += f" (tenant {tenant_id!r})"
    return text


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model class a location points into, to name the fields allowed there."""
    model: type[BaseModel] = DesiredState
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            break
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            break
        model = nested[0]
    return model


def _problems(exc: ValidationError, file: str, raw: Any) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        field = _field_name(loc, raw)
        cause = (error.get("ctx") or {}).get("error")
        kind = error["type"]
        if isinstance(cause, _Invalid):
            if cause.problems:
                base = loc
                for sub_field, why, fix in cause.problems:
                    full = _field_name((*base, *_split_field(sub_field)), raw)
                    problems.append(Problem(file, full, why, fix))
            else:
                problems.append(Problem(file, field, cause.why, cause.fix))
        elif kind == "missing":
            problems.append(Problem(file, field, "is required", f"add `{loc[-1]}:` here"))
        elif kind == "extra_forbidden":
            allowed = sorted(_model_at(loc[:-1]).model_fields)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(Problem(file, field, "is not a known field",
                                    f"{hint}remove it or use one of: {', '.join(allowed)}"))
        elif kind == "literal_error":
            expected = (error.get("ctx") or {}).get("expected", "")
            problems.append(Problem(file, field, f"{shown(error['input'])} is not allowed", f"use one of {expected}"))
        elif kind == "too_short":
            problems.append(Problem(file, field, "is empty", "list at least one entry"))
        else:
            problems.append(Problem(file, field, f"{error['msg']} (got {shown(error['input'])})",
                                    "correct the value"))
    return problems


def _split_field(sub_field: str) -> tuple[int | str, ...]:
    """"tenants[1].domains[0]" -> ("tenants", 1, "domains", 0)."""
    parts: list[int | str] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", sub_field):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(parts)


def parse_desired(text: str, file: str) -> DesiredState:
    """Validate YAML text through the hardened loader; every problem at once, as :class:`DesiredStateError`."""
    with _loading(file):
        raw, _ = parse_yaml(text, file)
        return _validate(raw, file)


@contextmanager
def _loading(file: str) -> Iterator[None]:
    """Reading and validating raise ``DesiredStateError`` and nothing else (see ``infra.config.problems.loading``)."""
    try:
        yield
    except DesiredStateError:
        raise
    except ConfigError as exc:
        raise DesiredStateError([_from_config(problem) for problem in exc.problems]) from None
    except Exception as exc:
        raise DesiredStateError([_from_config(unexpected_problem(file, exc))]) from exc


def _validate(raw: Any, file: str) -> DesiredState:
    if not isinstance(raw, dict):
        raise DesiredStateError([Problem(file, "", "must be a mapping with `version: 1`, `platform` and `tenants`",
                                         "see policies/vault/tenants.yaml for the layout")])
    try:
        return DesiredState.model_validate(raw)
    except ValidationError as exc:
        raise DesiredStateError(_problems(exc, file, raw)) from exc


def _from_config(problem: ConfigProblem) -> Problem:
    """A loader problem (size, anchors, nesting, duplicate keys, syntax) in this file's problem format."""
    where = f"line {problem.line}" if problem.line is not None else ""
    if problem.field:
        field = f"{problem.field} ({where})" if where else problem.field
    else:  # a syntax error already says where it is
        field = "" if where in problem.message else where
    return Problem(problem.file, field, problem.message, problem.hint)


def load_desired(path: Path) -> DesiredState:
    """Read and validate the desired-state file (size-capped, through the hardened loader)."""
    if not path.exists():
        raise DesiredStateError([Problem(str(path), "", "does not exist",
                                         "create it (policies/vault/tenants.yaml shows the layout) or pass --file")])
    with _loading(str(path)):
        raw, _ = read_yaml(path)
        return _validate(raw, str(path))
