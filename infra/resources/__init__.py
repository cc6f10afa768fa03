"""Program-side resource classes for the ``egov`` provider.

Thin ``pulumi.CustomResource`` wrappers with typed constructors and output
properties; all cloud work happens in the provider plugin (``infra/provider``), so
nothing here imports boto3.
"""

from infra.resources.ec2 import Vpc

__all__ = ["Vpc"]
