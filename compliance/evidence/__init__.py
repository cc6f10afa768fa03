"""Evidence collectors: one per source, each fetched once per scan.

The bundle handed to the checks is ``{source: evidence}`` plus ``_not_collected: {source: reason}`` for every
source that was not collected (not selected, not configured, or nothing to collect from), so the checks that need it
say "not collected" rather than pass.
"""

from __future__ import annotations

SOURCES = ("cloud", "vault", "state", "hosts", "certs", "attestations")

NO_HOST_SOURCE = ("no host-evidence source was given to the scan (`egov scan` gives one built on `egov hosts "
                  "verify`); host controls are not collected")
