"""Reading config files: YAML mistakes with lines, and how problems read."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.config import PLATFORM_FILE, ConfigError, Problem, load_flows, load_platform
from infra.config import platform as platform_module
from infra.config.problems import LineIndex, format_path
from infra.config.yamlfile import parse_yaml
from infra.vault import model as vault_model
from infra.vault.errors import DesiredStateError


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_platform(path)
    return caught.value


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("region: cn-north-1\nzones:\n  extranet: {cidr: 10.20.0.0/16\n", encoding="utf-8")
    assert error_of(path).problems == (
        Problem(
            str(path),
            "",
            "not valid YAML at line 4, column 1: did not find expected ',' or '}' "
            "(while parsing a flow mapping that starts at line 3)",
            "fix the YAML syntax there",
            4,
        ),
    )


def test_bad_indentation(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("region: cn-north-1\n  availability_zones: [cn-north-1a]\n", encoding="utf-8")
    assert error_of(path).problems == (
        Problem(
            str(path),
            "",
            "not valid YAML at line 2, column 21: mapping values are not allowed in this context",
            "fix the YAML syntax there",
            2,
        ),
    )


def test_duplicate_keys_are_reported_not_silently_dropped(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(
        "zones:\n"
        "  extranet:\n"
        "    cidr: 10.20.0.0/16\n"
        "  shared:\n"
        "    cidr: 10.50.0.0/16\n"
        "  extranet:\n"
        "    cidr: 10.21.0.0/16\n",
        encoding="utf-8",
    )
    assert error_of(path).problems == (
        Problem(
            str(path),
            "zones.extranet",
            "duplicate key 'extranet' (first at line 2); YAML would silently keep only the last one",
            "remove one of them or give it another name",
            6,
        ),
    )


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert error_of(path).problems == (
        Problem(
            str(path), "", "expected a mapping of fields, got nothing (null)", "see the comment at the top of the file"
        ),
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert error_of(path).problems == (Problem(str(path), "", "file not found", "check the path"),)


def test_flows_file_is_read_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "flows.yaml"
    path.write_text("flows:\n  - id: 1\n    name: [x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_flows(path, load_platform(PLATFORM_FILE))
    assert caught.value.problems[0].line == 4
    assert caught.value.problems[0].message.startswith("not valid YAML at line 4, column 1:")


def test_line_index_falls_back_to_the_nearest_parent() -> None:
    _, lines = parse_yaml("zones:\n  shared:\n    subnets: {}\n", "f.yaml")
    assert lines.line(("zones", "shared", "subnets")) == 3
    assert lines.line(("zones", "shared", "cidr")) == 2
    assert lines.line(("elsewhere",)) == 1
    assert LineIndex().line(("a",)) is None


def test_paths_read_like_the_file() -> None:
    assert format_path(("zones", "extranet", "cidr")) == "zones.extranet.cidr"
    assert format_path(("flows", 2, "source")) == "flows[2].source"
    assert format_path(()) == ""


def test_problem_and_error_text() -> None:
    first = Problem("policies/flows.yaml", "flows[2].source", "unknown zone 'dmz'", "use a known zone", 14)
    second = Problem("policies/flows.yaml", "", "file not found", "check the path")
    assert str(first) == "policies/flows.yaml:14: flows[2].source: unknown zone 'dmz'\n    hint: use a known zone"
    assert str(ConfigError([first, second])) == (
        "2 configuration problems:\n"
        "- policies/flows.yaml:14: flows[2].source: unknown zone 'dmz'\n"
        "    hint: use a known zone\n"
        "- policies/flows.yaml: file not found\n"
        "    hint: check the path"
    )
    assert str(ConfigError([second])).startswith("1 configuration problem:\n")


def test_config_error_needs_a_problem() -> None:
    with pytest.raises(ValueError):
        ConfigError([])


def test_an_unforeseen_failure_is_one_problem_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # The loader and checks are built to raise only ConfigError; the backstop keeps a missed case (here
    # simulated) a message instead of a traceback in `pulumi preview` or `egov`.
    def boom(*_: object, **__: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(platform_module, "platform_problems", boom)
    with pytest.raises(ConfigError) as caught:
        load_platform(PLATFORM_FILE)
    assert caught.value.problems == (
        Problem(str(PLATFORM_FILE), "", "could not be validated (RecursionError: maximum recursion depth exceeded)",
                "nothing was created or changed; this is a bug in egov, not in the file: report it with the file"),
    )


def test_an_unforeseen_failure_in_the_tenants_file_is_a_desired_state_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise MemoryError()

    monkeypatch.setattr(vault_model, "_validate", boom)
    with pytest.raises(DesiredStateError) as caught:
        vault_model.parse_desired("version: 1\n", "tenants.yaml")
    assert [str(problem) for problem in caught.value.problems] == [
        "tenants.yaml: could not be validated (MemoryError); nothing was created or changed; this is a bug in "
        "egov, not in the file: report it with the file"]
