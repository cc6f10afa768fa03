# Policy "pipeline" in namespace tenants/finance: the deployment pipeline of Municipal Finance Bureau (市财政局) (tenant finance).
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
path "transit/encrypt/finance" {
  capabilities = ["update"]
}
path "transit/decrypt/finance" {
  capabilities = ["update"]
}
path "transit/rewrap/finance" {
  capabilities = ["update"]
}
path "transit/datakey/wrapped/finance" {
  capabilities = ["update"]
}

# Certificates, only for the tenant's own domains (the role enforces them).
path "pki/issue/finance" {
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
