"""The contract every resource family (VPC, subnet, KMS key, bucket...) implements.

Handlers work on plain Python dicts keyed by the Pulumi (camelCase) property names:
``str``/``bool``/``int``/``float``/``list``/``dict``/``None`` plus the ``UNKNOWN``
marker for values the engine has not computed yet (preview). They never see Pulumi's
``PropertyValue``; ``convert.py`` is the one place that translates, and the provider
re-applies secretness on the way out. That keeps handlers testable without an engine.

A handler declares its properties once (``PropertySpec``); from that the base class
derives input validation, defaults, a generic diff, preview results, reconstruction
of inputs on import, and the schema. Class attributes refine the diff (``unordered``
lists, ``unique_together`` inputs, ``equivalent`` values, ``drift_outputs``).

``CloudHandler`` is the skeleton of a family whose resource is one cloud object: told how
to find it (``lookup``) and what to call it (``noun``), it reads, opens an update
(describe, gone-on-update, refuse replacement changes), syncs tags, ends a create or an
update with a describe and rolls back a half-done create. A family writes ``validate``,
``_outputs`` (or ``_describe``), ``create``, ``delete`` and ``apply_update`` for what
changes in place; ``NamedCloudHandler`` is the same for objects the program names.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Final, Literal

from botocore.exceptions import BotoCoreError, ClientError

from infra.provider.clients import ClientFactory
from infra.provider.errors import (
    ApiError,
    ProviderError,
    ResourceRef,
    from_botocore_error,
    from_client_error,
    from_unparseable_response,
)


class Unknown:
    """A value the engine will only know after an earlier resource is created (preview)."""

    _instance: ClassVar[Unknown | None] = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __copy__(self) -> Unknown:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Unknown:
        return self


UNKNOWN: Final = Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def contains_unknown(value: Any) -> bool:
    """True if ``value`` is unknown or holds an unknown anywhere inside."""
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


class _Missing:
    """Marks a PropertySpec without a default (``None`` is a legitimate default)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

