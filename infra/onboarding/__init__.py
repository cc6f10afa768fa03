"""Onboarding and offboarding of departments: `egov tenant apply | list | show | destroy` below the CLI, and
the steps that act on the platform's stacks for one tenant (the bridge's admission of its flows)."""
