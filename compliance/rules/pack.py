"""The policy pack's policies as pure logic: what each one checks on planned resources, its clauses,
its parameters, and the validation of a per-stack policy configuration file.

``policies/pack/__main__.py`` wraps these in pulumi_policy objects; keeping the decisions here lets unit
tests run them without the engine and lets the scanner and the pack share :mod:`compliance.rules`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from compliance.rules import (
    RETENTION_MINIMUM_DAYS,
    RULES_BY_NAME,
    bucket_not_kms_encrypted,
    extranet_exposed,
    flow_logs_missing,
    internet_admin_ports,
    key_rotation_off,
    pi_bucket_unprotected,
    planned,
    public_bucket,
    public_ip_outside_internet,
    region_outside,
    retention_too_short,
    user_data_secret,
)
from infra.config import ConfigError, read_yaml
from infra.repository import REPO_ROOT

LEVELS = ("mandatory", "advisory", "disabled")
PLATFORM_FILE = REPO_ROOT / "policies" / "platform.yaml"
STACK_CONFIG_DIR = REPO_ROOT / "policies" / "pack" / "stacks"


class PolicyConfigError(ValueError):
    """A policy configuration file that cannot be used: names the file, the field and what to do."""


def platform_allowed_regions() -> list[str]:
    """The allowlist every scan uses, from policies/platform.yaml (one source of truth). Read once per version
    of the file: the pack asks for every planned resource, and parsing the file each time was most of its
    run time (bench/RESULTS.md, "Policy pack")."""
    stat = PLATFORM_FILE.stat()
    return list(_allowed_regions(str(PLATFORM_FILE), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _allowed_regions(path: str, _mtime_ns: int, _size: int) -> tuple[str, ...]:
    return tuple(yaml.safe_load(Path(path).read_text())["allowed_regions"])


@dataclass(frozen=True)
class PlannedResource:
    """What a stack policy sees of one planned resource: type, URN, inputs, URNs it depends on."""

    type: str
    urn: str
    props: Mapping[str, Any]
    dependencies: tuple[str, ...] = ()

    @property
    def tags(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.props.get("tags") or {}).items()}


Decide = Callable[[Mapping[str, Any], Mapping[str, Any]], "str | None"]
DecideStack = Callable[[list[PlannedResource], Mapping[str, Any]], "list[tuple[str, str]]"]


@dataclass(frozen=True)
class PackPolicy:
    """One policy: a resource policy (``types`` + ``decide``) or a stack policy (``decide_stack``)."""

    name: str
    rule: str
    description: str
    types: tuple[str, ...] = ()
    decide: Decide | None = None
    decide_stack: DecideStack | None = None
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def clauses(self) -> tuple[str, ...]:
        return RULES_BY_NAME[self.rule].clauses if self.rule in RULES_BY_NAME else PI_CLAUSES

    def message(self, problem: str, subject: str = "") -> str:
        """The violation text: the clauses first, so the reader of a blocked `up` sees what it breaks."""
        who = f"{subject} " if subject else ""
        return f"[{', '.join(self.clauses)}] {who}{problem}"


PI_CLAUSES = ("PI-08", "PI-09")


def provider_region(provider_props: Mapping[str, Any] | None, environ: Mapping[str, str]) -> str | None:
    """The region a planned resource goes to, resolved as the provider resolves it: the provider's own
    ``region``, else stack config ``egov:region`` (PULUMI_CONFIG, set for the pack by the language host),
    else AWS_REGION / AWS_DEFAULT_REGION."""
    if provider_props and provider_props.get("region"):
        return str(provider_props["region"])
    try:
        stack_config = json.loads(environ.get("PULUMI_CONFIG") or "{}")
    except json.JSONDecodeError:
        stack_config = {}
    return stack_config.get("egov:region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")


def _region(props: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    allowed = list(config.get("allowedRegions") or platform_allowed_regions())
    region = props.get("__region")
    if not region:
        return "declares no region (the provider's region is unset), so residency cannot be proven"
    return region_outside(str(region), allowed)


def _flow_logs(resources: list[PlannedResource], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    vpcs = [r for r in resources if r.type == planned.VPC]
    logs: list[Mapping[str, Any]] = []
    for log in (r for r in resources if r.type == planned.FLOW_LOG):
        shaped = planned.flow_log(log.props)
        for vpc in vpcs:  # at preview the VPC's id is unknown: the dependency names it
            if vpc.urn in log.dependencies or (vpc.props.get("vpcId") and shaped["ResourceId"] == vpc.props["vpcId"]):
                logs.append({**shaped, "ResourceId": vpc.urn})
    found = []
    for vpc in vpcs:
        problem = flow_logs_missing(vpc.urn, logs)
        if problem:
            found.append((vpc.urn, f"VPC {problem}"))
    return found


def _bucket_tenant_keys(resources: list[PlannedResource], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    keys = {r.urn: r.tags.get("egov:tenant", "") for r in resources if r.type == planned.KEY}
    found = []
    for bucket in (r for r in resources if r.type == planned.BUCKET):
        shaped = planned.bucket(bucket.props)
        tenant = bucket.tags.get("egov:tenant")
        problem: str | None = bucket_not_kms_encrypted(shaped)
        if problem is None and tenant:
            own = [urn for urn in bucket.dependencies if urn in keys]
            if not own and not bucket.props.get("kmsKeyId"):
                problem = f"belongs to {tenant} but names no key (the AWS managed key is nobody's)"
            elif own and not any(keys[urn] == tenant for urn in own):
                owners = ", ".join(sorted({keys[urn] or "no tenant" for urn in own}))
                problem = f"belongs to {tenant} but its key belongs to {owners}"
        if problem:
            found.append((bucket.urn, f"bucket {problem}"))
    return found


def _extranet_routes(resources: list[PlannedResource], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    zones = {r.urn: r.tags.get(planned.ZONE_TAG, "") for r in resources if r.type == planned.VPC}
    gateways = {r.urn for r in resources if r.type == planned.INTERNET_GATEWAY}
    found = []
    for table in (r for r in resources if r.type == planned.ROUTE_TABLE):
        zone = next((zones[urn] for urn in table.dependencies if urn in zones), "")
        via = {f"igw-(planned {urn.rsplit('::', 1)[-1]})" for urn in table.dependencies if urn in gateways}
        problem = extranet_exposed(zone, [planned.route_table(table.props, via)])
        if problem:
            found.append((table.urn, f"extranet route table {problem}"))
    return found


def _retention(props: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    return retention_too_short(planned.log_group(props), int(config.get("minimumDays", RETENTION_MINIMUM_DAYS)))


_REGION_TYPES: tuple[str, ...] = ()  # empty: every egov resource
RETENTION_PARAMETERS: dict[str, dict[str, Any]] = {"minimumDays": {"type": "integer", "minimum": 1}}
REGION_PARAMETERS: dict[str, dict[str, Any]] = {"allowedRegions": {"type": "array", "items": {"type": "string"}}}

def _instance_public_ip(props: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    shaped = planned.instance(props)
    return public_ip_outside_internet(shaped, shaped["Tags"].get(planned.ZONE_TAG))


POLICIES: tuple[PackPolicy, ...] = (
    PackPolicy("egov-public-bucket", "public-bucket", "Buckets block every kind of public access.",
               (planned.BUCKET,), lambda p, c: public_bucket(planned.bucket(p))),
    PackPolicy("egov-bucket-kms-encryption", "bucket-unencrypted", "Buckets encrypt by default with a KMS key.",
               (planned.BUCKET,), lambda p, c: bucket_not_kms_encrypted(planned.bucket(p))),
    PackPolicy("egov-pi-bucket-protected", "pi-bucket", "A bucket holding personal information is classified, "
               "owned by a tenant and encrypted with a customer key.",
               (planned.BUCKET,), lambda p, c: pi_bucket_unprotected(planned.bucket(p))),
    PackPolicy("egov-no-internet-admin-ports", "internet-admin-ports",
               "No ingress rule admits 0.0.0.0/0 to SSH, RDP or another high-risk port.",
               (planned.SECURITY_GROUP_RULE,), lambda p, c: internet_admin_ports(planned.security_group_rule(p))),
    PackPolicy("egov-key-rotation", "key-rotation-off", "Customer-managed keys rotate automatically.",
               (planned.KEY,), lambda p, c: key_rotation_off(planned.key(p))),
    PackPolicy("egov-log-retention", "log-retention-short", "Log groups keep events at least 180 days.",
               (planned.LOG_GROUP,),
               _retention,
               parameters=RETENTION_PARAMETERS),
    PackPolicy("egov-region-allowlist", "region-outside-allowlist",
               "Resources are created only in the allowed regions (policies/platform.yaml).",
               _REGION_TYPES, _region, parameters=REGION_PARAMETERS),
    PackPolicy("egov-instance-no-public-ip", "instance-public-ip",
               "Instances have no public IPv4 address outside the Internet zone.",
               (planned.INSTANCE,), _instance_public_ip),
    PackPolicy("egov-instance-user-data-no-secrets", "instance-user-data-secret",
               "Instance user data carries no private key, password, AWS key or Vault token.",
               (planned.INSTANCE,), lambda p, c: user_data_secret(planned.instance(p))),
    PackPolicy("egov-vpc-flow-logs", "flow-logs-missing", "Every VPC of the stack has a flow log of ALL traffic.",
               decide_stack=_flow_logs),
    PackPolicy("egov-bucket-tenant-key", "bucket-unencrypted",
               "Every bucket has default KMS encryption, with a key of its own tenant.",
               decide_stack=_bucket_tenant_keys),
    PackPolicy("egov-extranet-no-internet-route", "extranet-exposed",
               "No route table of an extranet VPC leads to an Internet gateway.", decide_stack=_extranet_routes),
)
POLICIES_BY_NAME = {policy.name: policy for policy in POLICIES}


def check_resource(policy: PackPolicy, resource_type: str, props: Mapping[str, Any],
                   config: Mapping[str, Any]) -> str | None:
    """The policy's verdict on one planned resource, None when it does not apply or complies."""
    if policy.decide is None or not resource_type.startswith("egov:"):
        return None
    if policy.types and resource_type not in policy.types:
        return None
    return policy.decide(props, config)


