"""What every scale benchmark shares: the repository and tests/ on sys.path, a
throwaway instance folder, the database to measure on (its own PostgreSQL, the
DATABASE_URL given, or a temporary SQLite file), the app built for measuring, and
a timer of named loading steps. Imported first by each script."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # pg_server
os.environ.setdefault("PASSERELLE_INSTANCE_DIR", tempfile.mkdtemp(prefix="passerelle-bench-"))


def database_url(args):
    """(url, label, server or None)."""
    if args.sqlite:
        return f"sqlite:///{tempfile.mkdtemp(prefix='passerelle-bench-')}/bench.db", "SQLite", None
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url, "DATABASE_URL", None
    from pg_server import TemporaryPostgres

    server = TemporaryPostgres(dbname="passerelle_bench").start()
    return server.url, "PostgreSQL (TemporaryPostgres)", server


def run_on_database(args, run) -> None:
    """`run(args, url, label, started)` on the database of `args`, which is stopped
    afterwards when the benchmark started it."""
    started = time.perf_counter()
    url, label, server = database_url(args)
    try:
        run(args, url, label, started)
    finally:
        if server is not None:
            server.stop()


def build_app(url):
    from app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SYNC_ROLES_AT_STARTUP": False,
        "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


class Step:
    """Times the named steps of the load."""

    def __init__(self):
        self.steps = []

    def __call__(self, label):
        step = self

        class _Timer:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                step.steps.append((label, time.perf_counter() - self.start))

        return _Timer()
