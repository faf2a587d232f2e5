"""Usage: per-minute roll-ups of what the data path reports, and the series shown from them."""
