"""Pure rules of the surveys service: visit timing, channels, questionnaires, pacing, results (no Kafka, no Mongo)."""
