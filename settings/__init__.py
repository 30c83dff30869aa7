"""Settings per environment: ``base`` (development) and the hosts that override it.

``hardened`` holds the production-grade defaults every public deployment
shares; ``cpanel``, ``vps``, ``docker`` and ``production`` each inherit it and
state what their host has and lacks. ``filamenta.environment`` picks one.
"""
