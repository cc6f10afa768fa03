"""The egov-cloud Pulumi program. Stack kinds live in their own modules; `__main__` picks one from config."""
