"""Counters in the database: the rate-limit store of the memory tier (see .cache)."""
