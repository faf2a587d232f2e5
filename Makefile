# Barito: the two commands are `make up` and `make test`; everything they need
# is installed by them (Python packages) or named clearly when missing (Java,
# Maven, Postgres: .ci/run installs those on a fresh machine).

UV_VERSION := 0.13.9
UV := python3 -m uv
PYTEST_ARGS ?=

.PHONY: install up down status stack test lint format clean

install:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --quiet

up: install
	$(UV) run barito up

down:
	$(UV) run barito down

status:
	$(UV) run barito status

stack: install
	$(UV) run barito stack up

lint: install
	$(UV) run ruff check libs services tests bench conftest.py
	$(UV) run ruff format --check libs services tests bench conftest.py
	$(UV) run mypy libs/common/src libs/cli/src services/market/src services/receiver/src \
		services/provisioner/src services/flow/src services/server/src

test: install lint
	$(UV) run barito stack up
	$(UV) run pytest $(PYTEST_ARGS)

format: install
	$(UV) run ruff check --fix libs services tests bench conftest.py
	$(UV) run ruff format libs services tests bench conftest.py

clean: down
	rm -rf .venv
