"""The bridge flow allowlist (``policies/flows.yaml``): the only traffic allowed between zones.

Each flow is one (source zone, destination zone, protocol, ports) tuple with a purpose and an owning
department. It is checked against the platform (zones must exist) and against the extranet rule:
the national e-government extranet stays logically isolated from the Internet, so no flow joins the
extranet to the internet zone or to an address range, in either direction.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, ValidationError

from infra.config.fields import (
    DESCRIPTION_RE,
    MAX_FLOW_ID,
    Invalid,
    PortRange,
    Ports,
    name_problem,
    parse_ports,
)
from infra.config.platform import EXTRANET, INTERNET, SHARED, Platform
from infra.config.portclaims import PortClaims
from infra.config.problems import Collector, LineIndex, PathPart, Problem, custom_error, loading, shown
from infra.config.yamlfile import read_yaml

Protocol = Literal["tcp", "udp", "icmp"]
PROTOCOLS: tuple[Protocol, ...] = ("tcp", "udp", "icmp")
FLOW_NAME_MAX = 48
PURPOSE_MAX = 200
OWNER_MAX = 100
ISOLATION = "the national e-government extranet must stay logically isolated from the Internet (EGV-01)"
_ANY_WORDS = frozenset({"any", "all", "*"})


def _flow_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise custom_error(
            "flow_id", f"expected a whole number id, got {shown(value)}", "write the id as a number, e.g. 7"
        )
    if not 1 <= value <= MAX_FLOW_ID:
        raise custom_error(
            "flow_id",
            f"id {value} is outside 1-{MAX_FLOW_ID}; NACL rule numbers are id*10 + slot and must stay below 32767",
            "use the next free id",
        )
    return value


def _flow_name(value: Any) -> str:
    if not isinstance(value, str):
        raise custom_error("flow_name", f"expected a name, got {shown(value)}", "e.g. name: extranet-to-shared-api")
    invalid = name_problem(value, "flow name", FLOW_NAME_MAX)
    if invalid is not None:
        raise custom_error("flow_name", invalid.message, invalid.hint)
    return value


def _protocol(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in PROTOCOLS:
        return value.strip().lower()
    raise custom_error(
        "protocol",
        f"{shown(value)} is not an allowed protocol; a flow names exactly one of tcp, udp or icmp (BND-06)",
        "use tcp, udp or icmp; for several protocols declare one flow each",
    )


def _purpose(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise custom_error("purpose", "purpose is empty", "say what the flow is for; auditors read it")
    text = value.strip()
    if len(text) > PURPOSE_MAX:
        raise custom_error(
            "purpose",
            f"purpose has {len(text)} characters; at most {PURPOSE_MAX} fit a security-group rule description",
            "shorten it; details belong in the change ticket",
        )
    if not DESCRIPTION_RE.fullmatch(text):
        bad = "".join(dict.fromkeys(char for char in text if not DESCRIPTION_RE.fullmatch(char)))
        raise custom_error(
            "purpose",
            f"purpose contains characters a security-group rule description cannot hold: {bad!r}",
            "write the purpose with ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (owner may be Chinese)",
        )
    return text


def _owner(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise custom_error("owner", "owner is empty", "name the department accountable for the flow")
    text = value.strip()
    if len(text) > OWNER_MAX:
        raise custom_error("owner", f"owner has more than {OWNER_MAX} characters", "use the department's short name")
    if not text.isprintable():
        raise custom_error("owner", "owner contains a line break or control character", "write it on one line")
    return text


class Flow(BaseModel):
    """One allowed flow across the bridge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[int, BeforeValidator(_flow_id)]
    name: Annotated[str, BeforeValidator(_flow_name)]
    source: str
    destination: str
    protocol: Annotated[Protocol, BeforeValidator(_protocol)]
    ports: Ports = ()
    purpose: Annotated[str, BeforeValidator(_purpose)]
    owner: Annotated[str, BeforeValidator(_owner)]

    @property
    def description(self) -> str:
        """Security-group rule description: the flow name and why it exists (at most 250 characters)."""
        return f"{self.name}: {self.purpose}"


