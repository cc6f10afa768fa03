"""Each tenant's onboarding record: its state, the steps done, its last scan, what remains after offboarding.

Several pipeline runners may work on tenants at once, so the record is not a local file: it is one KV v2
document per tenant (``<ledger mount>/onboarding/<id>``, beside the CIDR ledger, whose mount has
``cas_required``), written only with check-and-set. A runner that lost a race reads again and re-applies its
change, so no update is lost. Records are written with the platform's OpenBao token (the ledger token may
touch only the ledger document).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import hvac
import hvac.exceptions

from infra.tenants.ledger import LEDGER_MOUNT

PREFIX = "onboarding"
# The states `egov tenant list` shows; "planned" is a ledger allocation without a record.
PLANNED, PROVISIONING, ADMITTED, NOT_ADMITTED, OFFBOARDING, OFFBOARDED = (
    "planned", "provisioning", "admitted", "not admitted", "offboarding", "offboarded")
_CAS_MISMATCH = "check-and-set parameter did not match the current version"

Record = dict[str, Any]


class RecordError(Exception):
    """The record could not be read or written; the message says what to do."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Records:
    """The onboarding records in OpenBao KV v2 (check-and-set on every write)."""

    def __init__(self, client: hvac.Client, mount: str = LEDGER_MOUNT, attempts: int = 100) -> None:
        self.client = client
        self.mount = mount
        self.attempts = attempts

    def read(self, tenant: str) -> tuple[Record | None, int]:
        """The record and its version (None, 0 when there is none)."""
        try:
            answer = self.client.secrets.kv.v2.read_secret_version(
                path=f"{PREFIX}/{tenant}", mount_point=self.mount, raise_on_deleted_version=True)
        except hvac.exceptions.InvalidPath:
            return None, self._current_version(tenant)
        except hvac.exceptions.VaultError as exc:
            raise RecordError(f"cannot read the onboarding record {self.mount}/{PREFIX}/{tenant}: {exc}") from exc
        data = answer["data"]
        return dict(data.get("data") or {}), int(data["metadata"]["version"])

    def get(self, tenant: str) -> Record | None:
        return self.read(tenant)[0]

    def _current_version(self, tenant: str) -> int:
        try:
            metadata = self.client.secrets.kv.v2.read_secret_metadata(path=f"{PREFIX}/{tenant}",
                                                                      mount_point=self.mount)
        except hvac.exceptions.InvalidPath:
            return 0
        return int(metadata["data"].get("current_version") or 0)

    def update(self, tenant: str, change: Callable[[Record], None]) -> Record:
        """Read, apply ``change`` to a copy, write with check-and-set; on a lost race, all again."""
        for attempt in range(self.attempts):
            record, version = self.read(tenant)
            record = dict(record or {"tenant": tenant, "steps": {}, "created": now()})
            change(record)
            record["updated"] = now()
            try:
                self.client.secrets.kv.v2.create_or_update_secret(
                    path=f"{PREFIX}/{tenant}", secret=record, cas=version, mount_point=self.mount)
                return record
            except hvac.exceptions.InvalidRequest as exc:
                if _CAS_MISMATCH not in str(exc):
                    raise RecordError(f"the onboarding record of {tenant} was refused: {exc}") from exc
            except hvac.exceptions.VaultError as exc:
                raise RecordError(f"cannot write the onboarding record of {tenant}: {exc}") from exc
            time.sleep(random.uniform(0.005, 0.05) * min(attempt + 1, 10))
        raise RecordError(f"the onboarding record of {tenant} kept changing under us ({self.attempts} attempts); "
                          "run the command again")

    def tenants(self) -> list[str]:
        """Every tenant with a record."""
        try:
            listing = self.client.secrets.kv.v2.list_secrets(path=PREFIX, mount_point=self.mount)
        except hvac.exceptions.InvalidPath:
            return []
        except hvac.exceptions.VaultError as exc:
            raise RecordError(f"cannot list the onboarding records in {self.mount}/{PREFIX}: {exc}") from exc
        return sorted(str(key).rstrip("/") for key in listing["data"].get("keys", []))
