"""Request and response bodies of the market's REST API, one module per resource."""
