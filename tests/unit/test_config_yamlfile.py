"""The hardened loader: hostile files are refused quickly with an exact message naming file, field and line.

Each refusal is timed with a generous bound (a refusal, not a benchmark: bench/config.py measures). Expected
messages are written from the input by hand: the line where the offending token starts, the field path
that leads to it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import PLATFORM_FILE, ConfigError, Problem, load_flows, load_platform, yamlfile
from infra.config.yamlfile import Limits, parse_yaml, read_yaml

# Generous: a refusal happens in milliseconds; a file that is expanded or walked takes tens of seconds.
BOUND_S = 5.0

ANCHORS = "anchors and aliases are not accepted in input files (a few lines of them can expand to gigabytes)"
# The classic "billion laughs": ten lines that expand to 10**9 strings.
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)


@contextmanager
def within(seconds: float = BOUND_S) -> Iterator[None]:
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.1f}s"


def refused(path: Path, load: Callable[[Path], Any] = load_platform) -> tuple[Problem, ...]:
    with within(), pytest.raises(ConfigError) as caught:
        load(path)
    return caught.value.problems


def parsed_problems(text: str, limits: Limits = yamlfile.DEFAULT_LIMITS) -> tuple[Problem, ...]:
    with within(), pytest.raises(ConfigError) as caught:
        parse_yaml(text, "f.yaml", limits)
    return caught.value.problems


def write(tmp_path: Path, text: str, name: str = "platform.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- anchors and aliases -------------------------------------------------------------------------------


def test_billion_laughs_platform_is_refused_before_anything_expands(tmp_path: Path) -> None:
    path = write(tmp_path, "region: cn-north-1\n" + BOMB)
    assert refused(path) == (
        Problem(str(path), "a", f"YAML anchor '&a' refused: {ANCHORS}",
                "remove the anchor and write the value out in full where it is used", 2),
    )


def test_billion_laughs_flows_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "flows:\n  - " + BOMB.replace("\n", "\n    "), "flows.yaml")
    problems = refused(path, lambda p: load_flows(p, load_platform(PLATFORM_FILE)))
    assert problems == (
        Problem(str(path), "flows[0].a", f"YAML anchor '&a' refused: {ANCHORS}",
                "remove the anchor and write the value out in full where it is used", 2),
    )


def test_an_alias_alone_is_refused_where_it_is_used() -> None:
    # An alias to an anchor that was never defined: refused as an alias, not looked up.
    assert parsed_problems("version: 1\ntenants: [*i]\n") == (
        Problem("f.yaml", "tenants[0]", f"YAML alias '*i' refused: {ANCHORS}",
                "write the value out in full where it is used", 2),
    )


def test_an_anchor_on_a_plain_value_is_refused() -> None:
    assert parsed_problems("zones:\n  shared:\n    cidr: &c 10.50.0.0/16\n") == (
        Problem("f.yaml", "zones.shared.cidr", f"YAML anchor '&c' refused: {ANCHORS}",
                "remove the anchor and write the value out in full where it is used", 3),
    )


def test_merge_keys_are_refused() -> None:
    assert parsed_problems("a: {x: 1}\nb:\n  <<: {x: 2}\n") == (
        Problem("f.yaml", "b", "merge keys ('<<') are not accepted in input files", "write the fields out in full",
                3),
    )


# -- size ----------------------------------------------------------------------------------------------


def test_a_50_mb_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("region: cn-north-1\nzones:\n")
        chunk = "  z{:07d}: {{cidr: 10.0.0.0/16}}\n"
        stream.writelines(chunk.format(i) for i in range(50 * 1024 * 1024 // len(chunk.format(0))))
    size = path.stat().st_size
    assert size > 50 * 1000 * 1000
    assert refused(path) == (
        Problem(str(path), "", f"the file is {size:,} bytes; input files may be at most 1,048,576 bytes",
                "check that this is the right file; a real configuration is far smaller (split it if it truly is "
                "not)"),
    )


def test_the_size_cap_is_a_parameter(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1234567890\n")  # 14 bytes
    with pytest.raises(ConfigError) as caught:
        read_yaml(path, Limits(max_bytes=10))
    assert caught.value.problems[0].message == "the file is 14 bytes; input files may be at most 10 bytes"
    assert read_yaml(path, Limits(max_bytes=14))[0] == {"a": 1234567890}


def test_devices_and_pipes_are_not_input_files(tmp_path: Path) -> None:
    # /dev/zero never ends and a named pipe without a writer never answers: neither is opened.
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        assert refused(path) == (
            Problem(str(path), "", "cannot read the file: it is not a regular file (a device, pipe or socket)",
                    "pass the path of a YAML file"),
        )


def test_text_over_the_cap_is_refused_as_well() -> None:
    problems = parsed_problems("a: " + "é" * 600_000)  # 600,003 characters, 1,200,003 bytes
    assert problems[0].message == "the file is 1,200,003 bytes; input files may be at most 1,048,576 bytes"
    # Far over the cap, the text is not even encoded to count its bytes.
    problems = parsed_problems("a" * 2_000_000)
    assert problems[0].message == "the file is at least 2,000,000 bytes; input files may be at most 1,048,576 bytes"


# -- nesting and number of values ------------------------------------------------------------------------


def test_20000_nested_brackets_are_refused(tmp_path: Path) -> None:
    # libyaml's own flow-nesting cap (1000) meets this first, while it looks ahead for a key.
    path = write(tmp_path, "[" * 20_000)
    assert refused(path) == (
        Problem(str(path), "", "not valid YAML at line 1, column 1001: exceeded maximum nesting depth (while "
                "increasing flow level that starts at line 1)",
                "flatten the structure; no input file needs this much nesting", 1),
    )


def test_20000_nested_block_lists_are_refused_at_our_depth_cap(tmp_path: Path) -> None:
    path = write(tmp_path, "zones:\n  " + "- " * 20_000 + "x\n")
    # The root mapping and 63 lists are open when the 64th list starts, at zones[0]...[0] (63 indexes).
    assert refused(path) == (
        Problem(str(path), "zones[0][0][0][0][0]... (64 levels down)", "nested more than 64 levels deep",
                "flatten the structure; no input file needs this much nesting", 2),
    )


def test_nesting_up_to_the_cap_is_read() -> None:
    data, _ = parse_yaml("a: " + "[" * 63 + "]" * 63, "f.yaml")  # the root mapping and 63 lists: 64 levels
    lists, value = 1, data["a"]
    while value:
        value = value[0]
        lists += 1
    assert lists == 63
    assert parsed_problems("a: " + "[" * 64 + "]" * 64)[0].message == "nested more than 64 levels deep"


def test_the_number_of_values_is_capped() -> None:
    text = "[" + ",".join("x" * 10) + "]"
    assert parse_yaml(text, "f.yaml", Limits(max_nodes=11))[0] == ["x"] * 10
    assert parsed_problems(text, Limits(max_nodes=10)) == (
        Problem("f.yaml", "[9]", "more than 10 values in one file",
                "check that this is the right file; a real configuration is far smaller", 1),
    )


def test_a_file_of_tiny_values_at_the_size_cap_is_refused_quickly() -> None:
    problems = parsed_problems("[" + "a," * 520_000 + "a]")  # just under 1 MiB, 520,001 values
    assert problems[0].message == "more than 100,000 values in one file"


# -- keys, tags, values ------------------------------------------------------------------------------------


def test_duplicate_keys_at_any_depth_are_reported_with_both_lines() -> None:
    assert parsed_problems("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\na: 2\n") == (
        Problem("f.yaml", "b.c", "duplicate key 'c' (first at line 3); YAML would silently keep only the last one",
                "remove one of them or give it another name", 5),
        Problem("f.yaml", "a", "duplicate key 'a' (first at line 1); YAML would silently keep only the last one",
                "remove one of them or give it another name", 6),
    )


def test_keys_that_are_equal_values_are_duplicates() -> None:
    # `true` and `True` are both the boolean true: a plain dict would keep one silently.
    assert parsed_problems("true: 1\nTrue: 2\n")[0].message == (
        "duplicate key 'True' (first at line 1); YAML would silently keep only the last one")


def test_a_list_as_a_key_is_refused() -> None:
    assert parsed_problems("? [a, b]\n: 1\n") == (
        Problem("f.yaml", "", "a mapping key is itself a list or mapping", "use plain text as keys", 1),
    )


@pytest.mark.parametrize(("text", "tag"), [
    ("a: !!python/object:os.system x\n", "!!python/object:os.system"),
    ("a: !!binary aGVsbG8=\n", "!!binary"),
    ("a: !!set {x, y}\n", "!!set"),
    ("a: !custom x\n", "!custom"),
])
def test_tags_beyond_plain_data_are_refused(text: str, tag: str) -> None:
    assert parsed_problems(text) == (
        Problem("f.yaml", "a", f"YAML tag '{tag}' is not accepted here",
                "remove the tag: input files hold plain text, numbers, booleans, lists and mappings", 1),
    )


def test_values_python_cannot_hold_are_problems_not_crashes() -> None:
    assert parsed_problems("a: 2024-13-45\nb: " + "9" * 5000 + "\n") == (
        Problem("f.yaml", "a", "cannot read '2024-13-45' as timestamp: month must be in 1..12",
                "quote it if it is meant as text, or correct it", 1),
        Problem("f.yaml", "b", "cannot read '9999999999999999999999999999999999999999...' as int: Exceeds the limit "
                "(4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits("
                ") to increase the limit", "quote it if it is meant as text, or correct it", 2),
    )


def test_a_second_document_is_refused() -> None:
    assert parsed_problems("a: 1\n---\nb: 2\n") == (
        Problem("f.yaml", "", "the file holds more than one YAML document (a second '---')",
                "keep one document per file", 2),
    )


def test_control_characters_and_bad_encoding_name_their_place(tmp_path: Path) -> None:
    assert parsed_problems("a: b\nzé: x\x07y\n") == (
        Problem("f.yaml", "", "not valid YAML at line 2, column 6: character '\\x07' is not allowed (control "
                "characters are not allowed)", "remove it or write it as an escape in a double-quoted string", 2),
    )
    path = tmp_path / "latin1.yaml"
    path.write_bytes("region: cn-north-1\nowner: Café\n".encode("latin-1"))
    assert refused(path) == (
        Problem(str(path), "", "not UTF-8 text (byte 30 is 0xe9)", "save the file as UTF-8", 2),
    )


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    assert refused(tmp_path) == (
        Problem(str(tmp_path), "", "cannot read the file: it is a directory", "pass the path of a YAML file"),
    )


# -- what is accepted ------------------------------------------------------------------------------------


def test_plain_data_reads_as_pyyaml_would() -> None:
    text = PLATFORM_FILE.read_text(encoding="utf-8")
    assert parse_yaml(text, "platform.yaml")[0] == yaml.safe_load(text)
    mixed = "a: [1, 1.5, true, null, '2', 2024-01-02, ~, 0x1f, .inf]\nb: {c: d}\n'e': \"f\"\n"
    assert parse_yaml(mixed, "f.yaml")[0] == yaml.safe_load(mixed)


def test_lines_point_at_keys_and_list_items() -> None:
    _, lines = parse_yaml("a:\n  b:\n    - x\n    - y: 1\n      z: 2\nc: 3\n", "f.yaml")
    assert lines.line(("a",)) == 1
    assert lines.line(("a", "b")) == 2
    assert lines.line(("a", "b", 0)) == 3
    assert lines.line(("a", "b", 1)) == 4
    assert lines.line(("a", "b", 1, "z")) == 5
    assert lines.line(("c",)) == 6


def test_libyaml_is_the_parser() -> None:
    # The size and value caps are set for libyaml's speed; the pure-Python parser is ~15x slower.
    assert yamlfile._Loader is yaml.CSafeLoader
