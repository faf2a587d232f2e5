"""HTTP routes of the flow (besides /healthz, /readyz and /metrics)."""
