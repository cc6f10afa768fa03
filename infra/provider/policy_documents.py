"""JSON policy documents, shared by every family that carries one (IAM trust and inline policies,
KMS key policies, bucket policies): validation, a *semantic* comparison, and the program's
spelling kept where it means the same as the cloud's.

Semantic policy comparison. AWS hands policies back re-serialised (other whitespace and key
order, sometimes a single-element list collapsed to a string, an account id principal expanded
to its ``:root`` ARN), so comparing text would show a permanent diff. Two documents are equal
when their canonical forms are: statements as an unordered set; ``Action``/``Resource``/
``Principal`` values and condition values as sorted, de-duplicated lists; ``"Principal": "*"``
as ``{"AWS": ["*"]}``; ``123456789012`` and ``arn:<any partition>:iam::123456789012:root`` as
the same principal. ``Sid``, ``Id`` and ``Version`` are kept: they are part of the document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from infra.provider.handler import is_unknown

_ACCOUNT_ROOT = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):root$")
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")


def policy_problem(value: Any, prop: str) -> str | None:
    """Why ``value`` cannot be a policy document (a JSON object with a Statement), or None."""
    if is_unknown(value) or not isinstance(value, str):
        return None
    try:
        document = json.loads(value)
    except json.JSONDecodeError as exc:
        return f"{prop} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if not isinstance(document, dict):
        return f"{prop} must be a JSON object (a policy document), got a JSON {type(document).__name__}"
    if "Statement" not in document:
        return f"{prop} has no 'Statement'; a policy document needs at least one statement"
    statements = document["Statement"]
    if not isinstance(statements, list | dict) or (isinstance(statements, list) and not statements):
        return f"{prop}.Statement must be a statement object or a non-empty list of them"
    return None


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _string_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return sorted({_scalar(item) for item in items})


def _principal_id(value: str) -> str:
    match = _ACCOUNT_ROOT.fullmatch(value)
    return match.group(1) if match else value


def _canonical_principal(value: Any) -> Any:
    if value == "*":
        return {"AWS": ["*"]}
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for kind, who in value.items():
            ids = _string_list(who)
            result[kind] = sorted({_principal_id(i) for i in ids}) if kind == "AWS" else ids
        return result
    return value


def _canonical_statement(statement: Any) -> Any:
    if not isinstance(statement, Mapping):
        return statement
    result: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _LIST_KEYS:
            result[key] = _string_list(value)
        elif key in _PRINCIPAL_KEYS:
            result[key] = _canonical_principal(value)
        elif key == "Condition" and isinstance(value, Mapping):
            result[key] = {
                op: ({k: _string_list(v) for k, v in test.items()} if isinstance(test, Mapping) else test)
                for op, test in value.items()
            }
        else:
            result[key] = value
    return result


def canonical_policy(document: str | Mapping[str, Any]) -> Any:
    """The canonical form two semantically equal documents share; raises ValueError on bad JSON."""
    parsed = json.loads(document) if isinstance(document, str) else document
    if not isinstance(parsed, Mapping):
        return parsed
    result = dict(parsed)
    statements = result.get("Statement")
    if statements is not None:
        items = statements if isinstance(statements, list) else [statements]
        canon = [_canonical_statement(s) for s in items]
        result["Statement"] = sorted(canon, key=lambda s: json.dumps(s, sort_keys=True))
    return result


def policies_equal(a: Any, b: Any) -> bool:
    """Whether two policy documents (JSON text or parsed) mean the same; text compare if unparsable."""
    if a is None or b is None or is_unknown(a) or is_unknown(b):
        return a is b or a == b
    try:
        return bool(canonical_policy(a) == canonical_policy(b))
    except (ValueError, TypeError):
        return bool(a == b)


def policy_text(document: Any) -> str | None:
    """A policy the cloud returned (text, URL-decoded by boto3, or already parsed) as JSON text."""
    if document is None:
        return None
    if isinstance(document, str):
        return document
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def prefer_given(given: Any, live: Any, same: Callable[[Any, Any], bool]) -> Any:
    """``given`` (what the program wrote) when it means the same as ``live``, else ``live``.

    State then shows the program's spelling, so refresh reports no change where there is none.
    """
    if isinstance(given, str) and live is not None and same(given, live):
        return given
    return live
