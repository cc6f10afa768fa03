"""Errors of the OpenBao-as-code layer: each one says what happened and what to do."""

from __future__ import annotations

from dataclasses import dataclass


class VaultOpsError(RuntimeError):
    """A failure the operator can act on; the CLI prints it without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One invalid entry in a desired-state file: where, why, and how to fix it."""

    file: str
    field: str
    why: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.why}; {self.fix}"


class DesiredStateError(VaultOpsError):
    """The desired-state YAML is invalid; raised before anything talks to OpenBao."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid desired state ({count}); nothing was changed:\n"
                         + "\n".join(f"  - {p}" for p in problems))


class VaultUnavailable(VaultOpsError):
    """OpenBao cannot be used right now (unreachable, sealed, token rejected); nothing was changed."""


class PlanRefused(VaultOpsError):
    """The plan has blocking findings (e.g. a mount of the wrong type); nothing was changed."""


class NamespaceSealed(VaultUnavailable):
    """A sealable namespace is sealed: requests inside it are refused, the rest of OpenBao works."""
