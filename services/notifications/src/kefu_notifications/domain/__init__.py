"""Notifications' pure rules: who is told what, on which channel, when, and in which words."""
