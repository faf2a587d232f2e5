"""Barito market service."""
