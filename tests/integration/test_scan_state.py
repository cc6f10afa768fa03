"""`egov scan --source state` through the real Pulumi CLI on the embedded backend: a stack whose secrets go
through OpenBao transit passes; a plaintext password imported into a stack's state (pulumi stack import)
and a stack on a passphrase secrets provider fail, each on its own stack; the evidence names the path of the
leaked value, never the value."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance.scan import ScanOptions, run_scan, write_folder
from infra.engine import Stack
from infra.local.environment import LocalEnvironment

pytestmark = pytest.mark.integration

LEAKED = "hunter2-" + uuid.uuid4().hex


@pytest.fixture()
def stacks(local_env: LocalEnvironment, stack_factory: object, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    clean = stack_factory("foundation")  # type: ignore[operator]
    leaky = stack_factory("foundation")  # type: ignore[operator]
    exported = leaky.export()
    exported["deployment"]["resources"] = [{
        "urn": f"urn:pulumi:{leaky.name}::egov-cloud::pulumi:pulumi:Stack::egov-cloud-{leaky.name}",
        "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {"dbPassword": LEAKED}}]
    state_file = tmp_path / "leaky.json"
    state_file.write_text(json.dumps(exported))
    leaky.run("stack", "import", "--file", str(state_file))
    passphrase = Stack(f"t{uuid.uuid4().hex[:8]}", env={**local_env.env(), "PULUMI_CONFIG_PASSPHRASE": "x"},
                       config_file=tmp_path / "passphrase.yaml")
    passphrase.init("passphrase")
    for key, value in local_env.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield {"clean": clean.name, "leaky": leaky.name, "passphrase": passphrase.name}
    finally:
        passphrase.remove()


def test_state_checks_on_real_stacks(stacks: dict[str, str], tmp_path: Path) -> None:
    result = run_scan(ScanOptions(sources=["state"], out_dir=tmp_path))
    verdicts = {(f.check_id, f.resource): f.status for f in result.findings if f.check_id.startswith("state_")}
    assert verdicts[("state_secrets_provider_vault_transit", f"stack:{stacks['clean']}")] == "pass"
    assert verdicts[("state_no_plaintext_secrets", f"stack:{stacks['clean']}")] == "pass"
    assert verdicts[("state_no_plaintext_secrets", f"stack:{stacks['leaky']}")] == "fail"
    assert verdicts[("state_secrets_provider_vault_transit", f"stack:{stacks['leaky']}")] == "pass"
    assert verdicts[("state_secrets_provider_vault_transit", f"stack:{stacks['passphrase']}")] == "fail"
    leak = next(f for f in result.findings if f.resource == f"stack:{stacks['leaky']}"
                and f.check_id == "state_no_plaintext_secrets")
    assert "outputs.dbPassword" in leak.detail and LEAKED not in leak.detail
    folder = write_folder(result, {})
    assert LEAKED not in (folder / "evidence.json").read_text()
