"""Sealable tenant namespaces against a real OpenBao (2.7.2): one tenant sealed on its own while the
other tenant and the root namespace keep working. No mocks; one server for the module, tests in order.
What the server holds is checked with plain hvac clients, never through the code under test.
"""

from __future__ import annotations

import stat
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from infra.local.openbao import OpenBao
from infra.vault.apply import apply_plan, make_plan, seal_tenant_namespace, unseal_tenant_namespace
from infra.vault.errors import NamespaceSealed, PlanRefused, VaultOpsError
from infra.vault.live import Connection, connect
from infra.vault.model import parse_desired
from infra.vault.seal import KEYS_DIR_VARIABLE, KeyShareStore, unseal_stored
from tests.integration.openbao_server import b64, ns_client, vault_cli

pytestmark = pytest.mark.integration

TENANTS = """\
version: 1
tenants:
  - id: alpha
    department: Alpha Bureau
    domains: [alpha.egov.example]
    pipeline_cidrs: [127.0.0.1/32]
    sealable: true
    namespace_seal: {shares: 3, threshold: 2}
  - id: bravo
    department: Bravo Bureau
    domains: [bravo.egov.example]
    pipeline_cidrs: [127.0.0.1/32]
"""


@pytest.fixture(scope="module")
def desired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("desired") / "tenants.yaml"
    path.write_text(TENANTS)
    return path


def _env(bao: OpenBao) -> dict[str, str]:
    """What the embedded connection uses: key shares under the OpenBao dir, like init.json."""
    return {**bao.root_env(), KEYS_DIR_VARIABLE: str(bao.dir / "namespaces")}


@pytest.fixture
def conn(bao: OpenBao) -> Connection:
    return connect(_env(bao))


def _seal_status(bao: OpenBao, tenant: str) -> dict[str, object]:
    body = ns_client(bao, "tenants").adapter.request("GET", f"/v1/sys/namespaces/{tenant}/seal-status")
    assert isinstance(body, dict)
    return dict(body["data"])


def _cli(bao: OpenBao, *args: str) -> tuple[int, str]:
    # rich wraps at the terminal width and draws tables with box characters: keep only the words
    return vault_cli(_env(bao), *args, boxes=False)


def test_apply_creates_the_sealable_namespace_unseals_it_and_keeps_the_shares_0600(
        bao: OpenBao, conn: Connection, desired: Path) -> None:
    state = parse_desired(desired.read_text(), str(desired))
    plan = make_plan(conn, state)
    keys = bao.dir / "namespaces" / "alpha.json"
    assert [str(f) for f in plan.findings if "alpha" in f.subject] == [
        "warning: namespace tenants/alpha (tenant 'alpha'): is created with its own seal: 3 key shares (2 unseal "
        f"it) are returned once and written to {keys} (0600); apply unseals the namespace with them; on this "
        "machine `egov vault unseal-tenant alpha` uses that file; in production hand the shares to the "
        "department's key custodians (one share each), then delete the file"]
    assert [s.describe() for s in plan.seal_states] == [
        "not created yet; will get its own seal (2 of 3 key shares), created sealed and unsealed by apply",
        "not created yet; under the platform seal"]

    apply_plan(conn, state, plan)

    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.parent.stat().st_mode) == 0o700
    assert _seal_status(bao, "alpha")["sealed"] is False
    assert (_seal_status(bao, "alpha")["t"], _seal_status(bao, "alpha")["n"]) == (2, 3)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="namespace is not sealable"):
        _seal_status(bao, "bravo")
    alpha = ns_client(bao, "tenants/alpha")
    assert {"kv/", "transit/", "pki/"} <= set(alpha.sys.list_mounted_secrets_engines()["data"])
    again = make_plan(conn, state)
    assert again.empty and again.findings == () and again.skipped == ()
    assert [s.describe() for s in again.seal_states] == [
        "own seal: unsealed (2 of 3 key shares)", "platform seal, cannot be sealed on its own"]


