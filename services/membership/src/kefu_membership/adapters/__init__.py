"""Membership's store, in membership's own database."""
