"""Where the site cache, sessions and rate limits live, and what happens when that store fails.

- ``settings``: the tier from configuration (CACHE_BACKEND, REDIS_*, CACHE_DIR)
  and the CACHES it needs; no I/O. Its ``BackendSettings`` (``settings.BACKENDS``)
  is the one description of the store every other module reads.
- ``probe``: whether the tier's stores answer, as a server process starts and on demand.
- ``failover`` and ``breaker``: at run time, the store while it answers, the
  fallbacks while it does not, and the trial that lets it back in.
- ``file_store`` (diskcache), ``sentinel`` (Redis Sentinel), ``counters`` (the
  database's atomic counters, an installed app): the stores themselves.
- ``status``, ``worker_state``, ``checks``: what /healthz, ``manage.py backends``
  and the deploy-time system check report.
"""
