"""Apps: registering, changing and showing an app, its secret, endpoints and status."""
