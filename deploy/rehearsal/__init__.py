"""Rehearsals: each deployment target run on its real server, on loopback.

``python -m deploy.rehearsal cpanel|vps|docker|cluster|move`` (or ``make rehearse-<name>``).
"""
