//go:build tools

// Package tools only records the build target, so `go mod tidy` keeps its
// dependencies: the helm command at the pinned helm.sh/helm/v3 version, used
// by tests/test_deploy_helm.py to lint and render deploy/helm/barito.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
