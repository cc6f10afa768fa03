"""Property-based tests (hypothesis) over the loader and the three models: platform, flows, tenants.

Whatever the input, reading and validating ends in a value or in one ``ConfigError``/``DesiredStateError``
whose problems name the file and a field or line (or say that the whole file is refused); never in another
exception. The duplicate-flow index is checked against the rule itself, pair by pair.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import PLATFORM_FILE, ConfigError, Platform, Problem, load_platform, validate_flows
from infra.config.fields import PortRange
from infra.config.flows import flow_problems
from infra.config.platform import validate_platform
from infra.config.yamlfile import Limits, parse_yaml
from infra.vault.errors import DesiredStateError
from infra.vault.model import parse_desired
from infra.vault.policies import DEFAULT_DESIRED

FILE = "input.yaml"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Problems about the file as a whole carry neither a field nor a line; these are all of them.
WHOLE_FILE = re.compile(
    r"^(expected a mapping of fields|must be a mapping with `version: 1`|the file is |not valid YAML|"
    r"the file holds more than one|not valid text|a mapping key is itself)"
)

# Values that have broken or nearly broken a check before: names with newlines, address ranges,
# wrong types, huge and odd numbers.
NASTY_TEXT = [
    "", " ", "\n", "extra\n", "finance\n", "shared\n", "cn-north-1\n", "*", "any", "0.0.0.0/0", "0.0.0.0/1",
    "128.0.0.0/1", "10.0.0.0/8", "10.20.0.0/16", "10.20.0.7/16", "8.8.8.0/24", "::/0", "fd00::/8", "10.20.0.0",
    "1-65535", "443", "8443-8444", "65536", "tcp", "TCP ", "icmp", "all", "{braces}", "'quote", "数据", "a" * 300,
    "x\x00y", "\ud7ff", "-1", "1e309", "nan", "extranet", "internet", "management", "bridge", "inspection",
    "15m", "0s", "9999999d", "ec-p256", "file", "https://bao.example:8200", "../../sys", "%2e%2e",
]
scalars = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=10)), inner, max_size=4),
    ),
    max_leaves=12,
)
# Text made of the characters YAML gives meaning to, for the parser itself.
yaml_text = st.text(alphabet=[*"[]{}:,-&*!|>'\"#%@`?<= \n\tab01.~\\", "\u00e9", "\x07"], max_size=300)


def check_refusal(problems: tuple[Problem, ...] | list[Any], file: str = FILE) -> None:
    assert problems, "a refusal without a problem"
    for problem in problems:
        text = str(problem)
        assert text.startswith(file), text
        assert problem.file == file
        message = getattr(problem, "message", None) or getattr(problem, "why", "")
        hint = getattr(problem, "hint", None) or getattr(problem, "fix", "")
        assert message and hint, text
        line = getattr(problem, "line", None)
        assert problem.field or line is not None or WHOLE_FILE.match(message), text
        assert len(text) < 2_000, f"a message of {len(text)} characters"


def leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``data``, containers included, so a whole subtree can be replaced too."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += leaves(value, (*path, index))
    return found


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    result = copy.deepcopy(data)
    target = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return result


def mutations(base: Any) -> st.SearchStrategy[Any]:
    """``base`` with one value replaced (or a key renamed) somewhere: near-valid documents reach deep checks."""
    paths = leaves(base)
    replace = st.tuples(st.sampled_from(paths), values).map(lambda pair: replaced(base, pair[0], pair[1]))
    key_paths = [path for path in paths if path and isinstance(path[-1], str)]

    def rename(pair: tuple[tuple[Any, ...], str]) -> Any:
        path, new = pair
        result = copy.deepcopy(base)
        parent = result
        for part in path[:-1]:
            parent = parent[part]
        parent[new] = parent.pop(path[-1])
        return result

    renamed = st.tuples(st.sampled_from(key_paths), st.sampled_from(NASTY_TEXT)).map(rename)
    return st.one_of(replace, renamed)


def as_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


PLATFORM_DATA = yaml.safe_load(PLATFORM_FILE.read_text(encoding="utf-8"))
TENANTS_DATA = yaml.safe_load(DEFAULT_DESIRED.read_text(encoding="utf-8"))
FLOW = {"id": 1, "name": "extranet-to-shared-api", "source": "extranet", "destination": "shared",
        "protocol": "tcp", "ports": [443], "purpose": "Data exchange", "owner": "Data Administration"}


@pytest.fixture(scope="module")
def platform() -> Platform:
    return load_platform(PLATFORM_FILE)


# -- the loader ----------------------------------------------------------------------------------------------


@SETTINGS
@given(yaml_text)
def test_any_text_is_read_or_refused_with_a_located_problem(text: str) -> None:
    try:
        parse_yaml(text, FILE, Limits(max_bytes=4096, max_depth=8, max_nodes=200))
    except ConfigError as exc:
        check_refusal(exc.problems)


@SETTINGS
@given(values)
def test_plain_data_reads_back_as_dumped(data: Any) -> None:
    text = as_yaml(data)
    try:
        loaded, _ = parse_yaml(text, FILE)
    except ConfigError as exc:  # only what the loader refuses on purpose: keys that collide, odd values
        check_refusal(exc.problems)
        return
    assert loaded == yaml.safe_load(text) or loaded != loaded  # NaN is never equal to itself


# -- the three models ------------------------------------------------------------------------------------------


@SETTINGS
@given(st.one_of(mutations(PLATFORM_DATA), values))
def test_platform_never_crashes(data: Any) -> None:
    try:
        validate_platform(data, FILE)
    except ConfigError as exc:
        check_refusal(exc.problems)
    try:
        loaded, lines = parse_yaml(as_yaml(data), FILE)
        validate_platform(loaded, FILE, lines)
    except ConfigError as exc:
        check_refusal(exc.problems)


@SETTINGS
@given(st.one_of(
    mutations({"flows": [FLOW, {**FLOW, "id": 2, "name": "back", "source": "shared", "destination": "extranet"}]}),
    st.lists(mutations(FLOW), max_size=5).map(lambda flows: {"flows": flows}),
    values,
))
def test_flows_never_crash(platform: Platform, data: Any) -> None:
    try:
        validate_flows(data, platform, FILE)
    except ConfigError as exc:
        check_refusal(exc.problems)


@SETTINGS
@given(st.one_of(mutations(TENANTS_DATA), values, yaml_text))
def test_tenants_never_crash(data: Any) -> None:
    text = data if isinstance(data, str) else as_yaml(data)
    try:
        parse_desired(text, FILE)
    except DesiredStateError as exc:
        check_refusal(exc.problems)


# -- the indexed duplicate check against the rule, pair by pair --------------------------------------------------

port_ranges = st.tuples(st.integers(1, 40), st.integers(0, 6)).map(lambda pair: (pair[0], pair[0] + pair[1]))
raw_flows = st.lists(
    st.tuples(
        st.sampled_from([("extranet", "shared"), ("shared", "extranet"), ("management", "shared")]),
        st.sampled_from(["tcp", "udp", "icmp"]),
        st.lists(port_ranges, min_size=1, max_size=3),
    ),
    max_size=25,
)


def overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


@SETTINGS
@given(raw_flows)
def test_duplicate_check_reports_exactly_the_flows_an_earlier_one_overlaps(platform: Platform, spec: Any) -> None:
    flows: list[dict[str, Any]] = []
    for index, ((source, destination), protocol, ranges) in enumerate(spec):
        # Ranges inside one flow must not overlap each other (that is its own problem): keep the first of each.
        kept: list[tuple[int, int]] = []
        for item in sorted(ranges):
            if not any(overlap(item, other) for other in kept):
                kept.append(item)
        flow = {"id": index + 1, "name": f"f{index}", "source": source, "destination": destination,
                "protocol": protocol}
        if protocol != "icmp":
            flow["ports"] = [f"{a}-{b}" if a != b else a for a, b in kept]
        flows.append(flow)
    found = {problem.field: problem.message for problem in flow_problems({"flows": flows}, platform, FILE)}

    def ports_of(flow: dict[str, Any]) -> list[tuple[int, int]]:
        parsed = []
        for item in flow.get("ports", []):
            low, _, high = str(item).partition("-")
            parsed.append((int(low), int(high or low)))
        return parsed

    for index, flow in enumerate(flows):
        key = (flow["source"], flow["destination"], flow["protocol"])
        earlier = [other for other in range(index)
                   if (flows[other]["source"], flows[other]["destination"], flows[other]["protocol"]) == key
                   and (flow["protocol"] == "icmp"
                        or any(overlap(a, b) for a in ports_of(flow) for b in ports_of(flows[other])))]
        field = f"flows[{index}].{'protocol' if flow['protocol'] == 'icmp' else 'ports'}"
        if not earlier:
            assert field not in found, found[field]
            continue
        message = found[field]
        other = int(re.search(r"\(flows\[(\d+)\]\)$", message).group(1))  # type: ignore[union-attr]
        assert other in earlier, message
        if flow["protocol"] != "icmp":
            clash = [PortRange(*a) for a in ports_of(flow) if any(overlap(a, b) for b in ports_of(flows[other]))]
            assert message.startswith(f"{flow['protocol']} {','.join(str(item) for item in clash)} from "), message
