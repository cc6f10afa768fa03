"""Messages in English and Chinese: a finding's detail is a ``Text``, a ``str`` (the English, so every
existing use of it - logs, JUnit, SARIF, the policy pack's messages - stays as it was) that carries its
Chinese twin in ``.zh``. Each message is written as a pair of templates filled with the same values; a value
that is itself a ``Text`` (a rule's problem) gives its Chinese to the Chinese template."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Text(str):
    """English text (the string itself) with its Chinese in ``zh``."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Text:
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj


def text(en: str, zh: str, **values: Any) -> Text:
    """Fill the English and the Chinese template with the same values (``str.format`` fields)."""
    return Text(en.format(**values), zh.format(**{k: zh_of(v) if isinstance(v, Text) else v
                                                  for k, v in values.items()}))


def join(parts: Iterable[str], en: str = "; ", zh: str = "; ") -> Text:
    """Messages joined in both languages (a plain ``str`` part is the same in both)."""
    items = list(parts)
    return Text(en.join(items), zh.join(zh_of(p) or p for p in items))


def zh_of(value: object) -> str:
    """The Chinese of a message; "" when it has none."""
    return str(getattr(value, "zh", "") or "")
