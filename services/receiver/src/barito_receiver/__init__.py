"""Barito receiver service."""
