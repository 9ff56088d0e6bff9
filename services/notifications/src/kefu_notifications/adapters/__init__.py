"""Notifications' adapters: its store and the providers that carry messages out."""
