"""One planning runner for the ledger's concurrency test: ``python -m tests.integration.ledger_worker``.

Reads its settings from the environment (VAULT_ADDR, VAULT_CACERT, LEDGER_TOKEN, TENANT, PREFIX, START_FILE),
waits until START_FILE exists (so that all runners write at the same moment), allocates and prints the
allocation as JSON, or ``{"error": ...}`` when the ledger refuses.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
from pathlib import Path

import hvac
import yaml

from infra.config import PLATFORM_FILE, load_platform
from infra.config.tenant_request import validate_request
from infra.repository import REPO_ROOT
from infra.tenants.ledger import Ledger, LedgerError


def main() -> int:
    env = os.environ
    tenant, prefix = env["TENANT"], int(env["PREFIX"])
    data = copy.deepcopy(yaml.safe_load((REPO_ROOT / "tenants" / "tax-bureau.yaml").read_text()))
    data.update(id=tenant, names={"zh": "测试部门", "en": env.get("NAME_EN", f"Department {tenant}")})
    data["network"] = {"prefix": prefix}
    platform = load_platform(PLATFORM_FILE)
    request = validate_request(data, platform, f"tenants/{tenant}.yaml")
    client = hvac.Client(url=env["VAULT_ADDR"], token=env["LEDGER_TOKEN"], verify=env["VAULT_CACERT"])
    start = Path(env["START_FILE"])
    while not start.exists():
        time.sleep(0.01)
    assert platform.tenant_pool is not None
    try:
        allocation = Ledger(client, platform.tenant_pool).allocate(request)
    except LedgerError as exc:
        print(json.dumps({"tenant": tenant, "error": str(exc)}))
        return 0
    print(json.dumps({"tenant": tenant, "cidr": str(allocation.cidr), "new": allocation.new}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
