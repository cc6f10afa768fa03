"""``Host``: one of the platform's hosts (bastion, log host, workload, bridge gateway) as an instance.

* a security group of its own in the zone's VPC, starting with no rules (the provider revokes AWS's
  default egress); the bridge's flow groups are added by the stack that owns them;
* the ``Instance`` in the given subnet, its root volume encrypted with the given key (the stacks pass
  their rotated data key, not the account's default EBS key), tagged with its name, role and zone
  (``egov:host``, ``egov:role``, ``egov:zone``): the provider enforces IMDSv2, the encrypted root volume,
  no public address outside the Internet zone and user data without secrets;
* ``summary``: what the stacks export in their ``hosts`` output and ``egov local hosts up`` builds the test
  hosts from (``infra/hosts/inventory.hosts_from_outputs``): name, role, zone, the private IP the cloud
  assigned, the instance id and the availability zone; and ``network`` (its VPC's block) when the zone is not
  one of the platform file's (a tenant's host: the lab has no other way to know the tenant's network).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_egov.ec2 import Instance, SecurityGroup

from infra.components.inputs import Reference, id_list

HOST_ROLES = ("gateway", "bastion", "loghost", "workload")
DEFAULT_IMAGE_ID = "ami-04681a1dbd79675a5"
"""Amazon Linux 2 as the embedded cloud (moto) offers it; a real cloud sets the stack's ``hostImageId``."""
DEFAULT_INSTANCE_TYPE = "t3.micro"


class Host(pulumi.ComponentResource):
    """One host; see the module doc. ``summary`` is an Output of the host's ``hosts`` entry."""

    security_group: SecurityGroup
    instance: Instance
    summary: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        stack: str,
        role: str,
        zone: str,
        vpc_id: Reference,
        subnet_id: Reference,
        image_id: str = DEFAULT_IMAGE_ID,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
        root_volume_kms_key_id: Reference | None = None,
        extra_security_group_ids: Sequence[Reference] = (),
        public_ip: bool = False,
        tags: Mapping[str, str] | None = None,
        network: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if role not in HOST_ROLES:
            raise ValueError(f"Host {name}: role {role!r} is not one of {', '.join(HOST_ROLES)}")
        super().__init__("egov:components:Host", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {**(tags or {}), "egov:stack": stack, "egov:zone": zone, "egov:role": role, "egov:host": name,
                  "egov:managed-by": "pulumi"}
        group_name = f"egov-{stack}-{name}-host"
        self.security_group = SecurityGroup(
            f"{name}-host-sg",
            vpc_id=vpc_id,
            group_name=group_name,
            description=f"Host {name} ({role}); cross-zone traffic only through the bridge flow groups",
            tags={**labels, "Name": group_name},
            opts=child,
        )
        self.instance = Instance(
            name,
            subnet_id=subnet_id,
            security_group_ids=id_list([self.security_group.group_id, *extra_security_group_ids]),
            image_id=image_id,
            instance_type=instance_type,
            associate_public_ip_address=public_ip,
            source_dest_check=role != "gateway",  # a gateway forwards traffic addressed to others
            root_volume_kms_key_id=root_volume_kms_key_id,
            tags={**labels, "Name": f"egov-{stack}-{name}"},
            opts=child,
        )
        self.summary = pulumi.Output.all(
            self.instance.private_ip_address, self.instance.instance_id, self.instance.availability_zone
        ).apply(lambda values: {"name": name, "role": role, "zone": zone, "privateIp": values[0],
                                "instanceId": values[1], "availabilityZone": values[2],
                                **({"network": network} if network else {})})
        self.register_outputs({"instanceId": self.instance.instance_id, "privateIp": self.instance.private_ip_address})
