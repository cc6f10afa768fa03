"""Field types shared by the config models: CIDRs, ports, names.

Each parser returns a value or an ``Invalid`` (message, hint), so the same rules serve the pydantic models
(strict: the pair becomes a problem) and the cross-field checks (lenient: unparseable values were
already reported and are skipped).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from infra.config.problems import custom_error, shown

# AWS accepts VPC and subnet blocks from /16 to /28.
MIN_PREFIX = 16
MAX_PREFIX = 28
# NACL rule numbers are ``flow id * 10 + slot``; slot 0 is return traffic, slots 1-9 the port entries.
MAX_PORT_ENTRIES = 9
MAX_FLOW_ID = 3000

# The platform's address pools: every VPC and subnet block lies inside one (RFC 1918 private space).
ADDRESS_POOLS = tuple(IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

NAME_RE = re.compile(r"[a-z][a-z0-9-]*")  # always .fullmatch: "$" also matches before a final "\n"
# What AWS accepts in a security-group rule description (the purpose ends up there).
DESCRIPTION_RE = re.compile(r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")


@dataclass(frozen=True)
class Invalid:
    """Why a value does not parse, and what to write instead."""

    message: str
    hint: str


def parse_cidr(value: Any) -> IPv4Network | Invalid:
    """An IPv4 network from ``'10.20.0.0/16'``, or why not and what to write instead."""
    if isinstance(value, IPv4Network):
        value = str(value)
    if not isinstance(value, str):
        return Invalid(
            f"expected a CIDR such as 10.20.0.0/16, got {shown(value)}",
            "write the network and prefix length: a.b.c.d/n",
        )
    text = value.strip()
    if "/" not in text:
        example = text if len(text) <= 40 and text.isprintable() else "10.20.0.0"
        return Invalid(f"{shown(text)} has no prefix length", f"write the network and prefix length, e.g. {example}/16")
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return Invalid(
            f"{shown(text)} is not a valid IPv4 CIDR", "write four numbers 0-255 and a prefix length, e.g. 10.20.0.0/16"
        )
    if not isinstance(loose, IPv4Network):
        return Invalid(f"'{text}' is IPv6; the address plan is IPv4 only", "use an IPv4 block such as 10.20.0.0/16")
    if str(loose) != text:
        return Invalid(f"'{text}' has host bits set", f"did you mean {loose}?")
    if not MIN_PREFIX <= loose.prefixlen <= MAX_PREFIX:
        return Invalid(
            f"'{text}' is a /{loose.prefixlen}; VPC and subnet blocks must be between /{MIN_PREFIX} and /{MAX_PREFIX}",
            f"use a block from /{MIN_PREFIX} to /{MAX_PREFIX} (the cloud's limits)",
        )
    if not any(loose.subnet_of(pool) for pool in ADDRESS_POOLS):
        pools = ", ".join(str(pool) for pool in ADDRESS_POOLS)
        return Invalid(
            f"'{text}' is not inside the platform's private address pools ({pools}); a public block would "
            "collide with the Internet the extranet must stay isolated from",
            "use a block from the private pools, e.g. 10.70.0.0/16",
        )
    return loose


def _cidr(value: Any) -> IPv4Network:
    result = parse_cidr(value)
    if isinstance(result, Invalid):
        raise custom_error("cidr", result.message, result.hint)
    return result


Cidr = Annotated[IPv4Network, BeforeValidator(_cidr), PlainSerializer(str, return_type=str)]


@dataclass(frozen=True, order=True)
class PortRange:
    """An inclusive port range; a single port has ``start == end``."""

    start: int
    end: int

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    def overlaps(self, other: PortRange) -> bool:
        return self.start <= other.end and other.start <= self.end


def parse_ports(value: Any) -> tuple[PortRange, ...] | Invalid:
    """Sorted ranges from ``443``, ``"8443-8444"`` or a list of them; ``None`` means no ports."""
    if value is None:
        return ()
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        return Invalid("no ports listed", "name at least one port, e.g. 443")
    if len(items) > MAX_PORT_ENTRIES:
        return Invalid(
            f"{len(items)} port entries; a flow may have at most {MAX_PORT_ENTRIES}",
            "use a range such as 8000-8010, or split the flow in two",
        )
    ranges: list[PortRange] = []
    for item in items:
        parsed = _port_range(item)
        if isinstance(parsed, Invalid):
            return parsed
        ranges.append(parsed)
    ranges.sort()
    for earlier, later in itertools.pairwise(ranges):
        if earlier.overlaps(later):
            return Invalid(f"'{later}' overlaps '{earlier}'", "list each port once")
    return tuple(ranges)


def _port_range(item: Any) -> PortRange | Invalid:
    shape = "expected a port (443), a range ('8443-8444') or a list of them"
    if isinstance(item, bool) or not isinstance(item, int | str):
        return Invalid(f"{shape}, got {shown(item)}", "write ports as numbers, e.g. ports: [443, 8443-8444]")
    text = str(item).strip()
    match = re.fullmatch(r"([0-9]+)(?: *- *([0-9]+))?", text)
    if match is None:
        return Invalid(
            f"{shown(text)} is not a port or a range like 8443-8444",
            "write ports as numbers, e.g. ports: [443, 8443-8444]",
        )
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    for port in (start, end):
        if not 1 <= port <= 65535:
            return Invalid(f"port {port} is outside 1-65535", "use ports from 1 to 65535")
    if start > end:
        return Invalid(f"range '{text}' runs backwards", f"write the lower port first: {end}-{start}")
    if start == 1 and end == 65535:
        return Invalid(
            f"'{text}' opens every port; a flow names the ports its service listens on (BND-06)",
            "list the service's ports, e.g. 443",
        )
    return PortRange(start, end)


def _ports(value: Any) -> tuple[PortRange, ...]:
    result = parse_ports(value)
    if isinstance(result, Invalid):
        raise custom_error("ports", result.message, result.hint)
    return result


def _ports_text(ranges: tuple[PortRange, ...]) -> list[str]:
    return [str(item) for item in ranges]


Ports = Annotated[tuple[PortRange, ...], BeforeValidator(_ports), PlainSerializer(_ports_text)]


def name_problem(value: str, what: str, max_length: int) -> Invalid | None:
    """Names become resource names and nftables comments: keep them short and plain."""
    if NAME_RE.fullmatch(value) and len(value) <= max_length:
        return None
    suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "name"
    if not suggestion[0].isalpha():
        suggestion = f"x-{suggestion}"
    return Invalid(
        f"{what} {shown(value)} must be lower-case letters, digits and dashes, start with a letter and be at most "
        f"{max_length} characters: it is part of resource names",
        f"rename it, e.g. '{suggestion[:max_length]}'",
    )
