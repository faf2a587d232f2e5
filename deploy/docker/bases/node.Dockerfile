# barito-local/node:web — the market's web stage base: Debian's Node.js and
# npm (Node 18 runs Vite 5) plus npm's cache filled on the host by `npm ci`
# from services/market/web/package-lock.json, so the stage's `npm ci` runs
# offline. The context is prepared by `barito images bases`.
ARG DEBIAN_BASE=barito-local/debian:bookworm
FROM ${DEBIAN_BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
COPY npm-cache /opt/barito/npm-cache
ENV npm_config_cache=/opt/barito/npm-cache \
    npm_config_offline=true \
    npm_config_update_notifier=false
