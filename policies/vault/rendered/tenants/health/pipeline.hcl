# Policy "pipeline" in namespace tenants/health: the deployment pipeline of Municipal Health Commission (市卫生健康委员会) (tenant health).
# Rendered by `egov vault render` from policies/vault/templates/tenant-pipeline.hcl.tmpl; do not edit by hand.
# Paths are relative to the tenant's namespace, so nothing here can reach another tenant or the root
# namespace. Anything not listed is denied.

# Secrets: read and write; every version is kept (no destroy, no metadata delete).
path "kv/data/*" {
  capabilities = ["create", "read", "update", "patch", "delete"]
}
path "kv/metadata/*" {
  capabilities = ["read", "list"]
}

# Encryption as a service with the tenant key; the key material never leaves OpenBao.
path "transit/encrypt/health" {
  capabilities = ["update"]
}
path "transit/decrypt/health" {
  capabilities = ["update"]
}
path "transit/rewrap/health" {
  capabilities = ["update"]
}
path "transit/datakey/wrapped/health" {
  capabilities = ["update"]
}

# Certificates, only for the tenant's own domains (the role enforces them).
path "pki/issue/health" {
  capabilities = ["update"]
}

# The pipeline's own token, nothing more (the default policy is not attached).
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
