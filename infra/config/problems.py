"""Problems found in configuration files, and the one exception that carries them.

Validation never stops at the first mistake: every check adds a ``Problem`` to a ``Collector``
and the caller raises one ``ConfigError`` at the end, so an operator fixes a file in one pass.
A problem names the file, the field as a dotted path (``zones.extranet.cidr``, ``flows[2].source``),
the line when the input came from YAML, what is wrong and what to do about it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

PathPart = str | int
Path = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    """``("flows", 2, "source")`` -> ``flows[2].source``: the spelling used in every message.

    A key that would not read as one (empty, with a dot, bracket, line break or control character, or very
    long) is shown quoted in brackets, ``zones['extra\\n']``, so the field is always visible and on one line.
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part or len(part) > 60 or not part.isprintable() or any(char in part for char in ".[]"):
            text += f"[{shown(part)}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one file, with the fix."""

    file: str
    field: str
    message: str
    hint: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        head = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return f"{head}\n    hint: {self.hint}" if self.hint else head


class ConfigError(Exception):
    """Raised once per validation run, with every problem found (never empty)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        return "\n".join([f"{count} configuration {noun}:", *(f"- {problem}" for problem in self.problems)])


class LineIndex:
    """Where each value of a YAML document starts, so problems can point at a line.

    Missing paths (a required field that is absent) resolve to their nearest existing ancestor.
    """

    def __init__(self, lines: Mapping[Path, int] | None = None) -> None:
        self._lines: dict[Path, int] = dict(lines or {})

    def line(self, path: Sequence[PathPart]) -> int | None:
        parts = tuple(path)
        while True:
            if parts in self._lines:
                return self._lines[parts]
            if not parts:
                return None
            parts = parts[:-1]


class Collector:
    """Accumulates problems for one file; ``raise_if_any`` turns them into a ``ConfigError``."""

    def __init__(self, file: str, lines: LineIndex | None = None) -> None:
        self.file = file
        self.lines = lines or LineIndex()
        self.problems: list[Problem] = []

    def add(self, path: Sequence[PathPart], message: str, hint: str) -> None:
        self.problems.append(Problem(self.file, format_path(path), message, hint, self.lines.line(path)))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def add_validation_error(self, error: ValidationError, root: type[BaseModel]) -> None:
        """Translate pydantic's errors into problems with our wording and a hint."""
        for item in error.errors():
            loc: Path = tuple(part for part in item["loc"] if isinstance(part, str | int))
            message, hint = _describe(item, loc, root)
            self.add(loc, message, hint)

    def raise_if_any(self) -> None:
        """Raise one ``ConfigError``, problems in file order when lines are known."""
        if self.problems:
            raise ConfigError(sorted(self.problems, key=lambda problem: problem.line or 0))


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: a hostile file must not turn a message into megabytes."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value):,} characters)"
    text = repr(value) if not isinstance(value, list | tuple | dict) or len(value) <= 20 else ""
    if not text or len(text) > limit:
        kind = type(value).__name__
        size = f" of {len(value):,} items" if isinstance(value, list | tuple | dict) else ""
        return f"<a {kind}{size}>"
    return text


UNEXPECTED_HINT = "nothing was created or changed; this is a bug in egov, not in the file: report it with the file"


def unexpected_problem(file: str, exc: BaseException) -> Problem:
    """The one problem for a failure no check foresaw: it names the file and the error, never a traceback."""
    reason = (str(exc).splitlines() or [""])[0][:200]
    what = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
    return Problem(file, "", f"could not be validated ({what})", UNEXPECTED_HINT)


@contextmanager
def loading(file: str) -> Iterator[None]:
    """Wrap reading and validating ``file``: whatever is raised leaves as ``ConfigError``.

    The loader and the checks are built so that only ``ConfigError`` can come out (no recursion, capped
    sizes); this is the backstop that keeps a missed case a clear message instead of a traceback.
    """
    try:
        yield
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError([unexpected_problem(file, exc)]) from exc


def custom_error(kind: str, message: str, hint: str) -> Exception:
    """An error for a pydantic validator that keeps our message and hint intact."""
    # The message goes through the context so braces in user input are never read as a template.
    return PydanticCustomError(kind, "{message}", {"message": message, "hint": hint})


def _describe(item: Any, loc: Path, root: type[BaseModel]) -> tuple[str, str]:
    kind: str = item["type"]
    ctx: dict[str, Any] = item.get("ctx") or {}
    value = item.get("input")
    if "hint" in ctx:
        return str(item["msg"]), str(ctx["hint"])
    name = loc[-1] if loc else ""
    if kind == "missing":
        return "required field is missing", f"add `{name}` (see the comment at the top of the file)"
    if kind == "extra_forbidden":
        allowed = _fields_at(root, loc[:-1])
        listed = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return f"unknown field '{name}'", f"remove it or fix the spelling{listed}"
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        if not loc:
            return f"expected a mapping of fields, got {_kind_of(value)}", "see the comment at the top of the file"
        return f"expected a mapping (key: value lines), got {_kind_of(value)}", "indent the fields under this key"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {_kind_of(value)}", "write one `- item` per line, or [a, b]"
    if kind == "string_type":
        return f"expected text, got {_kind_of(value)}", "quote the value"
    if kind == "bool_type":
        return f"expected true or false, got {shown(value)}", "write true or false without quotes"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {shown(value)}", "write a number without quotes"
    return f"{item['msg']} (got {shown(value)})", "see the comment at the top of the file for the expected form"


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    return repr(value)


def _strip(annotation: Any) -> Any:
    """Peel ``Annotated[...]`` and ``X | None`` so the structural type shows."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _fields_at(root: type[BaseModel], loc: Path) -> list[str]:
    """The field names a mapping at ``loc`` accepts, for the hint of an unknown field."""
    current: Any = root
    for part in loc:
        current = _strip(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) in (tuple, list):
            current = get_args(current)[0]
        else:
            return []
    current = _strip(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []
