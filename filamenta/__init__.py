"""Filamenta: one Django site for shared hosting, a VPS, Docker and a fleet."""
