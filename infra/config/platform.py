"""The platform file (``policies/platform.yaml``): region, availability zones, zones and the bridge VPC.

The pydantic models check each field; ``platform_problems`` checks what spans fields (overlaps,
subnets inside their VPC, the region allowlist). The cross-field checks read the raw document
leniently, so one malformed CIDR does not hide an overlap elsewhere: everything is reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, StrictBool, ValidationError

from infra.config.fields import Cidr, name_problem, parse_cidr
from infra.config.problems import Collector, LineIndex, PathPart, Problem, format_path, loading, shown
from infra.config.yamlfile import read_yaml

EXTRANET = "extranet"
INTERNET = "internet"
MANAGEMENT = "management"
SHARED = "shared"
REQUIRED_ZONES = (EXTRANET, INTERNET, MANAGEMENT, SHARED)
BRIDGE = "bridge"
TENANT_ZONE_PREFIX = "tenant-"  # a tenant's own network in host inventories and the lab: no platform zone
INSPECTION_TIER = "inspection"
DEFAULT_ALLOWED_REGIONS = ("cn-north-1", "cn-northwest-1")
ZONE_NAME_MAX = 20
TIER_NAME_MAX = 20
_CN_REGION = re.compile(r"cn-[a-z]+-[0-9]+")


class Network(BaseModel):
    """A VPC: its block and its subnets, ``tier -> availability zone -> CIDR``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    cidr: Cidr
    subnets: dict[str, dict[str, Cidr]]

    def subnet_list(self) -> list[tuple[str, str, IPv4Network]]:
        """``(tier, az, cidr)`` in file order."""
        return [(tier, az, cidr) for tier, by_az in self.subnets.items() for az, cidr in by_az.items()]


class Zone(Network):
    """A security zone with its own VPC; only the internet zone may have an internet gateway."""

    internet_gateway: StrictBool = False


class Bridge(Network):
    """The bridge VPC that every cross-zone flow traverses; its ``inspection`` tier holds the gateway."""


class Platform(BaseModel):
    """The whole platform file. Build it with ``load_platform`` or ``validate_platform``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_regions: tuple[str, ...] = DEFAULT_ALLOWED_REGIONS
    region: str
    availability_zones: tuple[str, ...]
    zones: dict[str, Zone]
    bridge: Bridge
    # Where department (tenant) VPCs are allocated from (infra/tenants/ledger.py); outside every zone.
    tenant_pool: Cidr | None = None

    _source: str = PrivateAttr(default="<platform>")

    @property
    def source(self) -> str:
        """The file the platform was read from, for messages."""
        return self._source

    def networks(self) -> dict[str, Network]:
        """Every VPC by key: the zones, then ``bridge``."""
        return {**self.zones, BRIDGE: self.bridge}


def load_platform(path: str | Path) -> Platform:
    """Read and validate the platform file; ``ConfigError`` lists every problem (and is all it raises)."""
    with loading(str(path)):
        data, lines = read_yaml(path)
        return validate_platform(data, str(path), lines)


def validate_platform(data: Any, file: str = "<platform>", lines: LineIndex | None = None) -> Platform:
    """Validate an already-parsed platform document (``file`` and ``lines`` only label problems)."""
    out = Collector(file, lines)
    platform: Platform | None = None
    with loading(file):
        try:
            platform = Platform.model_validate(data)
        except ValidationError as exc:
            out.add_validation_error(exc, Platform)
        out.extend(platform_problems(data, out.file, out.lines))
    out.raise_if_any()
    if platform is None:  # unreachable: a failed model always leaves a problem
        raise RuntimeError("platform failed validation without a problem")
    platform._source = file
    return platform


def platform_problems(data: Any, file: str, lines: LineIndex | None = None) -> list[Problem]:
    """The cross-field problems of a platform document; field-level ones are pydantic's job."""
    out = Collector(file, lines)
    if not isinstance(data, Mapping):
        return []
    azs = _check_region(data, out)
    zones = data.get("zones")
    networks: list[tuple[tuple[PathPart, ...], str, Any]] = []
    if isinstance(zones, Mapping):
        _check_zone_names(zones, out)
        for name, zone in zones.items():
            if not isinstance(zone, Mapping):
                continue
            path: tuple[PathPart, ...] = ("zones", str(name))
            if zone.get("internet_gateway") is True and name != INTERNET:
                out.add(
                    (*path, "internet_gateway"),
                    f"only the internet zone may have an internet gateway; zone {shown(name)} reaches other zones "
                    "through the bridge",
                    "remove internet_gateway or set it to false",
                )
            networks.append((path, f"zone {shown(name)}", zone))
    bridge = data.get(BRIDGE)
    if isinstance(bridge, Mapping):
        subnets = bridge.get("subnets")
        if isinstance(subnets, Mapping) and subnets and INSPECTION_TIER not in subnets:
            out.add(
                (BRIDGE, "subnets"),
                "the bridge has no inspection tier; the gateway's inspection subnets live there",
                "add bridge.subnets.inspection with a subnet in each availability zone",
            )
        networks.append(((BRIDGE,), "the bridge", bridge))
    blocks: list[tuple[tuple[PathPart, ...], str, IPv4Network]] = []
    for path, label, network in networks:
        cidr = _lenient_cidr(network.get("cidr"))
        _check_subnets(path, label, network.get("subnets"), cidr, azs, out)
        if cidr is not None:
            blocks.append((path, label, cidr))
    pool = _lenient_cidr(data.get("tenant_pool"))
    if pool is not None:
        for _, label, cidr in blocks:
            if pool.overlaps(cidr):
                out.add(("tenant_pool",), f"the tenant pool ({pool}) overlaps {label} ({cidr}); department VPCs "
                        "would collide with the platform's", "move tenant_pool to a block that overlaps no VPC")
    for index, (path, label, cidr) in enumerate(blocks):
        for _, other_label, other in blocks[:index]:
            if cidr.overlaps(other):
                out.add(
                    (*path, "cidr"),
                    f"{label} ({cidr}) overlaps {other_label} ({other}); VPCs attached to one transit gateway "
                    "need distinct address space",
                    f"move {label} to a block that overlaps no other VPC",
                )
    return out.problems


