"""``ComponentResource``s the stack kinds compose: zone network, audit archive, key set, bridge flows.

No boto3 here: components only register resources of the generated SDK (``pulumi_egov``, in sdk/python).
"""

from infra.components.audit import AuditArchive
from infra.components.bridge_flows import BridgeFlows
from infra.components.keys import KeySet
from infra.components.zone_network import ZoneNetwork

__all__ = ["AuditArchive", "BridgeFlows", "KeySet", "ZoneNetwork"]
