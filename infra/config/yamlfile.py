"""Reading a YAML config file: data, the line of every value, and the mistakes YAML hides.

PyYAML silently keeps the last of two equal keys, so a second ``extranet:`` would quietly
replace the first zone; we report duplicates instead. Syntax errors carry their line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.config.problems import ConfigError, LineIndex, PathPart, Problem, format_path


def read_yaml(path: str | Path) -> tuple[Any, LineIndex]:
    """The document at ``path`` and its line index; ``ConfigError`` for unreadable or malformed files."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(file, "", "file not found", "check the path")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [Problem(file, "", f"cannot read the file: {exc}", "check permissions and encoding")]
        ) from None
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str) -> tuple[Any, LineIndex]:
    """Parse ``text`` (named ``file`` in problems); duplicate keys and syntax errors are problems."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[tuple[PathPart, ...], int] = {}
        duplicates: list[Problem] = []
        if node is not None:
            _index(node, (), lines, duplicates, file, set())
        if duplicates:
            raise ConfigError(duplicates)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        where = f" at line {line}, column {mark.column + 1}" if mark is not None else ""
        message = f"not valid YAML{where}: {exc.problem or exc.context}"
        if exc.context and exc.problem:
            started = f" that starts at line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
            message += f" ({exc.context}{started})"
        raise ConfigError([Problem(file, "", message, "fix the YAML syntax there", line)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, "", f"not valid YAML: {exc}", "fix the YAML syntax")]) from None
    finally:
        loader.dispose()
    return data, LineIndex(lines)


def _index(
    node: yaml.Node,
    path: tuple[PathPart, ...],
    lines: dict[tuple[PathPart, ...], int],
    duplicates: list[Problem],
    file: str,
    active: set[int],
) -> None:
    if id(node) in active:  # an alias that contains itself; construction reports it
        return
    active.add(id(node))
    # A mapping entry points at its key's line (set by the caller): a nested block starts below it.
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            key_line = key_node.start_mark.line + 1
            if key in seen:
                message = (
                    f"duplicate key '{key}' (first at line {seen[key]}); YAML would silently keep only the last one"
                )
                hint = "remove one of them or give it another name"
                duplicates.append(Problem(file, format_path((*path, key)), message, hint, key_line))
                continue
            seen[key] = key_line
            lines[(*path, key)] = key_line
            _index(value_node, (*path, key), lines, duplicates, file, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), lines, duplicates, file, active)
    active.discard(id(node))