PropertyType = Literal["string", "boolean", "integer", "number", "object", "array"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def property_path(root: str, key: str | int | None = None) -> str:
    """A Pulumi property path: ``tags.Name``, ``tags["cost center"]``, ``rules[0]``."""
    if key is None:
        return root
    if isinstance(key, int):
        return f"{root}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{root}.{key}"
    return f"{root}[{json.dumps(key)}]"


def type_name(value: Any) -> str:
    """How a wrong-typed value is named in messages (JSON/Pulumi vocabulary, not Python's)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


@dataclass(frozen=True)
class PropertySpec:
    """One property of a resource type, declared once and used everywhere."""

    name: str
    type: PropertyType
    description: str
    required: bool = False
    default: Any = MISSING
    replace_on_change: bool = False
    output_only: bool = False
    secret: bool = False
    item_type: PropertyType | None = None
    """Element type of ``object`` (a string-keyed map) and ``array`` properties."""

    def default_value(self) -> Any:
        return copy.deepcopy(self.default) if self.default is not MISSING else None

    def normalize(self, value: Any) -> Any:
        """Absent/null means the default, so ``tags=None`` and ``tags={}`` compare equal."""
        if value is None and self.default is not MISSING:
            return self.default_value()
        return value


def output(name: str, description: str, type: PropertyType = "string", **options: Any) -> PropertySpec:
    """An output-only property: the cloud sets it, the program reads it."""
    return PropertySpec(name, type, description, output_only=True, **options)


def tags_property(what: str) -> PropertySpec:
    """The ``tags`` input every taggable family has."""
    return PropertySpec("tags", "object", f"Tags on the {what}.", default={}, item_type="string")


@dataclass(frozen=True)
class Failure:
    """An input that cannot work: which property (a path) and why."""

    property: str
    reason: str


@dataclass
class CheckResult:
    inputs: dict[str, Any]
    failures: list[Failure] = field(default_factory=list)


class DiffKind(Enum):
    """Mirrors Pulumi's PropertyDiffKind without importing Pulumi into handlers."""

    ADD = "add"
    ADD_REPLACE = "add-replace"
    DELETE = "delete"
    DELETE_REPLACE = "delete-replace"
    UPDATE = "update"
    UPDATE_REPLACE = "update-replace"


@dataclass
class DiffResult:
    changes: bool
    replaces: list[str] = field(default_factory=list)
    detailed: dict[str, DiffKind] = field(default_factory=dict)
    """Property path -> kind of change; every changed input appears here."""
    diffs: list[str] = field(default_factory=list)
    """Top-level names of the changed properties."""
    stables: list[str] = field(default_factory=list)
    delete_before_replace: bool = False


@dataclass
class CreateResult:
    resource_id: str
    outputs: dict[str, Any]


@dataclass
class ReadResult:
    """What exists now. ``resource_id`` is None when the resource is gone."""

    resource_id: str | None
    outputs: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def gone(cls) -> ReadResult:
        return cls(resource_id=None)


DEFAULT_TIMEOUT_SECONDS = 600.0


@dataclass
class HandlerContext:
    """Everything a handler needs about the current operation besides its properties."""

    resource: ResourceRef
    clients: ClientFactory
    timeout: float = 0.0
    """Seconds the engine allows (custom timeouts); 0 means "use the default"."""
    cancelled: threading.Event = field(default_factory=threading.Event)
    random_seed: bytes = b""

    def effective_timeout(self, default: float = DEFAULT_TIMEOUT_SECONDS) -> float:
        return self.timeout if self.timeout and self.timeout > 0 else default

    def client(self, service: str) -> Any:
        return self.clients.client(service)

    def call(self, service: str, method: str, **params: Any) -> dict[str, Any]:
        """Call ``client(service).<method>(**params)``; failures become errors naming the resource."""
        client = self.client(service)
        with self._translated_errors(client, service, method):
            response: dict[str, Any] = getattr(client, method)(**params)
        return response

    def call_or_none(self, missing: Collection[str], service: str, method: str, **params: Any) -> dict[str, Any] | None:
        """``call``, or None when the cloud answers with one of the ``missing`` codes (not found, gone)."""
        try:
            return self.call(service, method, **params)
        except ApiError as exc:
            if exc.code in missing:
                return None
            raise

    def collect(self, service: str, method: str, result_key: str, **params: Any) -> list[Any]:
        """Every ``result_key`` item of a list/describe call, following pagination when it exists."""
        client = self.client(service)
        with self._translated_errors(client, service, method):
            if not client.can_paginate(method):
                return list(getattr(client, method)(**params).get(result_key, []))
            items: list[Any] = []
            for page in client.get_paginator(method).paginate(**params):
                items.extend(page.get(result_key, []))
            return items

    @contextmanager
    def _translated_errors(self, client: Any, service: str, method: str) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            raise from_client_error(exc, resource=self.resource, service=service) from exc
        except BotoCoreError as exc:
            operation = client.meta.method_to_api_mapping.get(method, method)
            raise from_botocore_error(exc, resource=self.resource, service=service, operation=operation) from exc
        except Exception as exc:
            # Imported here: botocore.parsers costs a provider that only checks and diffs (a preview) 0.25 CPU-s.
            from botocore.parsers import ResponseParserError

            if not isinstance(exc, ResponseParserError):
                raise
            operation = client.meta.method_to_api_mapping.get(method, method)
            raise from_unparseable_response(exc, resource=self.resource, service=service, operation=operation) from exc

    def wait_until(
        self,
        what: str,
        probe: Callable[[], bool],
        *,
        timeout: float | None = None,
        first_delay: float = 0.5,
        max_delay: float = 5.0,
    ) -> None:
        """Poll ``probe`` until it returns True; raise naming ``what`` on timeout or cancel."""
        limit = timeout if timeout is not None else self.effective_timeout()
        deadline = time.monotonic() + limit
        delay = first_delay
        while True:
            if probe():
                return
            if self.cancelled.is_set():
                raise ProviderError(f"{self.resource}: cancelled while waiting for {what}")
            if time.monotonic() + delay > deadline:
                raise ProviderError(f"{self.resource}: timed out after {limit:.0f}s waiting for {what}")
            self.cancelled.wait(delay)
            delay = min(delay * 2, max_delay)


def gone_on_update(ctx: HandlerContext, noun: str, resource_id: str) -> ProviderError:
    """The error an ``update`` raises when the ``noun`` it should change has vanished from the cloud."""
    return ProviderError(
        f"{ctx.resource}: {noun} {resource_id} no longer exists; run `pulumi refresh` and Pulumi will "
        "create it again on the next update"
    )


def half_done_error(ctx: HandlerContext, kind: str, cause: Exception, outcome: str) -> ProviderError:
    """The error for a create of a ``kind`` that failed after the cloud object existed; ``outcome``
    says what became of that object."""
    detail = str(cause)
    if not detail.startswith(str(ctx.resource)):
        detail = f"{ctx.resource}: {detail}"
    return ProviderError(f"{detail}\n(creating the {kind} failed half-way; {outcome})")


def rollback_error(
    ctx: HandlerContext,
    kind: str,
    resource_id: str,
    cause: Exception,
    undo: Callable[[], None],
    *,
    catch: type[Exception] = ProviderError,
    adopt_hint: bool = True,
) -> ProviderError:
    """Undo a half-done create and say what happened; the caller raises the result.

    The experimental provider API cannot report a partially created resource, so the
    honest option is to leave nothing behind, or to say exactly what was left. A failure
    of ``undo`` of type ``catch`` is reported (``Exception``: whatever stopped the cleanup);
    ``adopt_hint`` adds how to adopt what is left instead of deleting it by hand.
    """
    try:
        undo()
        outcome = f"the {kind} {resource_id} it had already created was deleted again, so nothing is left behind"
    except catch as exc:
        outcome = f"the {kind} {resource_id} it had already created could NOT be deleted ({exc}); delete it by hand"
        if adopt_hint:
            outcome += f" or adopt it with `pulumi import {ctx.resource.type_token} {ctx.resource.name} {resource_id}`"
    return half_done_error(ctx, kind, cause, outcome)


class ResourceHandler(ABC):
    """Base class of one resource family; subclasses set ``type_token`` and ``properties``."""

    type_token: ClassVar[str]
    description: ClassVar[str] = ""
    properties: ClassVar[tuple[PropertySpec, ...]]
    unordered: ClassVar[tuple[str, ...]] = ()
    """List properties whose order the cloud does not keep: a reordering is not a change."""
    unique_together: ClassVar[tuple[str, ...] | None] = None
    """Inputs that identify the object in the cloud: a replacement that keeps them all would collide
    with the old object, so the old one is deleted first. () means every replacement collides."""
    equivalent: ClassVar[tuple[tuple[str, Callable[[Any, Any], bool]], ...]] = ()
    """Per property, when an old and a new value that differ by ``==`` mean the same (see ``equivalent_values``)."""
    drift_outputs: ClassVar[tuple[str, ...]] = ()
    """List outputs that report drift (rules found that should not be there): refreshed state showing any
    makes the diff ask for the update that removes them."""

    # -- derived views of the property specs -------------------------------------------

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        """Ids of resources of this family that the provider created for URNs starting with ``urn_prefix``
        (from the OWNER_TAG), mapped to their URN; families that cannot be tagged return {}."""
        return {}

    def spec(self, name: str) -> PropertySpec | None:
        return next((p for p in self.properties if p.name == name), None)

    @property
    def input_specs(self) -> tuple[PropertySpec, ...]:
        return tuple(p for p in self.properties if not p.output_only)

    @property
    def output_only_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if p.output_only)

    @property
    def secret_names(self) -> frozenset[str]:
        """Properties that are always secret, whatever the program passed."""
        return frozenset(p.name for p in self.properties if p.secret)

    # -- check ---------------------------------------------------------------------------

    def check(self, ctx: HandlerContext, news: dict[str, Any], olds: dict[str, Any]) -> CheckResult:
        """Validate types and required inputs, fill defaults, then run ``validate``."""
        failures: list[Failure] = []
        known = {p.name for p in self.input_specs}
        for name in news:
            if name not in known:
                accepted = ", ".join(sorted(known))
                failures.append(Failure(name, f"unknown property {name!r}; {self.type_token} accepts: {accepted}"))
        inputs: dict[str, Any] = {}
        well_typed: dict[str, Any] = {}
        for spec in self.input_specs:
            value = news.get(spec.name)
            if value is None:
                if spec.required:
                    failures.append(Failure(spec.name, f"missing required property {spec.name!r}"))
                    continue
                if spec.default is MISSING:
                    continue
                value = spec.default_value()
            inputs[spec.name] = value
            type_failures = _type_failures(spec, value)
            failures.extend(type_failures)
            if not type_failures:
                well_typed[spec.name] = value
        # Domain rules see only well-typed values, so one typo does not hide the other problems.
        failures.extend(self.validate(well_typed))
        return CheckResult(inputs=inputs, failures=failures)

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        """Domain rules on the well-typed inputs (defaults filled; a property may be absent
        when it failed its type check or is missing). UNKNOWN values must pass."""
        return []

    # -- diff ----------------------------------------------------------------------------

    def diff(
        self,
        ctx: HandlerContext,
        resource_id: str,
        old_state: dict[str, Any],
        news: dict[str, Any],
        ignore_changes: Iterable[str] = (),
    ) -> DiffResult:
        """Compare checked inputs with the old *state* (which ``refresh`` keeps true to reality)."""
        old_state = self.aligned_state(old_state, news)
        ignored = set(ignore_changes)
        detailed: dict[str, DiffKind] = {}
        replaces: list[str] = []
        diffs: list[str] = []
        for spec in self.input_specs:
            if spec.name in ignored:
                continue
            old = spec.normalize(old_state.get(spec.name))
            new = spec.normalize(news.get(spec.name))
            changes = self.property_changes(spec, old, new)
            changes = {path: kind for path, kind in changes.items() if path not in ignored}
            if not changes:
                continue
            detailed.update(changes)
            diffs.append(spec.name)
            if spec.replace_on_change:
                replaces.append(spec.name)
        stables = [] if replaces else list(self.output_only_names)
        result = DiffResult(changes=bool(detailed), replaces=replaces, detailed=detailed, diffs=diffs, stables=stables)
        result = self._without_equivalent_changes(result, old_state, news)
        if result.replaces and self.replacement_collides(old_state, news):
            result.delete_before_replace = True
        if not result.replaces:
            self._add_drift(result, old_state, ignored)
        return result

    def _add_drift(self, result: DiffResult, old_state: Mapping[str, Any], ignored: Collection[str]) -> None:
        for name in self.drift_outputs:
            if name not in ignored and old_state.get(name):
                result.detailed[name] = DiffKind.DELETE
                result.diffs.append(name)
        result.changes = bool(result.detailed)
        if result.changes:
            result.stables = [n for n in result.stables if n not in result.detailed]

    def property_changes(self, spec: PropertySpec, old: Any, new: Any) -> dict[str, DiffKind]:
        """Detailed diff entries for one property (normalized values); maps are diffed per key."""
        return _property_changes(spec, old, new)

    def aligned_state(self, old_state: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """The old state the diff compares with: ``unordered`` lists holding the news' items take their order."""
        return align_unordered(old_state, news, self.unordered) if self.unordered else old_state

    def replacement_collides(self, old_state: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether a replacement would collide with the old object (see ``unique_together``)."""
        if self.unique_together is None:
            return False
        return not any(changed(old_state, news, name) for name in self.unique_together)

    def equivalent_values(
        self, old_state: dict[str, Any], news: dict[str, Any]
    ) -> Mapping[str, Callable[[Any, Any], bool]]:
        """Per property, whether an old and a new value that differ by ``==`` still mean the same thing
        (a policy re-serialised, a key id versus its ARN); the diff leaves such changes out."""
        return dict(self.equivalent)

    def _without_equivalent_changes(
        self, result: DiffResult, old_state: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        """Drop the changed properties whose old and new values are ``equivalent_values``."""
        dropped: set[str] = set()
        for name, same in self.equivalent_values(old_state, news).items():
            if name not in result.diffs:
                continue
            old, new = old_state.get(name), news.get(name)
            if is_unknown(new):
                continue
            if same(old, new):
                dropped.add(name)
        if not dropped:
            return result
        detailed = {path: kind for path, kind in result.detailed.items() if path not in dropped}
        replaces = [name for name in result.replaces if name not in dropped]
        diffs = [name for name in result.diffs if name not in dropped]
        stables = [] if replaces else list(self.output_only_names)
        return DiffResult(
            changes=bool(detailed),
            replaces=replaces,
            detailed=detailed,
            diffs=diffs,
            stables=stables,
            delete_before_replace=result.delete_before_replace,
        )

    # -- previews (no cloud calls, by construction: the provider never calls create/update then)

    def preview_create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        """What ``pulumi preview`` shows for a new resource: inputs, and every output unknown."""
        outputs = dict(inputs)
        for name in self.output_only_names:
            outputs[name] = UNKNOWN
        return CreateResult(resource_id="", outputs=outputs)

    def preview_update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        """What an in-place update will leave: old outputs with the new inputs laid over them (and no drift)."""
        return {**old_state, **news, **{name: [] for name in self.drift_outputs}}

    # -- reconstruction ------------------------------------------------------------------

    def inputs_from_outputs(self, outputs: dict[str, Any]) -> dict[str, Any]:
        """The inputs that would produce ``outputs`` (used by refresh and import)."""
        return {p.name: copy.deepcopy(outputs[p.name]) for p in self.input_specs if p.name in outputs}

    def read_result(
        self, resource_id: str, outputs: dict[str, Any] | None, *, omit_null_inputs: bool = False
    ) -> ReadResult:
        """What ``read`` returns for freshly described ``outputs`` (None: the resource is gone), with the
        inputs reconstructed from them. ``omit_null_inputs`` leaves out the unset (null) ones, so an
        imported resource's inputs pass check unchanged."""
        if outputs is None:
            return ReadResult.gone()
        inputs = self.inputs_from_outputs(outputs)
        if omit_null_inputs:
            inputs = {name: value for name, value in inputs.items() if value is not None}
        return ReadResult(resource_id=resource_id, outputs=outputs, inputs=inputs)

    # -- cloud operations ------------------------------------------------------------------

    @abstractmethod
    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        """Create the resource; on failure leave nothing half-created behind."""

    @abstractmethod
    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        """Current reality; ``state``/``inputs`` are empty on import. Gone -> ``ReadResult.gone()``."""

    @abstractmethod
    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply in-place changes and return the new outputs."""

    @abstractmethod
    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """Delete the resource; already gone counts as success."""


def range_failures(inputs: Mapping[str, Any], prop: str, low: int, high: int, why: str = "") -> list[Failure]:
    """An integer input outside ``low``..``high``; ``why`` follows the bounds (a unit, or the reason)."""
    value = inputs.get(prop)
    if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
        return [Failure(prop, f"{prop} {value} must be between {low} and {high}{why}")]
    return []


def _type_failures(spec: PropertySpec, value: Any) -> list[Failure]:
    if is_unknown(value):
        return []
    if not _has_type(spec.type, value):
        return [Failure(spec.name, f"{spec.name} must be a {_type_word(spec.type)}, got {type_name(value)}")]
    failures: list[Failure] = []
    if spec.item_type is not None and spec.type == "object":
        for key, item in value.items():
            if not is_unknown(item) and not _has_type(spec.item_type, item):
                path = property_path(spec.name, key)
                failures.append(Failure(path, f"{path} must be a {_type_word(spec.item_type)}, got {type_name(item)}"))
    elif spec.item_type is not None and spec.type == "array":
        for index, item in enumerate(value):
            if not is_unknown(item) and not _has_type(spec.item_type, item):
                path = property_path(spec.name, index)
                failures.append(Failure(path, f"{path} must be a {_type_word(spec.item_type)}, got {type_name(item)}"))
    return failures


def _has_type(kind: PropertyType, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "object":
        return isinstance(value, Mapping)
    return isinstance(value, list | tuple)


def _type_word(kind: PropertyType) -> str:
    return {"object": "map", "array": "list"}.get(kind, kind)


def _property_changes(spec: PropertySpec, old: Any, new: Any) -> dict[str, DiffKind]:
    """Detailed diff entries for one property; maps are diffed per key."""
    replace = spec.replace_on_change
    add = DiffKind.ADD_REPLACE if replace else DiffKind.ADD
    delete = DiffKind.DELETE_REPLACE if replace else DiffKind.DELETE
    update = DiffKind.UPDATE_REPLACE if replace else DiffKind.UPDATE
    if is_unknown(new):
        return {spec.name: update}
    if old is None and new is None:
        return {}
    if old is None:
        return {spec.name: add}
    if new is None:
        return {spec.name: delete}
    if spec.type == "object" and isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: dict[str, DiffKind] = {}
        for key in sorted(set(old) | set(new), key=str):
            path = property_path(spec.name, key)
            if key not in old:
                changes[path] = add
            elif key not in new:
                changes[path] = delete
            elif is_unknown(new[key]) or old[key] != new[key]:
                changes[path] = update
        return changes
    if contains_unknown(new) or old != new:
        return {spec.name: update}
    return {}


def align_unordered(
    old_state: Mapping[str, Any],
    news: Mapping[str, Any],
    names: Iterable[str],
    canonical: Callable[[Any], Any] = lambda item: item,
) -> dict[str, Any]:
    """A copy of ``old_state`` where each list property in ``names`` that holds the same
    items as ``news`` (in any order) is replaced by the news' list, so the generic diff
    does not report a reordering that AWS would not preserve anyway."""
    aligned = dict(old_state)
    for name in names:
        old, new = old_state.get(name), news.get(name)
        if old is None:
            old = []
        if new is None:
            new = []
        if not isinstance(old, list | tuple) or not isinstance(new, list | tuple) or contains_unknown(new):
            continue
        try:
            same = sorted(json.dumps(canonical(i), sort_keys=True) for i in old) == sorted(
                json.dumps(canonical(i), sort_keys=True) for i in new
            )
        except TypeError:
            continue
        if same:
            aligned[name] = copy.deepcopy(news.get(name))
    return aligned


def changed(old_state: Mapping[str, Any], news: Mapping[str, Any], name: str) -> bool:
    """Whether input ``name`` differs (an unknown new value counts as a change)."""
    new = news.get(name)
    return is_unknown(new) or contains_unknown(new) or old_state.get(name) != new


class HandlerRegistry:
    """Type token -> handler; the provider dispatches every resource request through it."""

    def __init__(self, handlers: Iterable[ResourceHandler] = ()) -> None:
        self._handlers: dict[str, ResourceHandler] = {}
        for handler in handlers:
            self.register(handler)

    def register(self, handler: ResourceHandler) -> None:
        token = handler.type_token
        if token in self._handlers:
            raise ValueError(f"two handlers registered for {token}")
        self._handlers[token] = handler

    def get(self, type_token: str) -> ResourceHandler:
        handler = self._handlers.get(type_token)
        if handler is None:
            known = ", ".join(sorted(self._handlers)) or "(none)"
            raise ProviderError(f"the egov provider has no resource type {type_token!r}; it knows: {known}")
        return handler

    def __iter__(self) -> Iterator[ResourceHandler]:
        return iter(sorted(self._handlers.values(), key=lambda h: h.type_token))

    def __contains__(self, type_token: object) -> bool:
        return type_token in self._handlers


def refuse_replacement_changes(
    ctx: HandlerContext, handler: ResourceHandler, live: Mapping[str, Any], news: Mapping[str, Any]
) -> None:
    """Update must never be asked to change a replace-on-change property; say so if it is."""
    for spec in handler.input_specs:
        if not spec.replace_on_change:
            continue
        wanted = spec.normalize(news.get(spec.name))
        have = live.get(spec.name)
        if wanted is not None and not contains_unknown(wanted) and wanted != have:
            raise ProviderError(
                f"{ctx.resource}: {spec.name} cannot change in place ({have!r} -> {wanted!r}); "
                "it needs a replacement, which the diff should have requested"
            )


@dataclass(frozen=True)
class Lookup:
    """How a family finds one object by id: ``<service>.<method>(<id_param>=[id])`` lists it under
    ``list_key`` (matched on ``id_key``); the ``not_found`` codes mean it does not exist."""

    method: str
    id_param: str
    list_key: str
    id_key: str
    not_found: Collection[str] = ()
    service: str = "ec2"


class CloudHandler(ResourceHandler):
    """The skeleton of a family whose resource is one cloud object found by its id.

    Class attributes say how to find the object (``lookup``; ``gone_states`` mean it is gone)
    and how messages name it (``noun``). From them
    come the common read, the update opening (describe, gone-on-update, refuse replacement
    changes), the tag sync and the describe that ends a create or an update. A family writes
    ``_outputs`` (or its own ``_describe``), ``create``, ``delete`` and, for in-place changes
    other than tags, ``apply_update``.
    """

    noun: ClassVar[str]
    """How messages name one resource of the family ("subnet", "KMS key")."""
    lookup: ClassVar[Lookup]
    gone_states: ClassVar[Collection[str]] = ()
    omit_null_inputs: ClassVar[bool] = False
    """Leave unset (null) inputs out of what read reconstructs, so an import passes check as is."""
    rollback_catch: ClassVar[type[Exception]] = ProviderError
    """Which failures of the undo of a half-done create are reported rather than raised."""
    rollback_adopt_hint: ClassVar[bool] = True
    """Whether the error of a failed undo suggests ``pulumi import`` (not for objects holding data)."""
    outputs_after_tag_sync: ClassVar[bool] = False
    """Opt-in: the family's outputs follow from the object alone and ``apply_update`` changes nothing when
    only tags differ; then an update that changes only tags returns what it read at its start with the new
    tags, without describing the object again."""

    # -- finding the object ----------------------------------------------------------------

    def _get(self, ctx: HandlerContext, resource_id: str) -> dict[str, Any] | None:
        """The cloud's item for ``resource_id`` (any state), or None when it does not exist."""
        find = self.lookup
        response = ctx.call_or_none(find.not_found, find.service, find.method, **{find.id_param: [resource_id]})
        items = response.get(find.list_key, []) if response is not None else []
        return next((dict(i) for i in items if str(i.get(find.id_key)) == resource_id), None)

    def _state(self, ctx: HandlerContext, resource_id: str) -> str | None:
        item = self._get(ctx, resource_id)
        return None if item is None else str(item.get("State"))

    def _describe(self, ctx: HandlerContext, resource_id: str, reference: Mapping[str, Any]) -> dict[str, Any] | None:
        """The resource's outputs now, or None when it is gone; ``reference`` (state, inputs or news)
        lets the outputs keep the program's spelling and order where the cloud's means the same."""
        item = self._get(ctx, resource_id)
        if item is None or item.get("State") in self.gone_states:
            return None
        return self._outputs(ctx, item, reference)

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs from the cloud's item; families that use the default ``_describe`` write this."""
        raise NotImplementedError(f"{type(self).__name__} must implement _outputs or _describe")

    def disappeared(self, ctx: HandlerContext, resource_id: str, when: str) -> ProviderError:
        return ProviderError(f"{ctx.resource}: {self.noun} {resource_id} disappeared {when}")

    def described(
        self, ctx: HandlerContext, resource_id: str, reference: Mapping[str, Any], when: str
    ) -> dict[str, Any]:
        """``_describe``, where gone is an error: the object was just made or changed."""
        outputs = self._describe(ctx, resource_id, reference)
        if outputs is None:
            raise self.disappeared(ctx, resource_id, when)
        return outputs

    # -- read --------------------------------------------------------------------------------

    def read_reference(self, state: dict[str, Any], inputs: dict[str, Any]) -> Mapping[str, Any]:
        return state or inputs

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        outputs = self._describe(ctx, resource_id, self.read_reference(state, inputs)) if resource_id else None
        return self.read_result(resource_id, outputs, omit_null_inputs=self.omit_null_inputs)

    # -- create --------------------------------------------------------------------------------

    def finish_create(
        self,
        ctx: HandlerContext,
        resource_id: str,
        reference: Mapping[str, Any],
        configure: Callable[[], None] = lambda: None,
        *,
        item: Mapping[str, Any] | None = None,
    ) -> CreateResult:
        """Run the steps after the create call, then take the outputs; on any failure undo the create.

        ``item``: the cloud's full description of the object as the create call returned it (most EC2
        create responses carry the same object a describe returns), for a family whose ``configure``
        changed nothing in it. Its outputs are built from it and the describe is skipped: that read
        would add nothing but a round trip to a serial cloud. Without it (the default) the object is
        described again."""
        try:
            configure()
            if item is not None and item.get("State") not in self.gone_states:
                outputs = self._outputs(ctx, dict(item), reference)
            else:
                outputs = self.described(ctx, resource_id, reference, CREATED)
        except Exception as exc:
            raise self.rollback(ctx, resource_id, exc) from exc
        return CreateResult(resource_id=resource_id, outputs=outputs)

    def rollback(self, ctx: HandlerContext, resource_id: str, cause: Exception) -> ProviderError:
        """Delete what a failed create made and say so (see ``rollback_error``)."""

        def undo() -> None:
            self.delete(ctx, resource_id, {})

        return rollback_error(
            ctx, self.noun, resource_id, cause, undo, catch=self.rollback_catch, adopt_hint=self.rollback_adopt_hint
        )

    # -- update --------------------------------------------------------------------------------

    def open_update(self, ctx: HandlerContext, resource_id: str, news: dict[str, Any]) -> dict[str, Any]:
        """What exists now, refusing an update of a vanished object or of a replace-only property."""
        live = self._describe(ctx, resource_id, news)
        if live is None:
            raise self.gone_error(ctx, resource_id)
        refuse_replacement_changes(ctx, self, live, news)
        return live

    def gone_error(self, ctx: HandlerContext, resource_id: str) -> ProviderError:
        """The error an update raises when the object vanished (see ``gone_on_update``)."""
        return gone_on_update(ctx, self.noun, resource_id)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        """Planned against what exists now, not the possibly stale state, so an update also repairs drift."""
        live = self.open_update(ctx, resource_id, news)
        only_tags = self.outputs_after_tag_sync and self.only_tags_differ(live, news)
        self.apply_update(ctx, resource_id, live, news)
        if self.spec("tags") is not None:
            self.sync_tags(ctx, resource_id, live, news.get("tags") or {})
        if only_tags:
            return {**live, "tags": dict(news.get("tags") or {})}
        return self.described(ctx, resource_id, news, UPDATING)

    def only_tags_differ(self, live: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether every known input but ``tags`` already has the value ``live`` shows."""
        if contains_unknown(news):
            return False
        return all(
            spec.name == "tags" or spec.normalize(copy.deepcopy(news.get(spec.name))) == live.get(spec.name)
            for spec in self.input_specs
        )

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        """In-place changes other than tags; nothing by default."""

    def sync_tags(
        self, ctx: HandlerContext, resource_id: str, live: Mapping[str, Any], desired: Mapping[str, str]
    ) -> None:
        """Make the user tags of the object described as ``live`` equal ``desired``."""
        raise NotImplementedError(f"{type(self).__name__} has tags but no sync_tags")


class NamedCloudHandler(CloudHandler):
    """A family whose objects the program names (role, bucket, log group, trail, key alias): read
    keeps the program's spelling of values that mean the same as the cloud's (state and inputs are
    the reference) and leaves unset inputs out, so an imported resource passes check unchanged."""

    omit_null_inputs = True

    def read_reference(self, state: dict[str, Any], inputs: dict[str, Any]) -> Mapping[str, Any]:
        return {**state, **inputs}


CREATED: Final = "right after it was created"
UPDATING: Final = "during the update"
