"""Routing's MongoDB adapters."""
