"""The control catalog (YAML files in this folder) and its schema; see ``model``."""

from compliance.catalog.model import (
    CATALOG_DIR,
    STANDARD_GROUPS,
    Catalog,
    CatalogEntry,
    Status,
    load_catalog,
)

__all__ = ["CATALOG_DIR", "STANDARD_GROUPS", "Catalog", "CatalogEntry", "Status", "load_catalog"]
