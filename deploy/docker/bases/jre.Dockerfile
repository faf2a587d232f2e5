# barito-local/jre:17 — the base of the local Kafka, Elasticsearch and
# OpenSearch images (deploy/docker/engines), Debian's headless JRE 17, the
# Java the local stack runs them on.
ARG DEBIAN_BASE=barito-local/debian:bookworm
FROM ${DEBIAN_BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless ca-certificates \
    && rm -rf /var/lib/apt/lists/*
