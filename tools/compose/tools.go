//go:build tools

// Package tools only records the build target, so `go mod tidy` keeps its
// dependencies: the Compose CLI (the `docker compose` plugin) at the pinned
// github.com/docker/compose/v5 version, used by tests/test_compose_walk.py to
// run docker-compose.yml against the machine's Docker engine. v5.6.0 is the
// newest that builds with Go 1.26 without a newer toolchain.
package tools

import (
	_ "github.com/docker/compose/v5/cmd"
)
