"""Whether an instance's user data looks like it carries a secret.

User data is readable by anyone who can describe the instance's attributes and by every process on the
host through the metadata service; a key, a password or a token in it is a leaked secret. Secrets reach
a host from OpenBao at boot instead. The provider refuses such user data and the scanner and policy pack
flag it, all with this one detector. Messages name the line and the kind of secret, never the secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key block", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")),
    ("a password assignment (password=...)", re.compile(r"(?i)\b[a-z_]*(password|passwd|pwd)\b\s*[=:]")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b")),
    ("an AWS secret access key", re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*\S")),
    ("a Vault/OpenBao token", re.compile(r"\b(hv[sbr]\.[A-Za-z0-9_-]{24,}|[sbr]\.[A-Za-z0-9]{24})\b")),
)


@dataclass(frozen=True)
class SecretFinding:
    """A line of user data that looks like a secret: where and what kind (the value itself is never kept)."""

    line: int
    kind: str

    def describe(self) -> str:
        return f"line {self.line} looks like it carries a secret ({self.kind})"


REDACTED_LINE = "[egov: secret redacted: {kind}]"
_REDACTED = re.compile(r"\[egov: secret redacted: (?P<kind>[^\]]+)\]")
_KINDS = frozenset(kind for kind, _ in SECRET_PATTERNS)


def find_secrets(user_data: str) -> list[SecretFinding]:
    """Every line of ``user_data`` that matches a secret pattern (first matching kind per line). A line
    ``redact_secrets`` replaced counts as the secret it stood for, so redacted evidence is judged the same."""
    findings: list[SecretFinding] = []
    for number, line in enumerate(user_data.splitlines(), start=1):
        redacted = _REDACTED.fullmatch(line.strip())
        if redacted and redacted["kind"] in _KINDS:
            findings.append(SecretFinding(number, redacted["kind"]))
            continue
        for kind, pattern in SECRET_PATTERNS:
            if pattern.search(line):
                findings.append(SecretFinding(number, kind))
                break
    return findings


def redact_secrets(user_data: str) -> str:
    """``user_data`` with every secret-looking line replaced by a marker naming its kind: what evidence keeps,
    so a scan never copies the secret it reports."""
    lines = user_data.splitlines()
    for finding in find_secrets(user_data):
        lines[finding.line - 1] = REDACTED_LINE.format(kind=finding.kind)
    return "\n".join(lines) + ("\n" if user_data.endswith("\n") else "")


ADVICE = (
    "deliver secrets at boot from OpenBao (e.g. a response-wrapped AppRole secret-id fetched by the host), "
    "never in user data, which anyone who may describe the instance can read"
)
