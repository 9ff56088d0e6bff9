"""The knowledge service's store (its own database)."""
