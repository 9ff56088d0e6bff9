"""Test support: where the real servers come from, running services as processes, waiting."""