class FlowAllowlist(BaseModel):
    """The flows file. Build it with ``load_flows`` or ``validate_flows`` (they check it against a platform)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    flows: tuple[Flow, ...]

    _source: str = PrivateAttr(default="<flows>")

    @property
    def source(self) -> str:
        """The file the flows were read from, for messages."""
        return self._source

    def by_id(self) -> list[Flow]:
        """Flows in id order: the order of nftables rules and NACL numbers."""
        return sorted(self.flows, key=lambda flow: flow.id)


def load_flows(path: str | Path, platform: Platform) -> FlowAllowlist:
    """Read the flows file and validate it against ``platform``; ``ConfigError`` lists every problem (and is all
    it raises)."""
    with loading(str(path)):
        data, lines = read_yaml(path)
        return validate_flows(data, platform, str(path), lines)


def validate_flows(
    data: Any, platform: Platform, file: str = "<flows>", lines: LineIndex | None = None
) -> FlowAllowlist:
    """Validate an already-parsed flows document against ``platform``."""
    out = Collector(file, lines)
    allowlist: FlowAllowlist | None = None
    with loading(file):
        try:
            allowlist = FlowAllowlist.model_validate(data)
        except ValidationError as exc:
            out.add_validation_error(exc, FlowAllowlist)
        out.extend(flow_problems(data, platform, out.file, out.lines))
    out.raise_if_any()
    if allowlist is None:  # unreachable: a failed model always leaves a problem
        raise RuntimeError("flows failed validation without a problem")
    allowlist._source = file
    return allowlist


def flow_problems(data: Any, platform: Platform, file: str, lines: LineIndex | None = None) -> list[Problem]:
    """Cross-field problems: names, ids, zones, extranet isolation, ports against protocol, duplicates."""
    out = Collector(file, lines)
    flows = data.get("flows") if isinstance(data, Mapping) else None
    if not isinstance(flows, list):
        return []
    zones = _Zones(sorted(platform.zones))
    ids = [raw.get("id") for raw in flows if isinstance(raw, Mapping)]
    next_id = max([value for value in ids if isinstance(value, int) and not isinstance(value, bool)], default=0) + 1
    names: dict[str, int] = {}
    numbers: dict[int, int] = {}
    # Per (source, destination, protocol): who first allowed each port (icmp: who first allowed it at all).
    claims: dict[tuple[str, str, str], PortClaims] = {}
    first_icmp: dict[tuple[str, str, str], int] = {}
    labels: dict[int, tuple[str, tuple[PortRange, ...]]] = {}
    for index, raw in enumerate(flows):
        if not isinstance(raw, Mapping):
            continue
        path: tuple[PathPart, ...] = ("flows", index)
        name = raw.get("name") if isinstance(raw.get("name"), str) else None
        label = shown(name) if name else f"flows[{index}]"
        if name is not None:
            if name in names:
                out.add(
                    (*path, "name"),
                    f"flow name {shown(name)} is already used by flows[{names[name]}]",
                    "give each flow its own name",
                )
            else:
                names[name] = index
        number = raw.get("id")
        if isinstance(number, int) and not isinstance(number, bool):
            if number in numbers:
                other = flows[numbers[number]].get("name")
                out.add(
                    (*path, "id"),
                    f"id {number} is already used by flows[{numbers[number]}] ({shown(other)})",
                    f"use a free id, e.g. {next_id}",
                )
            else:
                numbers[number] = index
        source, destination = raw.get("source"), raw.get("destination")
        _check_endpoints(path, label, source, destination, zones, out)
        raw_protocol = raw.get("protocol")
        protocol = raw_protocol.strip().lower() if isinstance(raw_protocol, str) else None
        if protocol not in PROTOCOLS:
            continue
        ports = parse_ports(raw.get("ports"))
        if protocol in ("tcp", "udp") and raw.get("ports") is None:
            out.add((*path, "ports"), f"{protocol} flows must name their ports", "add e.g. ports: 443")
            continue
        if protocol == "icmp" and raw.get("ports") is not None:
            out.add(
                (*path, "ports"),
                "icmp has no ports; an icmp flow allows echo requests (ping) and their replies",
                "remove ports",
            )
            continue
        if isinstance(ports, Invalid) or not zones.holds(source) or not zones.holds(destination):
            continue  # only flows between known zones can duplicate each other; the others are refused already
        key = (source, destination, protocol)
        labels[index] = (name or label, ports)
        if protocol == "icmp":
            earlier = first_icmp.setdefault(key, index)
            other_index = earlier if earlier != index else None
        else:
            index_of_key = claims.setdefault(key, PortClaims())
            other_index = index_of_key.owner(ports)
            index_of_key.claim(ports, index)
        if other_index is None:
            continue
        other_name, other_ports = labels[other_index]
        clash = [item for item in ports if any(item.overlaps(old) for old in other_ports)]
        what = "icmp" if protocol == "icmp" else f"{protocol} {','.join(str(item) for item in clash)}"
        out.add(
            (*path, "protocol" if protocol == "icmp" else "ports"),
            f"{what} from {source} to {destination} is already allowed by flow '{other_name}' (flows[{other_index}])",
            "merge the two flows or drop the duplicate: every rule has one owner",
        )
    return out.problems


class _Zones:
    """The platform's zone names, as a set for lookups and as the texts messages list (computed once)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = set(names)
        self.known = ", ".join(names)
        self.others = ", ".join(zone for zone in names if zone not in (EXTRANET, INTERNET))

    def holds(self, value: Any) -> TypeGuard[str]:
        return isinstance(value, str) and value in self.names


