"""The barito command."""
