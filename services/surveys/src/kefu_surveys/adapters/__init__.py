"""The surveys service's store (its own database)."""
