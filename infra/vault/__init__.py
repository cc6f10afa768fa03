"""OpenBao as code: the desired state in ``policies/vault/tenants.yaml``, planned and applied with hvac.

Modules: ``model`` (YAML -> validated pydantic model), ``resources`` (model -> ordered resources),
``policies`` (ACL policies from one template per role), ``plan`` (pure diff), ``live`` (hvac:
connect, preflight, read, write), ``seal`` (sealable tenant namespaces: own Shamir seal, key shares,
seal/unseal), ``breakglass`` (the actions only the root token may run), ``apply``
(plan/apply/offboard/seal orchestration). The CLI in ``infra/cli/vault.py`` only renders;
``infra/cli/vault_connection.py`` decides which OpenBao and token (this package never imports
``infra.local``).

Layout in OpenBao (paths as in the API, namespace first)::

    (root)  sys/policies/acl/operators     platform operators: configure, never read tenant data
            sys/policies/acl/pulumi        Pulumi's tokens: encrypt/decrypt with the Pulumi key only
            sys/policies/acl/default       as OpenBao ships it (also in every tenant namespace)
            auth/approle/role/pulumi       pipelines log in here for a Pulumi token
            sys/audit/file, file-secondary declared in the server config; verified, never created
            transit/keys/pulumi-secrets    Pulumi state secrets
            pki/                           platform root CA (created once, never regenerated)
            pki_int/                       platform intermediate CA, signed by pki/
    tenants/<id>/  (one namespace per department; its own seal when ``sealable: true``)
            kv/                            KV v2, version history kept
            transit/keys/<id>              the tenant key: not exportable, no plaintext backup, not deletable
            pki/                           tenant issuing CA, signed by pki_int/, name-constrained to its domains
            pki/roles/<id>                 leaf certificates for the tenant's domains only
            auth/approle/role/pipeline     the deployment pipeline, bound to its CIDRs
            sys/policies/acl/pipeline      what that pipeline may do (decrypt/read only once offboarded)
"""
