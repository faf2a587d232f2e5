"""Barito shared contracts."""
