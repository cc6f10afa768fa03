"""`egov scan` and `egov waiver lint` on bad input: exit 2 (scan) or 1 (lint) with the reason, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "docx"], "--format: unknown value(s) docx"),
    (["--fail-on", "critical"], "--fail-on: 'critical' is not high, medium or any"),
    (["--standard", "iso27001"], "--standard: unknown value(s) iso27001"),
    (["--source", "cloud,ldap"], "--source: unknown value(s) ldap"),
    (["--level", "2"], "level 2 is not supported"),
    # EGOV_HOME is an empty folder: no host inventory, and the message says what to run
    (["--source", "hosts", "--endpoint", "http://127.0.0.1:9"],
     "source hosts cannot be collected: no host inventory at"),
    # policies/vault/tenants.yaml declares finance and health
    (["--tenant", "education", "--endpoint", "http://127.0.0.1:9"],
     "--tenant education: not a tenant declared in"),
])
def test_bad_scan_options_exit_2_before_anything_is_written(args: list[str], message: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "VAULT_ADDR", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("EGOV_HOME", str(tmp_path / "home"))
    result = runner.invoke(app, ["scan", "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_no_configured_source_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "VAULT_ADDR", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(key, raising=False)
    result = runner.invoke(app, ["scan", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "no source is configured" in " ".join(result.output.split())


def test_malformed_waiver_file_stops_the_scan_with_file_field_and_line(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - id: W-1\n    check: no_such_check\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--waivers", str(waivers), "--endpoint", "http://127.0.0.1:9",
                                 "--out", str(tmp_path / "out")])
    text = " ".join(result.output.split())
    assert result.exit_code == 2
    for field in ("reason", "owner", "approver", "expires"):
        assert f"{waivers}:2: waivers[0].{field}: required field is missing" in text


def test_waiver_lint(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("waivers: []\n", encoding="utf-8")
    assert runner.invoke(app, ["waiver", "lint", str(good)]).exit_code == 0
    expired = tmp_path / "expired.yaml"
    expired.write_text(
        "waivers:\n  - id: W-1\n    check: iam_root_mfa_enabled\n    reason: hardware token on order\n"
        "    owner: Li Wei\n    approver: Zhang Min\n    expires: 2020-01-31\n", encoding="utf-8")
    result = runner.invoke(app, ["waiver", "lint", str(expired)])
    assert result.exit_code == 1
    assert "waiver W-1 expired on 2020-01-31" in " ".join(result.output.split())
