"""The one way to read an input file (platform, flows, tenants, later requests, catalogs, waivers).

Input files come from people and pipelines we do not control, so reading one must stay cheap whatever
its size or shape, and every refusal must say which file, which field or line, why, and what to do:

- the file is read up to a size cap (1 MiB by default) and never further;
- YAML anchors and aliases are refused at the event level, before any value is built, so a
  "billion laughs" file costs a few events, never gigabytes;
- the document is built from the parser's events with an explicit stack (no recursion), with a cap
  on nesting depth and on the number of values, so neither ``RecursionError`` nor ``MemoryError``
  can happen here;
- PyYAML silently keeps the last of two equal keys (a second ``extranet:`` would quietly replace
  the first zone): duplicates are refused instead;
- only plain data is accepted: text, numbers, booleans, null, dates, lists and mappings with
  scalar keys; no ``!!python/...``, ``!!set``, ``!!binary`` or merge keys (``<<``).

Everything a file can do to the parser ends as one ``ConfigError``; callers catch that and nothing else.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.config.problems import ConfigError, LineIndex, PathPart, Problem, format_path

# libyaml's parser is ~15x faster than PyYAML's pure-Python one; both produce the same events.
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp"))
_STR_TAG = _TAG + "str"
_MAPPING_TAG = _TAG + "map"
_SEQUENCE_TAG = _TAG + "seq"
_MERGE_TAG = _TAG + "merge"


@dataclass(frozen=True)
class Limits:
    """How big an input file may be. The defaults hold every file the platform has with a wide margin."""

    max_bytes: int = 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 100_000  # 3000 flows (the most NACL numbering allows) are about 50,000


DEFAULT_LIMITS = Limits()


def read_yaml(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, LineIndex]:
    """The document at ``path`` and its line index; ``ConfigError`` for anything that is not a sane input file."""
    file = str(path)
    try:
        # A device or a named pipe could block or never end: only regular files are input files.
        if not stat.S_ISREG(os.stat(path).st_mode):
            kind = "a directory" if os.path.isdir(path) else "not a regular file (a device, pipe or socket)"
            problem = Problem(file, "", f"cannot read the file: it is {kind}", "pass the path of a YAML file")
            raise ConfigError([problem])
        with open(path, "rb") as stream:
            raw = stream.read(limits.max_bytes + 1)
            if len(raw) > limits.max_bytes:
                size = max(os.fstat(stream.fileno()).st_size, len(raw))  # a file may grow while read
                raise ConfigError([_too_big(file, f"{size:,} bytes" if size > len(raw) else
                                            f"more than {limits.max_bytes:,} bytes", limits)])
    except FileNotFoundError:
        raise ConfigError([Problem(file, "", "file not found", "check the path")]) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError([Problem(file, "", f"cannot read the file: {reason}", "check the path and permissions")]
                          ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError([Problem(file, "", f"not UTF-8 text (byte {exc.start + 1} is {raw[exc.start]:#04x})",
                                   "save the file as UTF-8", line)]) from None
    return parse_yaml(text, file, limits)


def parse_yaml(text: str, file: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, LineIndex]:
    """Parse ``text`` (named ``file`` in problems) under ``limits``; every refusal is a ``ConfigError``."""
    if len(text) > limits.max_bytes:  # each character is at least one byte: no need to encode it all
        raise ConfigError([_too_big(file, f"at least {len(text):,} bytes", limits)])
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise ConfigError([Problem(file, "", f"not valid text (character {exc.start + 1} is a lone surrogate)",
                                   "save the file as UTF-8", line)]) from None
    if len(encoded) > limits.max_bytes:
        raise ConfigError([_too_big(file, f"{len(encoded):,} bytes", limits)])
    loader = _Loader(text)
    try:
        return _Composer(loader, file, limits).document()
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(exc, file)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a control character
        # libyaml counts bytes of the UTF-8 text, PyYAML characters.
        libyaml = _Loader is not yaml.SafeLoader
        before = encoded[: exc.position].decode("utf-8", "replace") if libyaml else text[: exc.position]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        shown = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise ConfigError([Problem(file, "", f"not valid YAML at line {line}, column {column}: character {shown!r} "
                                   f"is not allowed ({exc.reason})", "remove it or write it as an escape in a "
                                   "double-quoted string", line)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, "", f"not valid YAML: {exc}", "fix the YAML syntax")]) from None
    finally:
        loader.dispose()


def _too_big(file: str, what: str, limits: Limits) -> Problem:
    return Problem(
        file,
        "",
        f"the file is {what}; input files may be at most {limits.max_bytes:,} bytes",
        "check that this is the right file; a real configuration is far smaller (split it if it truly is not)",
    )


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    where = f" at line {line}, column {mark.column + 1}" if mark is not None else ""
    message = f"not valid YAML{where}: {exc.problem or exc.context}"
    if exc.context and exc.problem:
        started = f" that starts at line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
        message += f" ({exc.context}{started})"
    hint = "fix the YAML syntax there"
    if "nesting depth" in str(exc.problem):  # libyaml's own cap on flow nesting ('[[[[...'), met before ours
        hint = "flatten the structure; no input file needs this much nesting"
    return Problem(file, "", message, hint, line)


@dataclass
class _Frame:
    """An open mapping or list while its events arrive; ``key`` is set between a key and its value."""

    value: dict[Any, Any] | list[Any]
    path: tuple[PathPart, ...]
    key: _Key | None = None
    lines: dict[Any, int] = field(default_factory=dict)  # key text and key value -> line, for duplicates


@dataclass(frozen=True)
class _Key:
    """A mapping key: its value, its text in the file (paths use the text), and whether it repeats one."""

    value: Any
    text: str
    duplicate: bool = False


class _Refused(Exception):
    """Stop reading: the rest of the file cannot be trusted to be cheap (anchors, depth, size, shape)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


