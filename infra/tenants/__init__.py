"""Tenant onboarding: the CIDR ledger (``ledger``) and the plan of a department's request (``plan``)."""
