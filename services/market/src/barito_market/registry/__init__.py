"""The app registry: app profiles, and publishing them (and commands) to Kafka."""
