"""Evidence collectors: one per source, each fetched once per scan.

The bundle handed to the checks is ``{source: evidence}`` plus ``_not_collected: {source: reason}`` for every
source that was not collected (not selected, not configured, or not built yet), so the checks that need it
say "not collected" rather than pass.
"""

from __future__ import annotations

SOURCES = ("cloud", "vault", "state", "hosts", "certs", "attestations")

NOT_BUILT = {
    "hosts": "the scanner has no host collector yet (`egov hosts verify` checks the test hosts); host controls are not "
             "collected",
}
"""Sources whose collector does not exist yet, and what the report says about them."""
