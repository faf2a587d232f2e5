# barito-local/python:3.11 — the runtime base the service images use where no
# registry serves python:3.11-slim. Bookworm's python3 is 3.11, as the images
# expect; python-is-python3 gives the `python` their HEALTHCHECK runs.
ARG DEBIAN_BASE=barito-local/debian:bookworm
FROM ${DEBIAN_BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python-is-python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