_ANCHORS = "anchors and aliases are not accepted in input files (a few lines of them can expand to gigabytes)"
_PLAIN = "input files hold plain text, numbers, booleans, lists and mappings"


class _Composer:
    """Builds plain Python data from parser events with an explicit stack, refusing what is not plain data."""

    def __init__(self, loader: Any, file: str, limits: Limits) -> None:
        self.loader = loader
        self.file = file
        self.limits = limits
        self.lines: dict[tuple[PathPart, ...], int] = {}
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.nodes = 0
        self.root: Any = None

    def document(self) -> tuple[Any, LineIndex]:
        try:
            self._compose()
        except _Refused as refused:
            raise ConfigError([refused.problem]) from None
        if self.problems:
            raise ConfigError(sorted(self.problems, key=lambda problem: problem.line or 0))
        return self.root, LineIndex(self.lines)

    def _compose(self) -> None:
        documents = 0
        while self.loader.check_event():
            event = self.loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self._refuse("the file holds more than one YAML document (a second '---')",
                                 "keep one document per file", line)
            elif isinstance(event, yaml.AliasEvent):
                self._refuse(f"YAML alias '*{event.anchor}' refused: {_ANCHORS}",
                             "write the value out in full where it is used", line)
            elif isinstance(event, yaml.CollectionEndEvent):
                self.stack.pop()
            elif isinstance(event, yaml.NodeEvent):
                self._node(event, line)

    def _node(self, event: yaml.NodeEvent, line: int) -> None:
        if event.anchor is not None:
            self._refuse(f"YAML anchor '&{event.anchor}' refused: {_ANCHORS}",
                         "remove the anchor and write the value out in full where it is used", line)
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            self._refuse(f"more than {self.limits.max_nodes:,} values in one file",
                         "check that this is the right file; a real configuration is far smaller", line)
        if isinstance(event, yaml.ScalarEvent):
            self._place(self._scalar(event, line), line)
            return
        if len(self.stack) >= self.limits.max_depth:
            path = self._here()
            field = format_path(path) if len(path) <= 6 else f"{format_path(path[:6])}... ({len(path)} levels down)"
            raise _Refused(Problem(self.file, field, f"nested more than {self.limits.max_depth} levels deep",
                                   "flatten the structure; no input file needs this much nesting", line))
        if self._expects_key():
            self._refuse("a mapping key is itself a list or mapping", "use plain text as keys", line)
        container: dict[Any, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
        expected = _MAPPING_TAG if isinstance(container, dict) else _SEQUENCE_TAG
        tag = getattr(event, "tag", None)
        if tag not in (None, "!", expected):
            self._problem(f"YAML tag '{_shown_tag(tag)}' is not accepted here", f"remove the tag: {_PLAIN}", line)
        self.stack.append(_Frame(container, self._place(container, line)))

    def _expects_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is None

    def _here(self) -> tuple[PathPart, ...]:
        """The path of the value the current event starts, for messages."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        return (*top.path, top.key.text) if top.key is not None else top.path

    def _place(self, value: Any, line: int) -> tuple[PathPart, ...]:
        """Attach ``value`` to the open collection (or make it the document); returns its path."""
        if not self.stack:
            self.root = value
            self.lines[()] = line
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            path: tuple[PathPart, ...] = (*top.path, len(top.value))
            self.lines.setdefault(path, line)
            top.value.append(value)
            return path
        if top.key is None:  # this scalar is a key
            key: _Key = value
            path = (*top.path, key.text)
            first = top.lines.get(("text", key.text)) or top.lines.get(("value", key.value))
            if first is not None:
                self.problems.append(Problem(
                    self.file, format_path(path),
                    f"duplicate key '{key.text}' (first at line {first}); YAML would silently keep only the last one",
                    "remove one of them or give it another name", line))
                top.key = _Key(key.value, key.text, duplicate=True)
                return path
            top.lines[("text", key.text)] = top.lines[("value", key.value)] = line
            # A mapping entry points at its key's line: a nested block starts below it.
            self.lines[path] = line
            top.key = key
            return path
        key, top.key = top.key, None
        path = (*top.path, key.text)
        self.lines.setdefault(path, line)
        if not key.duplicate:
            top.value[key.value] = value
        return path

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> Any:
        """The Python value of a scalar; a mapping key comes back as a ``_Key``."""
        is_key = self._expects_key()
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _MERGE_TAG and is_key:
            self._refuse("merge keys ('<<') are not accepted in input files", "write the fields out in full", line)
        value: Any = None
        if tag == _STR_TAG:
            value = event.value
        elif tag not in _SCALAR_TAGS:
            self._problem(f"YAML tag '{_shown_tag(event.tag)}' is not accepted here", f"remove the tag: {_PLAIN}",
                          line)
        else:
            node = yaml.ScalarNode(tag, event.value, style=event.style)
            try:
                value = self.loader.yaml_constructors[tag](self.loader, node)
            except (ValueError, OverflowError, yaml.YAMLError) as exc:
                shown = event.value if len(event.value) <= 40 else event.value[:40] + "..."
                reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
                self._problem(f"cannot read {shown!r} as {tag.removeprefix(_TAG)}: {reason}",
                              "quote it if it is meant as text, or correct it", line)
        if is_key:
            return _Key(value if _hashable(value) else event.value, event.value)
        return value

    def _problem(self, message: str, hint: str, line: int) -> None:
        self.problems.append(Problem(self.file, format_path(self._here()), message, hint, line))

    def _refuse(self, message: str, hint: str, line: int) -> None:
        raise _Refused(Problem(self.file, format_path(self._here()), message, hint, line))


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _shown_tag(tag: str | None) -> str:
    """``tag:yaml.org,2002:python/object`` -> ``!!python/object``, as it was written."""
    text = tag or ""
    return "!!" + text.removeprefix(_TAG) if text.startswith(_TAG) else text
