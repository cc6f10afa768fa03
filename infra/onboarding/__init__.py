"""Onboarding and offboarding of departments: `egov tenant apply | list | show | destroy` below the CLI."""
