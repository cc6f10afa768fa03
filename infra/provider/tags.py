"""AWS resource tags: validation and the add/remove plan, shared by every family that tags.

Tags carry the classification and ownership labels the compliance checks read, so the
rules are enforced before any API call rather than discovered half-way through an
update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from infra.provider.handler import Failure, is_unknown, property_path

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
RESERVED_PREFIX = "aws:"
OWNER_TAG = "egov:urn"
"""Every resource the provider creates carries its Pulumi URN here, so a resource whose create
response was lost (the cloud made it, the engine never recorded it) can still be found and
cleaned up (`infra.provider.recovery`). The provider owns this tag: it never shows in ``tags``."""


def is_reserved(key: str) -> bool:
    """AWS owns ``aws:`` keys in any letter case, the provider owns OWNER_TAG; users set neither."""
    return key.lower().startswith(RESERVED_PREFIX) or key == OWNER_TAG


def validate_tags(tags: Any, prop: str = "tags") -> list[Failure]:
    """Rules beyond "a map of strings" (the base check enforces that)."""
    if is_unknown(tags) or not isinstance(tags, Mapping):
        return []
    failures: list[Failure] = []
    if len(tags) > MAX_TAGS:
        failures.append(
            Failure(prop, f"{prop} has {len(tags)} entries; AWS allows at most {MAX_TAGS} tags per resource")
        )
    for key, value in tags.items():
        path = property_path(prop, key)
        if not key:
            failures.append(Failure(path, f"{prop} has an empty key; tag keys need 1 to {MAX_KEY_LENGTH} characters"))
            continue
        if is_reserved(key):
            reason = (
                "is reserved: the egov provider sets it to the resource's URN"
                if key == OWNER_TAG
                else "starts with 'aws:', which AWS reserves for its own tags"
            )
            failures.append(Failure(path, f"tag key {key!r} {reason}"))
        if len(key) > MAX_KEY_LENGTH:
            failures.append(
                Failure(path, f"tag key {key[:20]!r}... is {len(key)} characters; the limit is {MAX_KEY_LENGTH}")
            )
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            failures.append(Failure(path, f"{path} is {len(value)} characters long; the limit is {MAX_VALUE_LENGTH}"))
    return failures


def to_aws(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """``{"k": "v"}`` -> ``[{"Key": "k", "Value": "v"}]``, in a stable order."""
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def with_owner(tags: Mapping[str, str], urn: str) -> list[dict[str, str]]:
    """The tag list for a create call: the user's tags plus OWNER_TAG."""
    return to_aws({**tags, OWNER_TAG: urn})


def from_aws(tag_list: Iterable[Mapping[str, Any]] | None, *, include_reserved: bool = False) -> dict[str, str]:
    """AWS's tag list as a map, without the reserved tags (AWS's ``aws:`` ones and OWNER_TAG) unless
    ``include_reserved`` (to check the owner tag itself)."""
    return {
        str(tag["Key"]): str(tag.get("Value", ""))
        for tag in tag_list or ()
        if include_reserved or not is_reserved(str(tag["Key"]))
    }


def owner_urn(tag_list: Iterable[Mapping[str, Any]] | None) -> str:
    """The URN in an AWS tag list's OWNER_TAG, or "" when the resource does not carry it."""
    return next((str(t.get("Value", "")) for t in tag_list or () if t.get("Key") == OWNER_TAG), "")


def plan(current: Mapping[str, str], desired: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """What to set (new or changed values) and which keys to remove to go from current to desired."""
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_remove = sorted(key for key in current if key not in desired and not is_reserved(key))
    return to_set, to_remove


def sync(
    current: Mapping[str, str],
    desired: Mapping[str, str],
    *,
    remove: Callable[[list[str]], Any],
    add: Callable[[dict[str, str]], Any],
) -> None:
    """Go from the ``current`` to the ``desired`` tags with the service's own calls: ``remove`` the
    keys that go, then ``add`` the new and changed ones; each runs only when it has something to do."""
    to_set, to_remove = plan(current, desired)
    if to_remove:
        remove(to_remove)
    if to_set:
        add(to_set)