def test_sealing_one_tenant_leaves_the_other_and_the_root_namespace_working(
        bao: OpenBao, conn: Connection, desired: Path) -> None:
    alpha, bravo, root = ns_client(bao, "tenants/alpha"), ns_client(bao, "tenants/bravo"), ns_client(bao)
    alpha.secrets.kv.v2.create_or_update_secret("db", {"password": "alpha-pw"}, mount_point="kv")
    alpha_ct = alpha.secrets.transit.encrypt_data("alpha", b64("alpha data"), mount_point="transit")["data"][
        "ciphertext"]
    bravo.secrets.kv.v2.create_or_update_secret("db", {"password": "bravo-pw"}, mount_point="kv")

    code, output = _cli(bao, "seal-tenant", "alpha", "--file", str(desired))
    assert code == 0, output
    assert output == ("sealed namespace tenants/alpha of tenant 'alpha': its secrets, keys and CA answer "
                      '"namespace is sealed" until 2 of its 3 key shares unseal it')
    assert _seal_status(bao, "alpha")["sealed"] is True

    with pytest.raises(hvac.exceptions.VaultDown, match="namespace is sealed"):
        alpha.secrets.kv.v2.read_secret_version("db", mount_point="kv", raise_on_deleted_version=True)
    with pytest.raises(hvac.exceptions.VaultDown, match="namespace is sealed"):
        alpha.secrets.transit.decrypt_data("alpha", alpha_ct, mount_point="transit")
    with pytest.raises(hvac.exceptions.VaultDown, match="namespace is sealed"):
        alpha.secrets.transit.encrypt_data("alpha", b64("more"), mount_point="transit")
    with pytest.raises(NamespaceSealed, match=r"namespace tenants/alpha at .* is sealed on its own, so GET "
                                              r"kv/data/db was refused .*egov vault unseal-tenant alpha"):
        conn.call("GET", "tenants/alpha", "kv/data/db")

    # The other tenant and the root namespace: reads and writes as before.
    assert bravo.secrets.kv.v2.read_secret_version("db", mount_point="kv", raise_on_deleted_version=True)[
        "data"]["data"] == {"password": "bravo-pw"}
    bravo.secrets.kv.v2.create_or_update_secret("db", {"password": "bravo-pw-2"}, mount_point="kv")
    ct = bravo.secrets.transit.encrypt_data("bravo", b64("bravo data"), mount_point="transit")["data"]["ciphertext"]
    assert bravo.secrets.transit.decrypt_data("bravo", ct, mount_point="transit")["data"]["plaintext"] == b64(
        "bravo data")
    root_ct = root.secrets.transit.encrypt_data("pulumi-secrets", b64("state"))["data"]["ciphertext"]
    assert root.secrets.transit.decrypt_data("pulumi-secrets", root_ct)["data"]["plaintext"] == b64("state")
    assert root.sys.read_seal_status()["sealed"] is False
    assert "alpha/" in ns_client(bao, "tenants").sys.list_namespaces()["data"]["keys"]

    code, output = _cli(bao, "seal-tenant", "alpha", "--file", str(desired))
    assert (code, output) == (0, "namespace tenants/alpha of tenant 'alpha' is already sealed; nothing was changed")


def test_reapply_while_sealed_reports_it_skips_its_resources_and_applies_the_others(
        bao: OpenBao, conn: Connection, desired: Path) -> None:
    changed = desired.with_name("bravo-changed.yaml")
    changed.write_text(TENANTS + "    kv_max_versions: 7\n")
    state = parse_desired(changed.read_text(), str(changed))
    plan = make_plan(conn, state)
    assert plan.skipped == ("tenants/alpha",)
    assert plan.describe() == ["update KV v2 settings tenants/bravo/kv/config: max_versions: 20 -> 7"]
    assert [str(f) for f in plan.findings] == [
        "warning: namespace tenants/alpha (tenant 'alpha'): is sealed, so its 12 resources were neither read nor "
        "changed; unseal it (`egov vault unseal-tenant alpha` with the stored key shares, or its key custodians "
        "with `bao namespace unseal -namespace=tenants alpha`) and apply again, or `egov vault apply "
        "--unseal-tenants`; the other tenants are planned as usual"]
    assert plan.seal_states[0].describe() == "own seal: SEALED (2 of 3 key shares unseal it)"

    apply_plan(conn, state, plan)  # a warning: the other tenant is applied
    assert ns_client(bao, "tenants/bravo").read("kv/config")["data"]["max_versions"] == 7
    assert _seal_status(bao, "alpha")["sealed"] is True  # never unsealed unless asked

    code, output = _cli(bao, "plan", "--file", str(desired))
    assert code == 0, output
    assert "tenants/alpha own seal: SEALED (2 of 3 key shares unseal it)" in output
    assert "update KV v2 settings tenants/bravo/kv/config" in output
    assert "is sealed, so its 12 resources were neither read nor changed" in output
    code, output = _cli(bao, "status", "--file", str(changed))
    assert code == 0, output
    assert output.endswith("no pending changes; sealed, not checked: tenants/alpha")


