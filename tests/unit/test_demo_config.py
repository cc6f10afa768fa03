"""A demo config file left by a backend that is gone must not hand `stack init` another OpenBao's data key."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.demo import _forget_secrets_of_a_gone_stack
from infra.engine import Stack


def test_secrets_settings_of_a_gone_stack_are_dropped_and_its_values_kept(tmp_path: Path) -> None:
    stack = Stack("demo-core", env={}, project_dir=tmp_path)
    assert stack.config_path == tmp_path / "Pulumi.demo-core.yaml"  # where `pulumi --stack demo-core` looks
    stack.config_path.write_text(
        "secretsprovider: hashivault://pulumi-secrets\n"
        "encryptedkey: dmF1bHQ6djE6b2xk\n"
        "config:\n  egov-cloud:kind: core\n"
    )
    _forget_secrets_of_a_gone_stack(stack)
    assert yaml.safe_load(stack.config_path.read_text()) == {"config": {"egov-cloud:kind": "core"}}


def test_nothing_to_forget_leaves_the_file_alone(tmp_path: Path) -> None:
    stack = Stack("demo-core", env={}, project_dir=tmp_path)
    _forget_secrets_of_a_gone_stack(stack)  # no file: nothing happens
    assert not stack.config_path.exists()
    stack.config_path.write_text("config:\n  egov-cloud:kind: core\n")
    _forget_secrets_of_a_gone_stack(stack)
    assert stack.config_path.read_text() == "config:\n  egov-cloud:kind: core\n"