def _check_region(data: Mapping[str, Any], out: Collector) -> list[str] | None:
    """Region and AZ checks; returns the AZ names when they are usable for the subnet checks."""
    allowed_raw = data.get("allowed_regions", list(DEFAULT_ALLOWED_REGIONS))
    listed = allowed_raw if isinstance(allowed_raw, list) else []
    # Only mainland-China regions count, even if the file lists others: both locks must hold.
    allowed = [item for item in listed if isinstance(item, str) and _CN_REGION.fullmatch(item)]
    for index, item in enumerate(listed):
        if isinstance(item, str) and not _CN_REGION.fullmatch(item):
            out.add(
                ("allowed_regions", index),
                f"{shown(item)} is not a mainland-China region; personal and government data must stay in the "
                "country (PIPL art. 36)",
                "remove it; allowed regions look like cn-north-1",
            )
    if isinstance(allowed_raw, list) and not allowed:
        out.add(
            ("allowed_regions",),
            "no mainland-China region is allowed",
            f"list at least one, e.g. [{', '.join(DEFAULT_ALLOWED_REGIONS)}]",
        )
    region = data.get("region")
    if isinstance(region, str) and region not in allowed:
        if allowed:
            out.add(
                ("region",),
                f"region {shown(region)} is outside the allowed regions ({', '.join(allowed)}): data stays in the "
                "country",
                f"set region to one of: {', '.join(allowed)}",
            )
        region = None  # checking the AZs against a rejected region would only add noise
    azs_raw = data.get("availability_zones")
    if not isinstance(azs_raw, list):
        return None
    azs = [az for az in azs_raw if isinstance(az, str)]
    if len(azs_raw) < 2:
        example = f"{region}a, {region}b" if isinstance(region, str) else "cn-north-1a, cn-north-1b"
        out.add(
            ("availability_zones",),
            f"{len(azs_raw)} availability zone(s); every tier needs subnets in at least 2 for redundancy (NET-04)",
            f"list two or more, e.g. {example}",
        )
    seen: set[str] = set()
    for index, az in enumerate(azs_raw):
        if not isinstance(az, str):
            continue
        if az in seen:
            out.add(("availability_zones", index), f"{shown(az)} is listed twice", "list each availability zone once")
        seen.add(az)
        if isinstance(region, str) and not re.fullmatch(re.escape(region) + r"[a-z]", az):
            out.add(
                ("availability_zones", index),
                f"{shown(az)} is not an availability zone of region {region}",
                f"use names like {region}a, {region}b",
            )
    return azs


