"""Finding, loading and running the checks: one folder per check under ``compliance/checks/``.

Each folder holds ``check.py`` (``def check(evidence) -> Iterable[Result]``), ``metadata.yaml`` (schema:
``CheckMetadata``) and ``fixtures/compliant.json`` + ``fixtures/violating.json``. A malformed metadata
file is a ``ConfigError`` naming the file, the field and the reason, before anything is scanned.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from compliance.checks.base import Evidence, Result, is_managed
from compliance.text import zh_of
from infra.config.problems import Collector, ConfigError, Problem, custom_error
from infra.config.yamlfile import read_yaml
from infra.repository import REPO_ROOT

CHECKS_DIR = REPO_ROOT / "compliance" / "checks"
CHECK_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
REQUIREMENT = re.compile(r"^(cloud|vault|state|hosts|certs|attestations):(global|regions)\.[a-z_]+$")

Severity = Literal["critical", "high", "medium", "low"]
SEVERITY_RANK: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1}

Status = Literal["pass", "fail", "error", "not collected", "not enforced here"]


class Localized(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class CheckMetadata(BaseModel):
    """What ``metadata.yaml`` must say about a check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: Localized
    severity: Severity
    service: str = Field(min_length=1)
    resource_type: str = Field(min_length=1)
    clauses: tuple[str, ...] = Field(min_length=1)
    requires: tuple[str, ...] = Field(min_length=1)
    description: str = Field(min_length=10)
    risk: str = Field(min_length=10)
    remediation: str = Field(min_length=10)
    remediation_zh: str = Field(min_length=4)
    """The remediation in Chinese (the report's language switch shows one or the other)."""
    references: tuple[str, ...] = ()
    """Other benchmarks the check implements, e.g. ``CIS AWS 5.4`` or ``Prowler ec2_...``."""

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not CHECK_ID.match(value):
            raise custom_error("check_id", f"check id {value!r} is not snake_case <service>_<resource>_<property>",
                               "use lower-case words joined by _, e.g. ec2_securitygroup_default_restrict_traffic")
        return value

    @field_validator("requires")
    @classmethod
    def _requirements(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not REQUIREMENT.match(item):
                raise custom_error("requires", f"evidence requirement {item!r} is not <source>:<global|regions>.<key>",
                                   "e.g. cloud:regions.security_groups or cloud:global.buckets")
        return value

    @property
    def sources(self) -> set[str]:
        return {item.split(":", 1)[0] for item in self.requires}


@dataclass(frozen=True)
class Finding:
    """One verdict of one check on one resource (or, for ``error``/``not collected``, on the source)."""

    check_id: str
    resource: str
    status: Status
    detail: str
    severity: str
    region: str = ""
    resource_type: str = ""
    managed: bool | None = None
    tenant: str = ""
    zone: str = ""
    detail_zh: str = ""
    """The detail in Chinese (the check's template pair, compliance/text.py)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check_id, "resource": self.resource, "status": self.status, "detail": self.detail,
            "detail_zh": self.detail_zh,
            "severity": self.severity, "region": self.region, "resource_type": self.resource_type,
            "managed": self.managed, "tenant": self.tenant, "zone": self.zone,
        }


CheckFunction = Callable[[Evidence], Iterable[Result]]
BLOCKED_ZH = {"not collected": "证据未采集", "error": "证据无法读取"}


@dataclass(frozen=True)
class Check:
    metadata: CheckMetadata
    function: CheckFunction
    folder: Path

    @property
    def id(self) -> str:
        return self.metadata.id

    def run(self, evidence: Evidence) -> list[Finding]:
        """The check's findings; its evidence missing or unreadable gives one error finding per cause,
        never a pass. An exception inside the check is an error finding too."""
        blocked = missing_evidence(self.metadata, evidence)
        if blocked:
            return [Finding(self.id, source, status, reason, self.metadata.severity, resource_type="evidence",
                            detail_zh=f"{BLOCKED_ZH[status]}: {reason}")
                    for source, status, reason in blocked]
        try:
            results = list(self.function(evidence))
        except Exception as exc:  # a broken check must show, not pass
            return [Finding(self.id, self.id, "error", f"the check failed: {type(exc).__name__}: {exc}",
                            self.metadata.severity, detail_zh=f"检查执行出错: {type(exc).__name__}: {exc}")]
        return [self._finding(result) for result in results]

    def _finding(self, result: Result) -> Finding:
        return Finding(
            check_id=self.id,
            resource=result.resource,
            status=("not enforced here" if result.not_enforced else "pass" if result.passed is True
                    else "fail" if result.passed is False else "error"),
            detail=result.detail,
            severity=self.metadata.severity,
            region=result.region,
            resource_type=result.resource_type or self.metadata.resource_type,
            managed=is_managed(result.tags) if result.tags is not None else None,
            tenant=(result.tags or {}).get("egov:tenant", ""),
            zone=(result.tags or {}).get("egov:zone", ""),
            detail_zh=zh_of(result.detail),
        )


def missing_evidence(metadata: CheckMetadata, evidence: Evidence) -> list[tuple[str, Status, str]]:
    """Why the check cannot be judged: (where, status, reason) for each required piece that is absent."""
    blocked: list[tuple[str, Status, str]] = []
    for requirement in metadata.requires:
        source, path = requirement.split(":", 1)
        bundle = evidence.get(source)
        if not isinstance(bundle, Mapping):
            reason = (evidence.get("_not_collected") or {}).get(source, f"source '{source}' was not collected")
            blocked.append((source, "not collected", reason))
            continue
        scope, key = path.split(".", 1)
        errors: Mapping[str, str] = bundle.get("errors") or {}
        if scope == "global":
            if f"global.{key}" in errors:
                blocked.append((f"{source}:global.{key}", "error", errors[f"global.{key}"]))
            elif key not in (bundle.get("global") or {}):
                blocked.append((f"{source}:global.{key}", "error", f"evidence '{key}' is missing from the scan"))
        else:
            regions: Mapping[str, Any] = bundle.get("regions") or {}
            if not regions:
                blocked.append((f"{source}:regions", "error", "no region was scanned"))
            for region in sorted(regions):
                where = f"regions.{region}.{key}"
                if where in errors:
                    blocked.append((f"{source}:{where}", "error", errors[where]))
                elif key not in regions[region]:
                    blocked.append((f"{source}:{where}", "error", f"evidence '{key}' is missing from the scan"))
    return blocked


def check_folders(directory: Path = CHECKS_DIR) -> list[Path]:
    """Every check folder: a directory with a check.py or a metadata.yaml (so a half-made one shows)."""
    return sorted(path for path in directory.iterdir()
                  if path.is_dir() and not path.name.startswith(("_", "."))
                  and ((path / "check.py").exists() or (path / "metadata.yaml").exists()))


def load_checks(directory: Path = CHECKS_DIR) -> dict[str, Check]:
    """Every check, metadata validated; one ``ConfigError`` with every problem found."""
    problems: list[Problem] = []
    checks: dict[str, Check] = {}
    for folder in check_folders(directory):
        meta_path = folder / "metadata.yaml"
        try:
            data, lines = read_yaml(meta_path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        out = Collector(str(meta_path), lines)
        try:
            metadata = CheckMetadata.model_validate(data)
        except ValidationError as exc:
            out.add_validation_error(exc, CheckMetadata)
            problems.extend(out.problems)
            continue
        if metadata.id != folder.name:
            out.add(("id",), f"id {metadata.id!r} differs from its folder name {folder.name!r}",
                    "rename the folder or the id so they match")
        function = _import_check(folder, directory, out)
        problems.extend(out.problems)
        if function is not None and not out.problems:
            checks[metadata.id] = Check(metadata, function, folder)
    if problems:
        raise ConfigError(problems)
    return checks


def _import_check(folder: Path, directory: Path, out: Collector) -> CheckFunction | None:
    if not (folder / "check.py").exists():
        out.add((), f"{folder / 'check.py'} is missing", "add check.py with a function check(evidence)")
        return None
    if directory == CHECKS_DIR:
        module = importlib.import_module(f"compliance.checks.{folder.name}.check")
    else:  # a folder outside the package (tests): load by path
        spec = importlib.util.spec_from_file_location(f"_egov_check_{folder.name}", folder / "check.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    function = getattr(module, "check", None)
    if not callable(function):
        out.add((), f"{folder / 'check.py'} defines no function check(evidence)", "add it")
        return None
    return function  # type: ignore[no-any-return]
