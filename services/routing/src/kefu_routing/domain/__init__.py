"""Routing's domain rules: pure Python, no Kafka, no MongoDB."""
