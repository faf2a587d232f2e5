"""Kafka consumers of the provisioner."""
