# Policy "operators" in the root namespace: the platform team running `egov vault plan|apply|offboard`.
# Rendered by `egov vault render` from policies/vault/templates/operators.hcl.tmpl; do not edit by hand.
# Operators shape the configuration (namespaces, mounts, the tenants' pipeline policies, key settings,
# certificate roles); they never read tenant data, never delete keys, namespaces or mounts, and never mint
# tokens for others. What would let an operator become root, a tenant or a CA is denied here and left to
# the break-glass (root) token of `egov vault apply` (see policies/vault/README.md "Break-glass"):
# writing any root-namespace policy or any `default` policy, AppRole binding parameters and role-ids,
# signing or importing CA certificates, and the audit HMAC settings of every mount.
# OpenBao matches an exact path before a `+` path before a `*` prefix, and a request inside a namespace
# as "<namespace>/<path>", so each deny below also covers the namespace-header form of the same request.
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

# --- root namespace: mounts and auth methods (no delete; no audit HMAC settings, no `config` at creation,
# so that `audit_non_hmac_*` cannot slip in through the creation call either)
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/*" {
  capabilities = ["create", "read", "update"]
  denied_parameters = {
    "audit_non_hmac_request_keys" = []
    "audit_non_hmac_response_keys" = []
    "config" = []
  }
}
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/*" {
  capabilities = ["create", "read", "update", "sudo"]
  denied_parameters = {
    "audit_non_hmac_request_keys" = []
    "audit_non_hmac_response_keys" = []
    "config" = []
  }
}

# --- the CIDR ledger of `egov tenant plan`: its settings are read (plan compares them), never changed (its
# check-and-set requirement is what keeps two planners off one block: break-glass); its document is neither
# read nor written (only the `tenant-ledger` policy does that).
path "tenant-ledger/config" {
  capabilities = ["read"]
}

# --- policies: read them all (plan compares them); write none in the root namespace. `operators`,
# `pulumi` and `default` there take the break-glass token: whoever may write a policy a token carries
# holds that token's power.
path "sys/policies/acl" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["read", "list"]
}
# Read-only, spelled out: plan compares it with OpenBao's built-in text.
path "sys/policies/acl/default" {
  capabilities = ["read"]
}
path "sys/policy/*" {
  capabilities = ["deny"]
}
path "sys/namespaces" {
  capabilities = ["list"]
}
path "sys/namespaces/*" {
  capabilities = ["create", "read", "update", "patch", "list"]
}

# --- platform CA hierarchy: read and set the AIA/CRL URLs only. Creating the root CA, signing the
# intermediate and the tenants' CAs, importing issuers and choosing the default issuer are break-glass.
path "pki/config/urls" {
  capabilities = ["read", "update"]
}
path "pki_int/config/urls" {
  capabilities = ["read", "update"]
}
path "pki/issuers" {
  capabilities = ["list"]
}
path "pki_int/issuers" {
  capabilities = ["list"]
}
path "pki/issuer/+" {
  capabilities = ["read"]
}
path "pki_int/issuer/+" {
  capabilities = ["read"]
}
path "pki/root/sign-intermediate" {
  capabilities = ["deny"]
}
path "pki_int/root/sign-intermediate" {
  capabilities = ["deny"]
}
path "pki/root/sign-self-issued" {
  capabilities = ["deny"]
}
path "pki_int/root/sign-self-issued" {
  capabilities = ["deny"]
}
path "pki/sign-verbatim*" {
  capabilities = ["deny"]
}
path "pki_int/sign-verbatim*" {
  capabilities = ["deny"]
}

# --- the pipelines' AppRole for Pulumi (root namespace): lifetimes only, as for the tenants' pipelines below
path "auth/approle/role/pulumi" {
  capabilities = ["create", "read", "update"]
  allowed_parameters = {
    "token_ttl" = []
    "token_max_ttl" = []
    "secret_id_ttl" = []
    "secret_id_num_uses" = []
  }
}
path "auth/approle/role/+/*" {
  capabilities = ["deny"]
}
path "auth/approle/role" {
  capabilities = ["list"]
}

# --- transit key settings (the Pulumi key); never encrypt, decrypt, export, back up or trim
path "transit/keys/*" {
  capabilities = ["create", "read", "update"]
  # A key made exportable or backed up in plain text can never be made safe again.
  denied_parameters = {
    "exportable" = []
    "allow_plaintext_backup" = []
  }
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
  denied_parameters = {
    "audit_non_hmac_request_keys" = []
    "audit_non_hmac_response_keys" = []
    "config" = []
  }
}
path "tenants/+/sys/auth" {
  capabilities = ["read"]
}
path "tenants/+/sys/auth/*" {
  capabilities = ["create", "read", "update", "sudo"]
  denied_parameters = {
    "audit_non_hmac_request_keys" = []
    "audit_non_hmac_response_keys" = []
    "config" = []
  }
}
path "tenants/+/sys/policies/acl" {
  capabilities = ["list"]
}
path "tenants/+/sys/policies/acl/*" {
  capabilities = ["read", "list"]
}
# The one policy the tool manages in a tenant namespace; no token an operator can obtain carries it.
path "tenants/+/sys/policies/acl/pipeline" {
  capabilities = ["create", "read", "update"]
}
path "tenants/+/sys/policies/acl/default" {
  capabilities = ["read"]
}
path "tenants/+/sys/policy/*" {
  capabilities = ["deny"]
}
path "tenants/+/kv/config" {
  capabilities = ["read", "update"]
}
path "tenants/+/transit/keys/*" {
  capabilities = ["create", "read", "update"]
  denied_parameters = {
    "exportable" = []
    "allow_plaintext_backup" = []
  }
}
path "tenants/+/transit/keys/+/trim" {
  capabilities = ["deny"]
}
path "tenants/+/pki/config/urls" {
  capabilities = ["read", "update"]
}
path "tenants/+/pki/issuers" {
  capabilities = ["list"]
}
path "tenants/+/pki/issuer/+" {
  capabilities = ["read"]
}
path "tenants/+/pki/roles/+" {
  capabilities = ["create", "read", "update"]
}
path "tenants/+/pki/roles" {
  capabilities = ["list"]
}
# AppRoles: the pipeline role's lifetimes only. Binding parameters (bind_secret_id, bound CIDRs,
# policies, token type, ...) are set by the break-glass token; role-ids and secret_ids are never
# handed to operators, so that an operator can never log in as a tenant's pipeline.
path "tenants/+/auth/approle/role/pipeline" {
  capabilities = ["create", "read", "update"]
  allowed_parameters = {
    "token_ttl" = []
    "token_max_ttl" = []
    "secret_id_ttl" = []
    "secret_id_num_uses" = []
  }
}
path "tenants/+/auth/approle/role/+/*" {
  capabilities = ["deny"]
}
path "tenants/+/auth/approle/role" {
  capabilities = ["list"]
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
path "tenants/+/pki/root/*" {
  capabilities = ["deny"]
}
path "tenants/+/pki/sign-verbatim*" {
  capabilities = ["deny"]
}
