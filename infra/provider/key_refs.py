"""References to KMS keys, as families that encrypt with a key (buckets, log groups, trails, aliases) take
them: a bare key id and the key's ARN name the same key, and the state keeps the program's spelling."""

from __future__ import annotations

from typing import Any


def same_key(a: Any, b: Any) -> bool:
    """Whether two key references name the same key: equal, or a key ARN and its bare key id."""
    if a == b:
        return True
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        return False
    return key_id_of(a) == key_id_of(b) and not (a.startswith("alias/") or b.startswith("alias/"))


def key_id_of(reference: str) -> str:
    """The bare key id of a key ARN (``arn:aws-cn:kms:...:key/<id>``); other references unchanged."""
    if reference.startswith("arn:") and ":key/" in reference:
        return reference.split(":key/", 1)[1]
    return reference
