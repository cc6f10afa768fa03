"""What a check sees and what it returns.

A check is a pure function ``check(evidence) -> Iterable[Result]`` over the evidence bundle the collectors
wrote (plain JSON data, see ``compliance.evidence``). It never calls a service, so it runs the same on a
live scan, on a saved evidence folder and on its fixtures. Where a check judges one resource on its own
properties, the judgement is a separate function over that resource's AWS-shaped properties (``rule``), so
the pre-deployment policy pack can call it on planned properties.

Cloud evidence shape (``evidence["cloud"]``)::

    {"allowed_regions": [...],
     "global":  {"buckets": [...], "password_policy": {...} | None, "account_summary": {...}, "policies": [...]},
     "regions": {"cn-north-1": {"vpcs": [...], "security_groups": [...], ...}},
     "errors":  {"regions.cn-north-1.flow_logs": "why it could not be read", "global.buckets": "..."}}

Every list item keeps the field names of the AWS API answer that produced it (``VpcId``, ``Tags``...).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Evidence = Mapping[str, Any]

MANAGED_TAG_PREFIX = "egov:"
TENANT_TAG = "egov:tenant"
ZONE_TAG = "egov:zone"


@dataclass(frozen=True)
class Result:
    """A check's verdict on one resource; the runner adds the check's id, severity and clauses."""

    resource: str
    passed: bool | None
    """True pass, False fail, None: the evidence does not allow a verdict on this resource (an error)."""
    detail: str
    region: str = ""
    resource_type: str = ""
    tags: Mapping[str, str] | None = None
    """The resource's tags ({} when it has none); None for what is not a taggable resource (an account
    setting, an OpenBao object, a stack, an endpoint): then the finding is neither managed nor unmanaged."""
    not_enforced: bool = False
    """The setting is deliberately not enforced where it was read (a machine-wide setting on a test host):
    neither a pass nor a fail; the finding's status is "not enforced here"."""


def tags_of(item: Mapping[str, Any]) -> dict[str, str]:
    """AWS tag list (``Tags``/``TagList``/``TagSet``) as a mapping; {} when there is none."""
    for key in ("Tags", "TagList", "TagSet"):
        raw = item.get(key)
        if isinstance(raw, list):
            return {str(tag.get("Key")): str(tag.get("Value", "")) for tag in raw if isinstance(tag, Mapping)}
        if isinstance(raw, Mapping):
            return {str(k): str(v) for k, v in raw.items()}
    return {}


def is_managed(tags: Mapping[str, str]) -> bool:
    """True when one of our stacks made the resource (it carries ``egov:`` tags)."""
    return any(key.startswith(MANAGED_TAG_PREFIX) for key in tags)


def cloud(evidence: Evidence) -> Mapping[str, Any]:
    value = evidence.get("cloud")
    return value if isinstance(value, Mapping) else {}


def regional(evidence: Evidence, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(region, item) for every item of the regional collection ``key`` in every scanned region."""
    regions = cloud(evidence).get("regions") or {}
    for region in sorted(regions):
        for item in regions[region].get(key) or ():
            yield region, item


def regional_value(evidence: Evidence, key: str) -> Iterator[tuple[str, Any]]:
    """(region, value) of a per-region scalar such as ``ebs_encryption_by_default``."""
    regions = cloud(evidence).get("regions") or {}
    for region in sorted(regions):
        if key in regions[region]:
            yield region, regions[region][key]


def global_value(evidence: Evidence, key: str) -> Any:
    return (cloud(evidence).get("global") or {}).get(key)


def allowed_regions(evidence: Evidence) -> list[str]:
    return list(cloud(evidence).get("allowed_regions") or ())


def vpc_owners(evidence: Evidence) -> dict[tuple[str, str], dict[str, str]]:
    """(region, VPC id) -> the VPC's ``egov:`` tags, for ``owner_tags``."""
    return {(region, str(vpc.get("VpcId"))): {k: v for k, v in tags_of(vpc).items() if k.startswith(MANAGED_TAG_PREFIX)}
            for region, vpc in regional(evidence, "vpcs")}


def owner_tags(owners: Mapping[tuple[str, str], Mapping[str, str]], region: str,
               item: Mapping[str, Any]) -> dict[str, str]:
    """The item's tags, with the ``egov:`` tags of its VPC when it has none of its own: a VPC's default
    security group is created by the cloud, untagged, but belongs to whoever owns the VPC."""
    tags = tags_of(item)
    if is_managed(tags) or not item.get("VpcId"):
        return tags
    return {**owners.get((region, str(item["VpcId"])), {}), **tags}


def name_of(item: Mapping[str, Any], fallback: str) -> str:
    """The ``Name`` tag when there is one, for details a person reads."""
    name = tags_of(item).get("Name")
    return f"{fallback} ({name})" if name else fallback
