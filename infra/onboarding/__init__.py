"""Onboarding steps that act on the platform's stacks for one tenant (called by `egov tenant apply|destroy`)."""
