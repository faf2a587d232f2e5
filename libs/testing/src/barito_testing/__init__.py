"""Barito's test support: the stack fixtures (``plugin``) and one harness per service."""
