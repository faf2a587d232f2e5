"""Barito server service."""
