"""Intake's MongoDB adapters."""
