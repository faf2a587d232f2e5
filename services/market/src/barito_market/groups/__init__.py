"""App groups, the unit of tenancy: their members, secret and cluster."""
