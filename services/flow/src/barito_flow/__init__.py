"""Barito flow service."""
