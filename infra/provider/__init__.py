"""The ``egov`` Pulumi resource provider: our own plugin over boto3.

pulumi-aws cannot be downloaded here, and the cloud is AWS-compatible (moto locally,
a real endpoint by configuration), so Pulumi programs create cloud resources through
this plugin. The engine starts it from ``Pulumi.yaml``'s ``plugins.providers`` entry
(``path: ./infra/provider``), which runs ``__main__.py`` in this directory.

This module stays import-light (no boto3, no grpc) because program-side code may
import the constants below.
"""

PACKAGE = "egov"
"""The Pulumi package name: the first part of every type token (``egov:ec2:Vpc``)."""

VERSION = "0.1.0"
"""The provider version, reported to the engine and in the schema."""
