# Policy "pulumi" in the root namespace: Pulumi's secrets provider (`hashivault://pulumi-secrets`).
# Rendered by `egov vault render` from policies/vault/templates/pulumi.hcl.tmpl; do not edit by hand.
# The token `egov local up` issues (and the `pulumi` AppRole of the pipelines) carries this policy and no
# `default`: encrypt and decrypt with the one key, nothing else. Renewal goes through the issuer.

path "transit/encrypt/pulumi-secrets" {
  capabilities = ["update"]
}
path "transit/decrypt/pulumi-secrets" {
  capabilities = ["update"]
}
