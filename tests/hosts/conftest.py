"""The host controls run against live hosts over SSH (testinfra), one test per control and host.

Collected only when a generated inventory is named (`egov hosts verify` sets EGOV_HOSTS_INVENTORY); a plain
`pytest` run of the project skips this directory rather than pretending the controls passed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.hosts.inventory import Host, read_hosts

INVENTORY = os.environ.get("EGOV_HOSTS_INVENTORY", "")
SSH_CONFIG = os.environ.get("EGOV_HOSTS_SSH_CONFIG", "")

if not INVENTORY:
    collect_ignore_glob = ["test_*.py"]


def inventory_vars() -> dict[str, Any]:
    return dict(yaml.safe_load(Path(INVENTORY).read_text())["all"]["vars"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "roles(*names): the control applies only to hosts of these roles")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" not in metafunc.fixturenames:
        return
    hosts = read_hosts(Path(INVENTORY))
    limit = os.environ.get("EGOV_HOSTS_LIMIT", "")
    if limit:
        hosts = [h for h in hosts if h.name in limit.split(",")]
    marker = metafunc.definition.get_closest_marker("roles")
    if marker is not None:
        hosts = [h for h in hosts if h.role in marker.args]
    metafunc.parametrize("target", hosts, ids=[h.name for h in hosts])


_HOSTS: dict[str, Any] = {}


@pytest.fixture
def host(target: Host) -> Any:
    """The testinfra host for ``target``; one persistent SSH connection per host for the whole run."""
    import testinfra

    if target.name not in _HOSTS:
        _HOSTS[target.name] = testinfra.get_host(f"ssh://{target.name}", ssh_config=SSH_CONFIG)
    return _HOSTS[target.name]


@pytest.fixture(scope="session")
def lab_vars() -> dict[str, Any]:
    return inventory_vars()


@pytest.fixture(scope="session")
def real_host(lab_vars: dict[str, Any]) -> bool:
    return bool(lab_vars.get("egov_real_host"))
