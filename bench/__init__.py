"""Benchmarks of Filamenta's three cache tiers (``make bench``); never imported by the site."""