def test_unseal_brings_the_data_back_and_a_second_apply_changes_nothing(
        bao: OpenBao, conn: Connection, desired: Path) -> None:
    keys = bao.dir / "namespaces" / "alpha.json"
    code, output = _cli(bao, "unseal-tenant", "alpha", "--file", str(desired))
    assert (code, output) == (0, f"unsealed namespace tenants/alpha of tenant 'alpha' with the key shares in {keys}")
    alpha = ns_client(bao, "tenants/alpha")
    assert alpha.secrets.kv.v2.read_secret_version("db", mount_point="kv", raise_on_deleted_version=True)[
        "data"]["data"] == {"password": "alpha-pw"}
    ct = alpha.secrets.transit.encrypt_data("alpha", b64("back"), mount_point="transit")["data"]["ciphertext"]
    assert alpha.secrets.transit.decrypt_data("alpha", ct, mount_point="transit")["data"]["plaintext"] == b64("back")

    code, output = _cli(bao, "unseal-tenant", "alpha", "--file", str(desired))
    assert (code, output) == (0, "namespace tenants/alpha of tenant 'alpha' is not sealed; nothing was changed")

    state = parse_desired(desired.with_name("bravo-changed.yaml").read_text(), "t.yaml")
    plan = make_plan(conn, state)
    assert plan.empty and plan.findings == () and plan.skipped == ()
    code, output = _cli(bao, "apply", "--yes", "--file", str(desired.with_name("bravo-changed.yaml")))
    assert code == 0, output
    assert "no changes: OpenBao at" in output


def test_apply_unseals_only_when_asked(bao: OpenBao, desired: Path) -> None:
    changed = str(desired.with_name("bravo-changed.yaml"))
    assert _cli(bao, "seal-tenant", "alpha", "--file", changed)[0] == 0
    code, output = _cli(bao, "apply", "--yes", "--file", changed)
    assert code == 0, output
    assert "no changes outside the sealed namespaces (tenants/alpha), which were not checked" in output
    assert _seal_status(bao, "alpha")["sealed"] is True
    code, output = _cli(bao, "apply", "--yes", "--unseal-tenants", "--file", changed)
    assert code == 0, output
    assert output.startswith("unsealed namespace tenants/alpha of tenant 'alpha' with the key shares in ")
    assert "no changes: OpenBao at" in output
    assert _seal_status(bao, "alpha")["sealed"] is False


def test_existing_namespace_cannot_become_sealable(bao: OpenBao, conn: Connection, desired: Path) -> None:
    both = desired.with_name("bravo-sealable.yaml")
    both.write_text(TENANTS + "    kv_max_versions: 7\n    sealable: true\n")  # bravo, created without a seal
    state = parse_desired(both.read_text(), str(both))
    assert state.tenant("bravo").sealable
    plan = make_plan(conn, state)
    assert plan.empty and plan.blocking == ()
    assert [str(f) for f in plan.findings] == [
        "warning: namespace tenants/bravo (tenant 'bravo'): is declared `sealable: true` but was created without "
        "its own seal, and OpenBao chooses a namespace's seal at creation only, so it cannot become sealable; "
        "apply leaves it as it is (under the platform seal) and applies the rest of the tenant; to seal this "
        "department on its own, declare a new tenant id with `sealable: true`, move its secrets to it (re-encrypt "
        "with the new transit key) and offboard 'bravo'; otherwise remove `sealable: true` from tenant 'bravo'"]
    assert plan.seal_states[1].describe() == ("platform seal, cannot be sealed on its own (declared sealable: see "
                                              "the finding)")
    with pytest.raises(VaultOpsError, match=r"tenant 'bravo': namespace tenants/bravo was created without its own "
                                            r"seal, so it cannot be sealed or unsealed on its own"):
        seal_tenant_namespace(conn, state, "bravo")
    code, output = _cli(bao, "unseal-tenant", "bravo", "--file", str(both))
    assert code == 1 and "created without its own seal" in output
    code, output = _cli(bao, "seal-tenant", "nobody", "--file", str(both))
    assert (code, output) == (1, "error: no tenant 'nobody' in the desired state (tenants: alpha, bravo)")