def _level_error(where: str, value: Any) -> PolicyConfigError:
    return PolicyConfigError(f"{where}: enforcement level {value!r} is not one of {', '.join(LEVELS)}")


def validate_config(data: Any, source: str) -> dict[str, Any]:
    """Check a policy configuration (pulumi's --policy-pack-config format) against the pack's policies:
    unknown policy, unknown level, unknown or mistyped parameter -> PolicyConfigError naming the field."""
    if not isinstance(data, Mapping):
        raise PolicyConfigError(f"{source}: expected a JSON object of policy names, got {type(data).__name__}")
    for name, value in data.items():
        where = f"{source}: {name}"
        if name == "all":
            if value not in LEVELS:
                raise _level_error(where, value)
            continue
        policy = POLICIES_BY_NAME.get(name)
        if policy is None:
            raise PolicyConfigError(f"{where}: no such policy in the pack; known: {', '.join(POLICIES_BY_NAME)}")
        if isinstance(value, str):
            if value not in LEVELS:
                raise _level_error(where, value)
            continue
        if not isinstance(value, Mapping):
            raise PolicyConfigError(f"{where}: expected a level or an object, got {type(value).__name__}")
        for key, item in value.items():
            if key == "enforcementLevel":
                if item not in LEVELS:
                    raise _level_error(f"{where}.enforcementLevel", item)
                continue
            schema = policy.parameters.get(key)
            if schema is None:
                known = ", ".join(["enforcementLevel", *policy.parameters]) or "enforcementLevel"
                raise PolicyConfigError(f"{where}.{key}: unknown parameter; {name} takes {known}")
            _check_type(f"{where}.{key}", item, schema)
    return dict(data)


def _check_type(where: str, value: Any, schema: Mapping[str, Any]) -> None:
    kind = schema.get("type")
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)
                              or value < int(schema.get("minimum", value))):
        raise PolicyConfigError(f"{where}: expected an integer of at least {schema.get('minimum', 0)}, got {value!r}")
    if kind == "array" and (not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value):
        raise PolicyConfigError(f"{where}: expected a non-empty list of strings, got {value!r}")


def load_config(path: Path) -> dict[str, Any]:
    """Read and validate a policy configuration file (JSON, read by the hardened input loader: size, depth and
    duplicate-key limits apply as to every other input file)."""
    try:
        data, _ = read_yaml(path)
    except ConfigError as exc:
        raise PolicyConfigError(str(exc)) from None
    return validate_config(data, str(path))


def stack_config_file(stack: str) -> Path | None:
    """The per-stack configuration, policies/pack/stacks/<stack>.json, when there is one."""
    path = STACK_CONFIG_DIR / f"{stack}.json"
    return path if path.exists() else None


def resources_of(items: Iterable[tuple[str, str, Mapping[str, Any], Iterable[str]]]) -> list[PlannedResource]:
    return [PlannedResource(t, urn, props, tuple(deps)) for t, urn, props, deps in items]
