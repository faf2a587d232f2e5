"""Searching an app's logs: the scoped query, the engines that hold them, merged answers."""
