"""VAULT_ADDR must be https:// unless the user opts in explicitly: the token would cross the network in clear."""

from __future__ import annotations

import pytest

from infra.vault.errors import VaultUnavailable
from infra.vault.live import Connection, connect

ENV = {"VAULT_TOKEN": "s.token"}


@pytest.mark.parametrize("address", ["http://bao.example:8200", "HTTP://bao.example:8200", "http://127.0.0.1:8200"])
def test_plain_http_is_refused_with_what_to_do(address: str) -> None:
    with pytest.raises(VaultUnavailable) as caught:
        connect({**ENV, "VAULT_ADDR": address})
    assert str(caught.value) == (
        f"VAULT_ADDR is {address}: plain http:// would send the token and every secret in clear, so it is refused. "
        "Use the server's https:// address (and VAULT_CACERT for its CA), or, for a throw-away test server only, "
        "opt in with --insecure-http or EGOV_VAULT_INSECURE_HTTP=1. Nothing was changed.")


@pytest.mark.parametrize("address", ["bao.example:8200", "ftp://bao.example", "tcp://127.0.0.1:8200"])
def test_an_address_without_https_scheme_is_refused(address: str) -> None:
    with pytest.raises(VaultUnavailable, match=r"is not an https:// URL; write it as https://host:port"):
        connect({**ENV, "VAULT_ADDR": address})


def test_http_with_an_explicit_opt_in_is_accepted() -> None:
    assert connect({**ENV, "VAULT_ADDR": "http://127.0.0.1:8200"}, insecure_http=True).address == (
        "http://127.0.0.1:8200")
    assert connect({**ENV, "VAULT_ADDR": "http://127.0.0.1:8200", "EGOV_VAULT_INSECURE_HTTP": "1"}).insecure_http
    with pytest.raises(VaultUnavailable):
        connect({**ENV, "VAULT_ADDR": "http://127.0.0.1:8200", "EGOV_VAULT_INSECURE_HTTP": "0"})


def test_a_connection_built_directly_is_checked_too() -> None:
    with pytest.raises(VaultUnavailable, match="plain http://"):
        Connection("http://127.0.0.1:8200", "s.token", True, source="environment")
    assert connect({**ENV, "VAULT_ADDR": "https://bao.example:8200/"}).address == "https://bao.example:8200"


def test_the_break_glass_token_is_used_only_when_given_or_when_the_token_is_root() -> None:
    conn = connect({**ENV, "VAULT_ADDR": "https://bao.example:8200"})
    assert conn.break_glass() is None
    conn.token_policies = ("root",)
    assert conn.break_glass() is conn
    other = connect({**ENV, "VAULT_ADDR": "https://bao.example:8200", "EGOV_VAULT_BREAK_GLASS_TOKEN": "s.root"})
    glass = other.break_glass()
    assert glass is not None and glass.token == "s.root" and other.token == "s.token"
