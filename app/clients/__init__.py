"""The client directory of a cabinet: list queries, preferences, client actions.

Pure domain code on SQLAlchemy: no Flask import, so views, the API, the CLI and
benchmarks share it and tests call it directly.
"""
