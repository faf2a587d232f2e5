"""The ``docker`` driver: an app group's own cluster as containers on one Docker host."""
