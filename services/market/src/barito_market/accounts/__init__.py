"""Accounts: users, how a caller proves who they are, and what they may see."""
