"""The egov policy pack: pulumi_policy wrappers around compliance.rules.pack (run by the engine through our
language host's RunPlugin, kind analyzer, in the project's virtualenv)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from compliance.rules.pack import POLICIES, PackPolicy, PlannedResource, check_resource, provider_region


def _plain(value: Any) -> Any:
    """pulumi_policy's props proxy as plain data; a value unknown at preview becomes None (the rules then
    judge what is known, and `up` judges again with every input resolved)."""
    if isinstance(value, Mapping):
        out = {}
        for key in list(value.keys()):
            try:
                out[key] = _plain(value[key])
            except UnknownValueError:
                out[key] = None
        return out
    if isinstance(value, (list, tuple)):
        items = []
        for index in range(len(value)):
            try:
                items.append(_plain(value[index]))
            except UnknownValueError:
                items.append(None)
        return items
    return value


def _props(args: ResourceValidationArgs) -> dict[str, Any]:
    props = _plain(args.props)
    provider = args.provider
    props["__region"] = provider_region(_plain(provider.props) if provider is not None else None, os.environ)
    return props


def _resource_policy(policy: PackPolicy) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        problem = check_resource(policy, args.resource_type, _props(args), args.get_config())
        if problem:
            report_violation(policy.message(problem, f"{args.resource_type} {args.name}"), args.urn)

    schema = PolicyConfigSchema(dict(policy.parameters)) if policy.parameters else None
    return ResourceValidationPolicy(policy.name, f"{policy.description} ({', '.join(policy.clauses)})", validate,
                                    config_schema=schema)


def _stack_policy(policy: PackPolicy) -> StackValidationPolicy:
    assert policy.decide_stack is not None
    decide = policy.decide_stack

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [PlannedResource(r.resource_type, r.urn, _plain(r.props), tuple(d.urn for d in r.dependencies))
                     for r in args.resources]
        for urn, problem in decide(resources, args.get_config()):
            report_violation(policy.message(problem), urn)

    return StackValidationPolicy(policy.name, f"{policy.description} ({', '.join(policy.clauses)})", validate)


PolicyPack(
    "egov-preventive",
    [_stack_policy(p) if p.decide_stack else _resource_policy(p) for p in POLICIES],
    enforcement_level=EnforcementLevel.MANDATORY,
)
