"""Kafka → search engine: the consuming loop and the indexing of one partition's batch."""
