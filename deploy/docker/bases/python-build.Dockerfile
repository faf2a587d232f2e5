# barito-local/python-build:3.11 — the builder stage's base: the runtime base
# (same /usr/bin/python3.11, so the virtual environment the builder makes runs
# in the runtime image) plus pip, uv and uv's cache filled on the host from
# uv.lock. A build step cannot reach a package index here (a fresh root
# filesystem does not trust the machine's TLS interception), and `uv sync
# --frozen` fetches from the URLs in the lock: offline, it finds each of them
# in this cache instead. The context is prepared by `barito images bases`.
ARG PYTHON_BASE=barito-local/python:3.11
FROM ${PYTHON_BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-pip \
    && rm -rf /var/lib/apt/lists/*
COPY wheels /opt/barito/wheels
COPY uv-cache /opt/barito/uv-cache
# The Dockerfiles' `pip install uv==...` is then already satisfied, from the
# wheel above; nothing asks an index.
ENV PIP_NO_INDEX=1 \
    PIP_FIND_LINKS=/opt/barito/wheels \
    PIP_BREAK_SYSTEM_PACKAGES=1 \
    UV_CACHE_DIR=/opt/barito/uv-cache \
    UV_OFFLINE=1
RUN pip install --no-cache-dir /opt/barito/wheels/uv-*.whl
