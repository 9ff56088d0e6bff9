"""The owners' club rules, pure Python (no Kafka, no store): tiers, points, waiting lists, benefits."""
