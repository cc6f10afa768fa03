# Policy "operators" in the root namespace: the platform team running `egov vault plan|apply|offboard`.
# Rendered by `egov vault render` from policies/vault/templates/operators.hcl.tmpl; do not edit by hand.
# Operators shape the configuration (namespaces, mounts, policies, CAs, AppRoles, key settings); they
# never read tenant data, never delete keys, namespaces or mounts, and never mint tokens for others.
# Anything not listed is denied.

# --- verification and the operator's own token
path "sys/audit" {
  capabilities = ["read", "sudo"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# --- root namespace: mounts, auth methods, policies, namespaces (no delete anywhere)
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/*" {
  capabilities = ["create", "read", "update"]
}
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/*" {
  capabilities = ["create", "read", "update", "sudo"]
}
path "sys/policies/acl" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["create", "read", "update", "list"]
}
# Operators cannot widen their own policy: changing it takes the break-glass (root) token.
path "sys/policies/acl/operators" {
  capabilities = ["read"]
}
path "sys/namespaces" {
  capabilities = ["list"]
}
path "sys/namespaces/*" {
  capabilities = ["create", "read", "update", "patch", "list"]
}

# --- platform CA hierarchy: create once, configure, sign the tenants' issuing CAs; no leaves here
path "pki/root/generate/internal" {
  capabilities = ["update"]
}
path "pki/root/sign-intermediate" {
  capabilities = ["update"]
}
path "pki_int/intermediate/generate/internal" {
  capabilities = ["update"]
}
path "pki_int/intermediate/set-signed" {
  capabilities = ["update"]
}
path "pki_int/root/sign-intermediate" {
  capabilities = ["update"]
}
path "pki/config/*" {
  capabilities = ["read", "update"]
}
path "pki_int/config/*" {
  capabilities = ["read", "update"]
}
path "pki/issuers" {
  capabilities = ["list"]
}
path "pki_int/issuers" {
  capabilities = ["list"]
}
path "pki/issuer/*" {
  capabilities = ["read"]
}
path "pki_int/issuer/*" {
  capabilities = ["read"]
}

# --- transit key settings (the Pulumi key); never encrypt, decrypt, export, back up or trim
path "transit/keys/*" {
  capabilities = ["create", "read", "update"]
}
path "transit/keys/+/trim" {
  capabilities = ["deny"]
}

# --- the namespace that holds the tenants, and each tenant namespace
path "tenants/sys/namespaces" {
  capabilities = ["list"]
}
path "tenants/sys/namespaces/*" {
  capabilities = ["create", "read", "update", "patch", "list"]
}
path "tenants/+/sys/mounts" {
  capabilities = ["read"]
}
path "tenants/+/sys/mounts/*" {
  capabilities = ["create", "read", "update"]
}
path "tenants/+/sys/auth" {
  capabilities = ["read"]
}
path "tenants/+/sys/auth/*" {
  capabilities = ["create", "read", "update", "sudo"]
}
path "tenants/+/sys/policies/acl/*" {
  capabilities = ["create", "read", "update", "list"]
}
path "tenants/+/kv/config" {
  capabilities = ["read", "update"]
}
path "tenants/+/transit/keys/*" {
  capabilities = ["create", "read", "update"]
}
path "tenants/+/transit/keys/+/trim" {
  capabilities = ["deny"]
}
path "tenants/+/pki/intermediate/generate/internal" {
  capabilities = ["update"]
}
path "tenants/+/pki/intermediate/set-signed" {
  capabilities = ["update"]
}
path "tenants/+/pki/config/*" {
  capabilities = ["read", "update"]
}
path "tenants/+/pki/issuers" {
  capabilities = ["list"]
}
path "tenants/+/pki/issuer/*" {
  capabilities = ["read"]
}
path "tenants/+/pki/roles/*" {
  capabilities = ["create", "read", "update", "list"]
}
# AppRoles: configure them; secret_ids come from the CI credential broker, not from operators, so that
# an operator can never log in as a tenant's pipeline.
path "tenants/+/auth/approle/role/*" {
  capabilities = ["create", "read", "update", "list"]
}
path "tenants/+/auth/approle/role/+/secret-id" {
  capabilities = ["deny"]
}
path "tenants/+/auth/approle/role/+/custom-secret-id" {
  capabilities = ["deny"]
}

# --- tenant data is the tenants' alone: explicit denies win over any grant above
path "tenants/+/kv/data/*" {
  capabilities = ["deny"]
}
path "tenants/+/kv/metadata/*" {
  capabilities = ["deny"]
}
path "tenants/+/kv/destroy/*" {
  capabilities = ["deny"]
}
path "tenants/+/transit/encrypt/*" {
  capabilities = ["deny"]
}
path "tenants/+/transit/decrypt/*" {
  capabilities = ["deny"]
}
path "tenants/+/transit/export/*" {
  capabilities = ["deny"]
}
path "tenants/+/transit/backup/*" {
  capabilities = ["deny"]
}
path "tenants/+/pki/issue/*" {
  capabilities = ["deny"]
}
