"""HTTP routes of the receiver."""