def _kind(value: str, zones: _Zones) -> str:
    """``zone``, ``any`` (every address), ``cidr`` (some address range) or ``unknown``."""
    if value in zones.names:
        return "zone"
    if value.strip().lower() in _ANY_WORDS:
        return "any"
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return "unknown"
    return "any" if network.prefixlen == 0 else "cidr"


def _check_endpoints(
    path: tuple[PathPart, ...], label: str, source: Any, destination: Any, zones: _Zones, out: Collector
) -> None:
    ends = {"source": source, "destination": destination}
    kinds = {end: _kind(value, zones) if isinstance(value, str) else "invalid" for end, value in ends.items()}
    reported: set[str] = set()
    others = zones.others
    if destination == EXTRANET:
        if source == INTERNET:
            out.add(
                (*path, "source"),
                f"flow {label} would let the internet zone into the extranet; {ISOLATION}",
                f"exchange data through the {SHARED} zone instead (internet -> {SHARED}, extranet -> {SHARED})",
            )
            reported.add("source")
        elif kinds["source"] in ("any", "cidr"):
            out.add(
                (*path, "source"),
                f"flow {label} would let {_address(source, kinds['source'])} into the extranet; {ISOLATION}",
                f"name the zone the traffic comes from: one of {others}",
            )
            reported.add("source")
    if source == EXTRANET:
        if destination == INTERNET:
            out.add(
                (*path, "destination"),
                f"flow {label} would connect the extranet to the internet zone, whose return route would lead "
                f"back into the extranet; {ISOLATION}",
                f"exchange data through the {SHARED} zone instead (extranet -> {SHARED}, internet -> {SHARED})",
            )
            reported.add("destination")
        elif kinds["destination"] in ("any", "cidr"):
            out.add(
                (*path, "destination"),
                f"flow {label} would let the extranet reach {_address(destination, kinds['destination'])}; {ISOLATION}",
                f"name the zone the traffic goes to: one of {others}",
            )
            reported.add("destination")
    known = zones.known
    for end, value in ends.items():
        if end in reported or not isinstance(value, str):
            continue
        if kinds[end] == "cidr" or (kinds[end] == "any" and "/" in value):
            out.add(
                (*path, end),
                f"{shown(value)} is an address range, not a zone; known zones: {known}",
                "name the zone that holds these addresses; traffic from outside the platform does not cross the bridge",
            )
        elif kinds[end] in ("any", "unknown"):
            out.add(
                (*path, end),
                f"unknown zone {shown(value)}; known zones: {known}",
                "use one of the known zones, or declare the zone under zones: in the platform file",
            )
    if isinstance(source, str) and source == destination and kinds["source"] == "zone":
        out.add(
            (*path, "destination"),
            f"source and destination are both {shown(source)}; traffic inside a zone does not cross the bridge",
            "remove the flow; traffic inside a zone is governed by the zone's own security groups",
        )


def _address(value: str, kind: str) -> str:
    if kind == "any":
        return f"any address ({value})"
    return f"the address range {value} (which may be on the Internet)"