def test_new_sealable_namespace_needs_somewhere_for_its_shares(bao: OpenBao, desired: Path) -> None:
    text = TENANTS + ("  - id: charlie\n    department: Charlie Office\n    domains: [charlie.egov.example]\n"
                      "    pipeline_cidrs: [127.0.0.1/32]\n    sealable: true\n")
    state = parse_desired(text, "t.yaml")
    conn = connect(bao.root_env())  # no key-share directory
    plan = make_plan(conn, state)
    assert [str(f) for f in plan.blocking] == [
        "error: namespace tenants/charlie (tenant 'charlie'): is to be created with its own seal, whose 5 key shares "
        f"OpenBao returns only once, but there is nowhere to put them ({KEYS_DIR_VARIABLE} is not set); set "
        f"{KEYS_DIR_VARIABLE} to a directory on the key custodians' handover medium and plan again"]
    with pytest.raises(PlanRefused):
        apply_plan(conn, state, plan)
    assert "charlie/" not in ns_client(bao, "tenants").sys.list_namespaces()["data"]["keys"]


def test_operators_can_plan_seal_and_unseal_a_tenant(bao: OpenBao, desired: Path) -> None:
    token = ns_client(bao).auth.token.create(policies=["operators"], no_default_policy=True, ttl="10m")["auth"][
        "client_token"]
    operator = connect({**_env(bao), "VAULT_TOKEN": token})
    state = parse_desired(desired.with_name("bravo-changed.yaml").read_text(), "t.yaml")
    assert make_plan(operator, state).empty
    seal_tenant_namespace(operator, state, "alpha")
    assert make_plan(operator, state).skipped == ("tenants/alpha",)
    unseal_tenant_namespace(operator, state, "alpha")
    assert _seal_status(bao, "alpha")["sealed"] is False


def test_after_a_server_restart_the_tenant_namespace_is_sealed_until_unsealed(bao: OpenBao, desired: Path) -> None:
    bao.down()
    bao.up()  # unseals OpenBao itself with init.json, not the tenant namespace
    assert _seal_status(bao, "alpha")["sealed"] is True
    assert ns_client(bao, "tenants/bravo").secrets.kv.v2.read_secret_version(
        "db", mount_point="kv", raise_on_deleted_version=True)["data"]["data"] == {"password": "bravo-pw-2"}
    changed = str(desired.with_name("bravo-changed.yaml"))
    assert _cli(bao, "unseal-tenant", "alpha", "--file", changed)[0] == 0
    assert ns_client(bao, "tenants/alpha").secrets.kv.v2.read_secret_version(
        "db", mount_point="kv", raise_on_deleted_version=True)["data"]["data"] == {"password": "alpha-pw"}


def test_local_up_unseals_tenant_namespaces_with_the_stored_shares(bao: OpenBao) -> None:
    bao.down()
    bao.up()
    assert _seal_status(bao, "alpha")["sealed"] is True
    conn = connect({**bao.root_env(), KEYS_DIR_VARIABLE: str(bao.dir / "namespaces")})
    messages = unseal_stored(conn, KeyShareStore(bao.dir / "namespaces"))
    assert any("alpha" in m for m in messages)
    assert _seal_status(bao, "alpha")["sealed"] is False
    assert unseal_stored(conn, KeyShareStore(bao.dir / "namespaces")) == []
