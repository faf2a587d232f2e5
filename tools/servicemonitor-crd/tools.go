//go:build tools

// Package tools records the build target and its input, so `go mod tidy` keeps
// both: controller-gen, and the Prometheus Operator's Go API types it turns
// into the ServiceMonitor CustomResourceDefinition. The kube-apiserver of the
// local stack needs that CRD to validate the chart's ServiceMonitors
// (tests/test_deploy_kubernetes_dry_run.py).
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
