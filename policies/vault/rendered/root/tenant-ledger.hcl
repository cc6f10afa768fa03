# Policy "tenant-ledger" in the root namespace: the CIDR ledger of `egov tenant plan` (infra/tenants/ledger.py).
# Declared in Vault as code (`egov vault apply` writes it; infra/vault/policies.py render_ledger_policy) and
# rendered the same way by infra/tenants/ledger.py; do not edit the written policy by hand.
# Read and check-and-set write of the one ledger document, and its metadata (for the current version).
# Nothing else: no delete, destroy or undelete of versions, no list, no other KV path, no other mount.

path "tenant-ledger/data/cidrs" {
  capabilities = ["create", "read", "update"]
}
path "tenant-ledger/metadata/cidrs" {
  capabilities = ["read"]
}
