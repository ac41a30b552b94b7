"""Client list at scale: SQL queries and time per page, web list and API.

    .venv/bin/python benchmarks/client_list.py [--sizes 1000,10000] [--runs 7]

Builds a throwaway SQLite database (or DATABASE_URL if given), loads the demo
cabinets with N clients, and requests the first, a middle and a sorted page as
the `collaborateur` and `restreint` demo users. Prints one line per case.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PASSERELLE_INSTANCE_DIR", tempfile.mkdtemp(prefix="passerelle-bench-"))


def build(size):
    import datetime as dt

    import flask_migrate
    from sqlalchemy import event

    from app import create_app
    from app.demo import seed_demo
    from app.extensions import db
    from app.security.roles import sync_roles

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SYNC_ROLES_AT_STARTUP": False,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        flask_migrate.upgrade()
        sync_roles(app.appbuilder.sm)
        seed_demo(app.appbuilder.sm, db.session, password="Passerelle-2026", seed=1,
                  clients=size, today=dt.date(2026, 11, 27), invoicing=False)
        counter = {"n": 0}
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args, **kwargs: counter.__setitem__("n", counter["n"] + 1))
    return app, counter


def measure(app, counter, username, path, runs):
    client = app.test_client()
    client.post("/login/", data={"username": username, "password": "Passerelle-2026"})
    if path.startswith("/api/"):
        token = app.test_client().post("/api/v1/security/login", json={
            "username": username, "password": "Passerelle-2026", "provider": "db"}).json
        headers = {"Authorization": f"Bearer {token['access_token']}"}
    else:
        headers = {}
    client.get(path, headers=headers)  # warm-up
    timings, queries = [], []
    for _ in range(runs):
        counter["n"] = 0
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        timings.append((time.perf_counter() - start) * 1000)
        queries.append(counter["n"])
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(timings), max(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cases = [
        ("collaborateur", "/clientview/list/"),
        ("collaborateur", "/clientview/list/?page=20"),
        ("collaborateur", "/clientview/list/?sort=name&dir=asc"),
        ("collaborateur", "/clientview/list/?size=100"),
        ("restreint", "/clientview/list/"),
        ("collaborateur", "/api/v1/client/?q=(page:0,page_size:100)"),
    ]
    print(f"{'clients':>8} {'user':<14} {'page':<62} {'ms (median)':>11} {'SQL':>4}")
    for size in [int(s) for s in args.sizes.split(",")]:
        app, counter = build(size)
        for username, path in cases:
            ms, queries = measure(app, counter, username, path, args.runs)
            print(f"{size:>8} {username:<14} {path:<62} {ms:>11.1f} {queries:>4}")


if __name__ == "__main__":
    main()
