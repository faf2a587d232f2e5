"""Barito provisioner service."""
