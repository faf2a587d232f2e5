"""The server's HTTP and websocket routes."""
