//go:build tools

// Package tools only records the build targets, so `go mod tidy` keeps their
// dependencies: kube-apiserver, and etcd (its storage) at the version the
// API server's own etcd client is pinned to.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