def _check_zone_names(zones: Mapping[Any, Any], out: Collector) -> None:
    for required in REQUIRED_ZONES:
        if required not in zones:
            out.add(
                ("zones",),
                f"missing zone '{required}'; the platform needs {', '.join(REQUIRED_ZONES[:-1])} and "
                f"{REQUIRED_ZONES[-1]}",
                f"add zones.{required} with its cidr and subnets",
            )
    for name in zones:
        if name == BRIDGE:
            out.add(
                ("zones", BRIDGE),
                "'bridge' is reserved for the bridge VPC",
                "declare the bridge under the top-level bridge: key",
            )
            continue
        invalid = name_problem(str(name), "zone name", ZONE_NAME_MAX)
        if invalid is not None:
            out.add(("zones", str(name)), invalid.message, invalid.hint)
        elif str(name).startswith(TENANT_ZONE_PREFIX):
            out.add(
                ("zones", str(name)),
                f"zone names starting '{TENANT_ZONE_PREFIX}' are reserved: a department's hosts are in zone "
                f"'{TENANT_ZONE_PREFIX}<tenant id>', so this zone's hosts and a tenant's would share a segment",
                f"rename it, e.g. '{str(name).removeprefix(TENANT_ZONE_PREFIX)}-zone'",
            )


def _check_subnets(
    path: tuple[PathPart, ...],
    label: str,
    subnets: Any,
    vpc: IPv4Network | None,
    azs: list[str] | None,
    out: Collector,
) -> None:
    if not isinstance(subnets, Mapping):
        return
    if not subnets:
        out.add(
            (*path, "subnets"),
            "no subnets declared",
            "declare at least one tier, e.g. app: {cn-north-1a: <cidr>, cn-north-1b: <cidr>}",
        )
        return
    seen: list[tuple[tuple[PathPart, ...], IPv4Network]] = []
    for tier, by_az in subnets.items():
        tier_path = (*path, "subnets", str(tier))
        invalid = name_problem(str(tier), "tier name", TIER_NAME_MAX)
        if invalid is not None:
            out.add(tier_path, invalid.message, invalid.hint)
        if not isinstance(by_az, Mapping):
            continue
        if azs is not None:
            for az in azs:
                if az not in by_az:
                    inside = f"<a block inside {vpc}>" if vpc is not None else "<cidr>"
                    out.add(
                        tier_path,
                        f"tier {shown(tier)} has no subnet in {az}; every tier spans all availability zones "
                        f"({', '.join(azs)})",
                        f"add {az}: {inside}",
                    )
        for az, raw in by_az.items():
            subnet_path = (*tier_path, str(az))
            if azs is not None and az not in azs:
                out.add(
                    subnet_path,
                    f"{shown(az)} is not one of the platform's availability zones ({', '.join(azs)})",
                    "use one of them, or add it to availability_zones",
                )
            cidr = _lenient_cidr(raw)
            if cidr is None:
                continue
            if vpc is not None and not cidr.subnet_of(vpc):
                out.add(
                    subnet_path,
                    f"subnet {cidr} is outside the VPC CIDR {vpc} of {label}",
                    f"pick a block inside {vpc}",
                )
            for other_path, other in seen:
                if cidr.overlaps(other):
                    out.add(
                        subnet_path,
                        f"subnet {cidr} overlaps {format_path(other_path)} ({other})",
                        "give each subnet its own block",
                    )
            seen.append((subnet_path, cidr))


def _lenient_cidr(value: Any) -> IPv4Network | None:
    parsed = parse_cidr(value)
    return parsed if isinstance(parsed, IPv4Network) else None
