"""A department's onboarding request (``tenants/<id>.yaml``): its model and its validation.

Two layers, both reporting every problem at once with file, field, reason and what to do:

- the published JSON Schema (``tenants/schema.json``) gives the shape, so departments and CI can check a
  request with any schema tool; its errors are reworded here (never jsonschema's own text, which quotes
  whole values);
- the checks that need the platform (the tenant pool, zone names, the flows the platform allows, MLPS and
  PIPL rules) run here.

Requests are data written by people outside the platform team: the id and the names are checked with
``fullmatch`` against strict patterns before anything uses them (JSON Schema's ``pattern`` is a search and
its ``$`` also matches before a final line break, so the schema alone is not enough).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import jsonschema

from infra.config.fields import parse_cidr
from infra.config.platform import EXTRANET, INTERNET, SHARED, TENANT_ZONE_PREFIX, Platform
from infra.config.problems import (
    Collector,
    ConfigError,
    LineIndex,
    PathPart,
    Problem,
    format_path,
    loading,
    shown,
)
from infra.config.yamlfile import read_yaml
from infra.repository import REPO_ROOT

SCHEMA_FILE = REPO_ROOT / "tenants" / "schema.json"
TENANT = "tenant"  # a flow's end that is the department's own network
PEER_ZONES = (EXTRANET, SHARED)  # the only zones a tenant exchanges traffic with
LARGEST_PREFIX = 20  # 4,096 addresses
SMALLEST_PREFIX = 26  # 64 addresses: two AZs x two tiers of /28
PLATFORM_MLPS_LEVEL = 3
ROOT_FIELD = "<document>"  # the field named when the document itself is not a mapping



def tenant_zone(tenant_id: str) -> str:
    """The zone a tenant's hosts are in (their ``egov:zone`` tag, the ``hosts`` output, the lab's segment): the
    tenant's own network, kept apart from the platform's zones by the prefix."""
    return f"{TENANT_ZONE_PREFIX}{tenant_id}"


ID_RE = re.compile(r"[a-z][a-z0-9-]{1,18}[a-z0-9]")
NAME_ZH_RE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff08\uff09A-Za-z0-9 ()·]{1,60}")
NAME_EN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ,()'&-]{0,99}")
_ID_HINT = "use lower-case letters, digits and dashes, e.g. 'tax-bureau'; the id names the file and every resource"


@dataclass(frozen=True)
class Contact:
    role: str
    name: str
    email: str


@dataclass(frozen=True)
class Service:
    name: str
    protocol: str
    ports: tuple[int, ...]
    hosts: int


@dataclass(frozen=True)
class TenantFlow:
    """One flow between the tenant and a platform zone; exactly one end is ``tenant``."""

    source: str
    destination: str
    protocol: str
    ports: tuple[int, ...]
    purpose: str

    @property
    def inbound(self) -> bool:
        return self.destination == TENANT

    @property
    def peer(self) -> str:
        return self.source if self.inbound else self.destination


@dataclass(frozen=True)
class TenantRequest:
    """A validated request. Build it with ``load_request`` or ``validate_request``."""

    id: str
    name_zh: str
    name_en: str
    contacts: tuple[Contact, ...]
    mlps_level: int
    data_classification: str | None
    pi_categories: tuple[str, ...]
    pi_sensitive: bool
    prefix: int
    cidr: IPv4Network | None
    services: tuple[Service, ...]
    flows: tuple[TenantFlow, ...]
    retention_days: int
    source: str

    def data_classes(self) -> tuple[str, ...]:
        """The buckets the tenant gets, one per class of data it holds."""
        classes = ["general"]
        if self.pi_categories:
            classes.append("personal-sensitive" if self.pi_sensitive else "personal")
        if self.data_classification in ("important", "core"):
            classes.append(self.data_classification)
        return tuple(classes)


@lru_cache(maxsize=1)
def request_schema() -> dict[str, Any]:
    """The published schema (``tenants/schema.json``)."""
    with open(SCHEMA_FILE, encoding="utf-8") as stream:
        schema: dict[str, Any] = json.load(stream)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def load_request(path: str | Path, platform: Platform) -> TenantRequest:
    """Read and validate a request file; ``ConfigError`` lists every problem (and is all it raises)."""
    file = str(path)
    with loading(file):
        data, lines = read_yaml(path)
        request = validate_request(data, platform, file, lines)
        stem = Path(path).name.removesuffix(".yaml")
        if stem != request.id:
            raise ConfigError([Problem(file, "id", f"the file is named {shown(Path(path).name)} but the id is "
                                       f"'{request.id}'", f"name the file tenants/{request.id}.yaml",
                                       lines.line(("id",)))])
        return request


def validate_request(data: Any, platform: Platform, file: str = "<request>",
                     lines: LineIndex | None = None) -> TenantRequest:
    """Validate an already-parsed request against the schema and the platform."""
    out = Collector(file, lines)
    with loading(file):
        if not isinstance(data, Mapping):
            raise ConfigError([Problem(file, ROOT_FIELD, f"expected a mapping of fields, got {_kind(data)}",
                                       "start from a sample such as tenants/tax-bureau.yaml (form: "
                                       "tenants/schema.json)")])
        own = _identity_problems(data, out)
        for path, message, hint in _schema_problems(data):
            if (path[:1] == ("id",) and "id" in own) or path[:2] in own:
                continue  # the strict check already said it, in its own words
            out.add(path, message, hint)
        _platform_problems(data, platform, out)
        out.raise_if_any()
        return _build(data, file)


def _identity_problems(data: Mapping[str, Any], out: Collector) -> set[Any]:
    """``fullmatch`` checks of the id and the names; returns the fields they reported."""
    reported: set[Any] = set()
    value = data.get("id")
    if isinstance(value, str) and not ID_RE.fullmatch(value):
        out.add(("id",), f"{shown(value)} is not a valid department id: 3-20 lower-case letters, digits and "
                "dashes, starting with a letter and not ending with a dash", _ID_HINT)
        reported.add("id")
    names = data.get("names")
    if isinstance(names, Mapping):
        for key, pattern, allowed in (
            ("zh", NAME_ZH_RE, "Chinese characters, letters, digits, spaces and brackets, at most 60"),
            ("en", NAME_EN_RE, "letters, digits, spaces and , ( ) ' & -, at most 100, starting with a letter or digit"),
        ):
            name = names.get(key)
            if isinstance(name, str) and not pattern.fullmatch(name):
                out.add(("names", key), f"{shown(name)} has characters a department name may not hold "
                        f"(allowed: {allowed})", "write the department's name as plain text, without / \\ ; $ ` | "
                        "& < > or line breaks")
                reported.add(("names", key))
    return reported


def _whole_number(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# JSON Schema counts 24.0 as an integer; a YAML ``24.0`` is a typo, not a prefix length.
_StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _whole_number))


def _schema_problems(data: Any) -> list[tuple[tuple[PathPart, ...], str, str]]:
    validator = _StrictValidator(request_schema())
    found = []
    for error in validator.iter_errors(data):
        path = tuple(part for part in error.absolute_path if isinstance(part, str | int))
        found.append(_describe(error, path))
    return sorted(found, key=lambda item: format_path(item[0]))


def _describe(error: jsonschema.ValidationError, path: tuple[PathPart, ...]) -> tuple[tuple[PathPart, ...], str, str]:
    """Our wording for one schema error (jsonschema's own quotes whole values, which may be megabytes)."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [name for name in expected if isinstance(value, Mapping) and name not in value]
        name = missing[0] if missing else "?"
        return (*path, name), "required field is missing", f"add `{name}` (see tenants/schema.json)"
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [key for key in value if key not in allowed] if isinstance(value, Mapping) else []
        key = extra[0] if extra else "?"
        return ((*path, str(key)), f"unknown field {shown(key)}",
                f"remove it or fix the spelling; allowed here: {', '.join(allowed)}")
    if kind == "type":
        return path, f"expected {_TYPE_WORDS.get(str(expected), expected)}, got {_kind(value)}", _TYPE_HINT
    if kind in ("enum", "const"):
        options = expected if kind == "enum" else [expected]
        listed = ", ".join(str(option) for option in options)
        return path, f"{shown(value)} is not one of: {listed}", f"use one of: {listed}"
    if kind == "pattern":
        return path, f"{shown(value)} has characters or a form not allowed here", _PATTERN_HINTS.get(
            str(path[-1]) if path and isinstance(path[-1], str) else "", "see tenants/schema.json for the form")
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return path, f"{shown(value)} is out of range: it must be {word} {expected}", f"use a value {word} {expected}"
    if kind in ("minItems", "maxItems"):
        word = "at least" if kind == "minItems" else "at most"
        return path, f"{len(value)} items; {word} {expected} allowed", f"list {word} {expected}"
    if kind in ("minLength", "maxLength"):
        word = "at least" if kind == "minLength" else "at most"
        return path, f"{len(value)} characters; {word} {expected} allowed", f"write {word} {expected} characters"
    if kind == "uniqueItems":
        return path, "an item is listed twice", "list each item once"
    return path, f"not accepted ({kind})", "see tenants/schema.json for the expected form"


_TYPE_WORDS = {"object": "a mapping (key: value lines)", "array": "a list", "string": "text", "integer":
               "a whole number", "boolean": "true or false"}
_TYPE_HINT = "see tenants/schema.json (and the sample tenants/tax-bureau.yaml) for the expected form"
_PATTERN_HINTS = {
    "email": "write an address like name@department.gov.cn in lower case",
    "name": "lower-case letters, digits and dashes, starting with a letter (no shell or path characters)",
    "purpose": "plain ASCII: letters, digits, spaces and . _ : / ( ) , -",
    "phone": "digits, spaces and dashes, optionally starting with +",
}


def _platform_problems(data: Mapping[str, Any], platform: Platform, out: Collector) -> None:
    """The checks that need the platform; lenient about shapes the schema already refused."""
    level = data.get("mlps_level")
    if level == 4:
        out.add(("mlps_level",), f"the platform is rated MLPS level {PLATFORM_MLPS_LEVEL}; a level 4 system "
                "cannot be hosted on it", "host the level 4 system on a platform rated level 4")
    _network_problems(data.get("network"), platform, out)
    _pi_problems(data, out)
    services = data.get("services")
    if isinstance(services, list):
        seen: set[str] = set()
        for index, service in enumerate(services):
            name = service.get("name") if isinstance(service, Mapping) else None
            if isinstance(name, str) and name in seen:
                out.add(("services", index, "name"), f"service '{name}' is listed twice", "give each its own name")
            if isinstance(name, str):
                seen.add(name)
    flows = data.get("flows")
    if isinstance(flows, list):
        for index, flow in enumerate(flows):
            if isinstance(flow, Mapping):
                _flow_problems(index, flow, platform, out)


def _network_problems(network: Any, platform: Platform, out: Collector) -> None:
    if not isinstance(network, Mapping):
        return
    raw = network.get("prefix")
    prefix = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    if prefix is not None and not LARGEST_PREFIX <= prefix <= SMALLEST_PREFIX:
        word = "larger" if prefix < LARGEST_PREFIX else "smaller"
        out.add(("network", "prefix"), f"/{prefix} is {word} than a tenant network may be: tenant VPCs are "
                f"/{LARGEST_PREFIX} (4,096 addresses) to /{SMALLEST_PREFIX} (64 addresses)",
                f"ask for a prefix from {LARGEST_PREFIX} to {SMALLEST_PREFIX}, e.g. prefix: 24")
    if "cidr" not in network or not isinstance(network.get("cidr"), str):
        return
    cidr = parse_cidr(network["cidr"])
    if not isinstance(cidr, IPv4Network):
        out.add(("network", "cidr"), cidr.message, cidr.hint)
        return
    pool = platform.tenant_pool
    for name, vpc in platform.networks().items():
        if cidr.overlaps(vpc.cidr):
            label = "the bridge" if name == "bridge" else f"zone '{name}'"
            out.add(("network", "cidr"), f"{cidr} overlaps {label} ({vpc.cidr}); a tenant's block must overlap "
                    "no other network", _cidr_hint(pool))
            return
    if pool is not None and not cidr.subnet_of(pool):
        out.add(("network", "cidr"), f"{cidr} is outside the tenant pool {pool}", _cidr_hint(pool))
        return
    if prefix is not None and cidr.prefixlen != prefix:
        out.add(("network", "cidr"), f"{cidr} is a /{cidr.prefixlen} but network.prefix asks for /{prefix}",
                "make them agree, or drop cidr and let the ledger allocate one")


def _cidr_hint(pool: IPv4Network | None) -> str:
    where = f" from the tenant pool {pool}" if pool is not None else ""
    return f"drop network.cidr to have a free block allocated{where}, or pick a free block inside it"


def _pi_problems(data: Mapping[str, Any], out: Collector) -> None:
    pi = data.get("personal_information")
    if not isinstance(pi, Mapping):
        return
    categories = pi.get("categories")
    listed = isinstance(categories, list) and bool(categories)
    classification = data.get("data_classification")
    if listed and "data_classification" not in data:
        out.add(("data_classification",), "personal information is declared but the data has no classification "
                "(PIPL art. 51 requires classified management of personal information)",
                "add data_classification: general, important or core")
    if pi.get("sensitive") is True and not listed:
        out.add(("personal_information", "categories"), "sensitive personal information is declared but no "
                "category is listed (PIPL art. 28 names them: biometrics, health, financial accounts, ...)",
                "list the categories, e.g. [health, financial-account]")
    if pi.get("sensitive") is True and listed and classification == "general":
        out.add(("data_classification",), "sensitive personal information (PIPL art. 28) cannot be classed "
                "'general'", "set data_classification: important (or core)")


def _flow_problems(index: int, flow: Mapping[str, Any], platform: Platform, out: Collector) -> None:
    ends = {key: flow.get(key) for key in ("source", "destination")}
    if not all(isinstance(end, str) for end in ends.values()):
        return
    zones = sorted(platform.zones)
    for key, end in ends.items():
        if end != TENANT and end not in platform.zones:
            out.add(("flows", index, key), f"unknown zone {shown(end)}; the platform's zones are "
                    f"{', '.join(zones)}", f"use '{TENANT}' for the department's own network, or "
                    f"{' or '.join(PEER_ZONES)}")
            return
    source, destination = ends["source"], ends["destination"]
    pair = {source, destination}
    if INTERNET in pair and (EXTRANET in pair or TENANT in pair):
        key = "source" if source == INTERNET else "destination"
        out.add(("flows", index, key), "traffic between the Internet zone and the extranet side (where tenants "
                "live) is never allowed (EGV-01: the extranet stays isolated from the Internet)",
                "publish through the shared zone: a flow between the tenant and 'shared'")
        return
    if TENANT not in pair:
        out.add(("flows", index), f"a flow from '{source}' to '{destination}' does not involve the tenant; flows "
                "between platform zones are the platform team's (policies/flows.yaml)",
                f"make the source or the destination '{TENANT}'")
        return
    if source == destination:
        out.add(("flows", index), "a flow from the tenant to itself needs no rule", "remove it")
        return
    peer = destination if source == TENANT else source
    key = "destination" if source == TENANT else "source"
    if peer not in PEER_ZONES:
        out.add(("flows", index, key), f"tenants exchange traffic only with the {' and '.join(PEER_ZONES)} zones, "
                f"not '{peer}'", f"use {' or '.join(PEER_ZONES)}")


def _build(data: Mapping[str, Any], file: str) -> TenantRequest:
    pi = data.get("personal_information") or {}
    network = data["network"]
    cidr = parse_cidr(network["cidr"]) if "cidr" in network else None
    return TenantRequest(
        id=data["id"],
        name_zh=data["names"]["zh"],
        name_en=data["names"]["en"],
        contacts=tuple(Contact(c["role"], c["name"], c["email"]) for c in data["contacts"]),
        mlps_level=int(data["mlps_level"]),
        data_classification=data.get("data_classification"),
        pi_categories=tuple(pi.get("categories", ())),
        pi_sensitive=bool(pi.get("sensitive", False)),
        prefix=int(network["prefix"]),
        cidr=cidr if isinstance(cidr, IPv4Network) else None,
        services=tuple(Service(s["name"], s["protocol"], tuple(int(p) for p in s["ports"]),
                               int(s.get("hosts", 1)))
                       for s in data["services"]),
        flows=tuple(TenantFlow(f["source"], f["destination"], f["protocol"],
                                tuple(int(p) for p in f["ports"]), f["purpose"])
                    for f in data["flows"]),
        retention_days=int(data["retention"]["days"]),
        source=file,
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    return shown(value)
