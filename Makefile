# Barito: the two commands are `make up` and `make test`; everything they need
# is installed by them (Python packages) or named clearly when missing (Java,
# Maven, Postgres: .ci/run installs those on a fresh machine).

UV_VERSION := 0.13.9
UV := python3 -m uv
PYTEST_ARGS ?=

.PHONY: install up up-secure down status stack test lint audit format clean web web-test api-client tools images

WEB := services/market/web
WEB_SOURCES := $(shell find $(WEB)/src -type f 2>/dev/null) $(WEB)/index.html \
	$(WEB)/vite.config.ts $(WEB)/tsconfig.json $(WEB)/package-lock.json

install:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --quiet

up: install web
	$(UV) run barito up

# The same five services over TLS on the secured stack (Kafka SASL_SSL, the
# search engines and Postgres over TLS with passwords), beside `make up`'s.
up-secure: install web
	$(UV) run barito up --secure

down:
	$(UV) run barito down
	$(UV) run barito down --secure

status:
	$(UV) run barito status

stack: install
	$(UV) run barito stack up

lint: install
	$(UV) run ruff check libs services tests bench
	$(UV) run ruff format --check libs services tests bench
	$(UV) run mypy libs/common/src libs/cli/src libs/testing/src services/market/src services/receiver/src \
		services/provisioner/src services/flow/src services/server/src

# bandit over the code, pip-audit over uv.lock, npm audit over the SPA's lock
# (security/audit-exceptions.toml holds each finding we accept, with its reason).
# Not part of lint, which stays offline: the package audits ask their
# vulnerability feeds, and one that does not answer is reported, not failed.
audit: install
	$(UV) run barito audit

# Engines already running are reused; the others start from empty data, so a
# run never inherits (and waits for Kafka to reload) every earlier run's topics.
# The secured stack too (issue 19's tests): fetched and started here, not inside
# a test's timeout.
test: install lint audit web web-test tools images
	$(UV) run barito stack up --fresh
	$(UV) run barito stack up --secure --fresh
	$(UV) run pytest $(PYTEST_ARGS)

# The Go programs the deploy tests read deploy files with (helm, compose-go,
# BuildKit's parser), built from the Go module proxy once and cached under
# $$BARITO_CACHE_DIR/tools: before pytest, so a cold build is not cut off by
# a test's timeout.
tools: install
	$(UV) run python -m tests.support.deploy

# The five service images and the canary (barito/<name>:dev), then the engine
# images of the compose override, built over local bases made with debootstrap
# (no registry needed; docs/deploy.md): once per run, before pytest, so the
# image tests reuse them. Warm, nothing rebuilds.
images: install
	$(UV) run barito images build
	$(UV) run python -m barito_cli.stack.engine_images

format: install
	$(UV) run ruff check --fix libs services tests bench
	$(UV) run ruff format libs services tests bench

# The web UI (served by the market under /): node modules from the committed
# lock file, then a build only when a source is newer than the last one.
$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund

$(WEB)/dist/index.html: $(WEB)/node_modules/.package-lock.json $(WEB_SOURCES)
	cd $(WEB) && npm run build

web: $(WEB)/dist/index.html

web-test: $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && npm run test -- --run

# The SPA's API types from the market's OpenAPI; tests/test_web_api_client_fresh.py
# fails when the committed files are stale.
api-client: install $(WEB)/node_modules/.package-lock.json
	$(UV) run python $(WEB)/scripts/dump_openapi.py > $(WEB)/openapi.json
	cd $(WEB) && npm run api-client

clean: down
	rm -rf .venv $(WEB)/node_modules $(WEB)/dist
