"""What the tests, the benchmarks and the deployment rehearsals share; never imported by the site.

It lives outside ``filamenta/`` and ``apps/`` so that nothing a server runs can
come to depend on it, and it is not a Django app.
"""
