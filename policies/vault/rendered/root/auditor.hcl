# Policy "auditor" in the root namespace: what `egov scan` reads from OpenBao, and nothing else.
# Rendered by `egov vault render` from policies/vault/templates/auditor.hcl.tmpl; do not edit by hand.
# The scan's token carries it and no `default` (minted per scan, 15 minutes, not renewable). Read and list
# only: configuration and metadata (audit devices, mounts, auth methods, policies, namespaces, transit key
# metadata, PKI roles, issuers and certificates, AppRole role settings) in the root namespace, `tenants/`
# and every tenant namespace (`tenants/<id>/`, matched as `tenants/+/...`). Never a secret: no KV path,
# no transit encrypt/decrypt/export/backup, no AppRole role-id or secret-id, no token or identity path.
# A list path ends with "/": OpenBao checks a LIST of P against the exact rule "P/" (only glob rules are also
# tried without the slash), and an exact rule keeps the grant from reaching anything below P.

# ---- root namespace
path "sys/audit" {
  capabilities = ["read", "sudo"]
}
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/*" {
  capabilities = ["read"]
}
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/*" {
  capabilities = ["read"]
}
path "sys/policies/acl/" {
  capabilities = ["list"]
}
path "sys/policies/acl/+" {
  capabilities = ["read"]
}
path "sys/namespaces/" {
  capabilities = ["list"]
}
path "sys/namespaces/+" {
  capabilities = ["read"]
}
path "transit/keys/" {
  capabilities = ["list"]
}
path "transit/keys/+" {
  capabilities = ["read"]
}
path "pki/roles/" {
  capabilities = ["list"]
}
path "pki/roles/+" {
  capabilities = ["read"]
}
path "pki/issuers/" {
  capabilities = ["list"]
}
path "pki/issuer/+" {
  capabilities = ["read"]
}
path "pki/certs/" {
  capabilities = ["list"]
}
path "pki/cert/+" {
  capabilities = ["read"]
}
path "pki_int/roles/" {
  capabilities = ["list"]
}
path "pki_int/roles/+" {
  capabilities = ["read"]
}
path "pki_int/issuers/" {
  capabilities = ["list"]
}
path "pki_int/issuer/+" {
  capabilities = ["read"]
}
path "pki_int/certs/" {
  capabilities = ["list"]
}
path "pki_int/cert/+" {
  capabilities = ["read"]
}
path "auth/approle/role/" {
  capabilities = ["list"]
}
path "auth/approle/role/+" {
  capabilities = ["read"]
}

# ---- the `tenants/` namespace (parent of the tenants' namespaces)
path "tenants/sys/mounts" {
  capabilities = ["read"]
}
path "tenants/sys/auth" {
  capabilities = ["read"]
}
path "tenants/sys/namespaces/" {
  capabilities = ["list"]
}
path "tenants/sys/namespaces/+" {
  capabilities = ["read"]
}

# ---- every tenant namespace
path "tenants/+/sys/mounts" {
  capabilities = ["read"]
}
path "tenants/+/sys/mounts/*" {
  capabilities = ["read"]
}
path "tenants/+/sys/auth" {
  capabilities = ["read"]
}
path "tenants/+/sys/auth/*" {
  capabilities = ["read"]
}
path "tenants/+/sys/policies/acl/" {
  capabilities = ["list"]
}
path "tenants/+/sys/policies/acl/+" {
  capabilities = ["read"]
}
path "tenants/+/sys/namespaces/" {
  capabilities = ["list"]
}
path "tenants/+/transit/keys/" {
  capabilities = ["list"]
}
path "tenants/+/transit/keys/+" {
  capabilities = ["read"]
}
path "tenants/+/pki/roles/" {
  capabilities = ["list"]
}
path "tenants/+/pki/roles/+" {
  capabilities = ["read"]
}
path "tenants/+/pki/issuers/" {
  capabilities = ["list"]
}
path "tenants/+/pki/issuer/+" {
  capabilities = ["read"]
}
path "tenants/+/pki/certs/" {
  capabilities = ["list"]
}
path "tenants/+/pki/cert/+" {
  capabilities = ["read"]
}
path "tenants/+/auth/approle/role/" {
  capabilities = ["list"]
}
path "tenants/+/auth/approle/role/+" {
  capabilities = ["read"]
}
