"""Client list at production scale: server time and SQL statements per request.

    .venv/bin/python benchmarks/client_list_scale.py [--clients 20000] [--cabinets 50]
        [--total 100000] [--runs 7] [--sqlite] [--seed 2026] [--no-explain] [--plan-lines 14]

Starts a throwaway PostgreSQL server (tests/pg_server.py), or uses DATABASE_URL
if it is set (an EMPTY database), or a temporary SQLite file with --sqlite.
Migrates, creates the roles, loads the demo logins (app.demo.seed_demo with a
few clients), then bulk-loads clients with Core inserts so that cabinet 1 (the
demo `collaborateur`'s) has --clients clients and the whole database --total
clients over --cabinets cabinets. Then VACUUM ANALYZE (PostgreSQL).

Logged in as `collaborateur` and `restreint` (Flask test client, no HTTP
server; JWT from /api/v1/security/login for the API), it requests every case
once to warm up, then --runs rounds over all the cases (round-robin, so that
load from elsewhere on the machine spreads over every case), and prints for
each case: median and p90 server time (time.perf_counter around the request),
median CPU time of the process, median time inside SQL statements, and the
number of SQL statements (engine "before_cursor_execute").
Then: the ratios list(size=100)/list(size=25) (target < 1.6); whether the
number of statements grows with the page size or the number of pinned clients
(it must not); statements repeated within one request (N+1 suspects); the
slowest statements; the EXPLAIN (ANALYZE, BUFFERS) plans (EXPLAIN QUERY PLAN on
SQLite) of the list's count and page queries and of the dashboard's slowest
statements. About 1 minute on 2 cores with the defaults (load ~25 s).

A benchmark that prints figures, never a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Step, build_app, run_on_database  # noqa: E402

PASSWORD = "Passerelle-2026"
CHUNK = 5000
DEMO_CLIENTS = 60            # seed_demo: 45 in cabinet 1, 15 in cabinet 2
RESTRICTED_ASSIGNED = 200    # clients of cabinet 1 assigned to `restreint` (demo's 5 included)
EXTRA_STAFF_CABINET_1 = 6    # collaborators added to cabinet 1 (besides the demo's 4 users)
EXTRA_STAFF_OTHERS = 3       # collaborators added to every other cabinet (besides the owner)
RATIO_TARGET = 1.6


# --------------------------------------------------------------------------- database

def _spread(rng, total, parts):
    """`total` split into `parts` positive counts of varied size (weights 0.5 to 1.5)."""
    if parts <= 0:
        return []
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for index in range(total - sum(counts)):
        counts[index % parts] += 1
    return counts


def _client_rows(rng, cabinet_id, count, now, homonyms):
    """Rows for the client table (Core insert): realistic, search_text included."""
    from app.clients.search import client_search_text
    from app.demo import COMPANY_NAMES, COMPANY_WORDS, FORMS, _slug, random_siren
    from app.models import PACKS

    rows = []
    code_number = 0
    for _ in range(count):
        base = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)} {rng.choice(FORMS)}"
        homonyms[base] += 1
        name = base if homonyms[base] == 1 else f"{base} {homonyms[base]}"
        siren = random_siren(rng)
        email = f"contact@{_slug(name)}{homonyms[base]}.fr"
        created_at = now - dt.timedelta(days=rng.randint(0, 364), minutes=rng.randint(0, 1439))
        last_login = None
        if rng.random() >= 0.15:                         # ~15 % never connected
            last_login = created_at + (now - created_at) * rng.random()
        dossier_code = dossier_label = None
        if rng.random() < 0.65:                          # ~65 % linked to a dossier
            code_number += 1
            dossier_code = f"B{code_number:06d}"         # unique within the cabinet
            dossier_label = name.upper()[:120]
        rows.append({
            "cabinet_id": cabinet_id, "name": name, "siren": siren, "email": email,
            "pack": rng.choice(PACKS), "created_at": created_at, "last_login_at": last_login,
            "dossier_code": dossier_code, "dossier_label": dossier_label,
            "multi_vat": rng.random() < 0.3, "client_can_edit_accounting": False,
            "accountant_is_admin": False,
            "search_text": client_search_text(name, siren, dossier_code, dossier_label, email),
        })
    return rows


def _insert_chunks(connection, statement, rows, returning=False):
    ids = []
    for start in range(0, len(rows), CHUNK):
        result = connection.execute(statement, rows[start:start + CHUNK])
        if returning:
            ids.extend(result.scalars().all())
    return ids


def load(app, args, timer):
    """Demo logins, extra cabinets and staff, then the bulk of the clients. Returns facts
    the cases need (user ids, a SIREN fragment...)."""
    import flask_migrate
    from sqlalchemy import func, insert, select

    from app.demo import random_siren, seed_demo
    from app.extensions import db
    from app.models import AppUser, Cabinet, Client, client_collaborator
    from app.security import roles
    from app.security.cabinets import add_staff_user, create_cabinet
    from app.security.roles import sync_roles

    rng = random.Random(args.seed)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    sm = app.appbuilder.sm
    with app.app_context():
        session = db.session
        with timer("migrations + roles"):
            flask_migrate.upgrade()
            sync_roles(sm)
            session.commit()
        if session.scalar(select(func.count(Client.id))):
            sys.exit("The database already holds clients: give an empty database.")
        with timer(f"demo logins (seed_demo, {DEMO_CLIENTS} clients)"):
            seed_demo(sm, session, password=PASSWORD, seed=args.seed, clients=DEMO_CLIENTS,
                      invoicing=False)

        users = {u.username: u for u in session.scalars(select(AppUser))}
        cabinet_1 = users["collaborateur"].cabinet_id
        cabinet_2 = users["proprietaire2"].cabinet_id

        with timer(f"{args.cabinets - 2} cabinets + staff (create_cabinet, add_staff_user)"):
            cabinets = [session.get(Cabinet, cabinet_1), session.get(Cabinet, cabinet_2)]
            for number in range(3, args.cabinets + 1):
                cabinets.append(create_cabinet(
                    sm, session, name=f"Cabinet Banc d'essai {number}",
                    siren=random_siren(rng), email=f"contact@cabinet{number}.example",
                    owner_username=f"owner{number}", owner_email=f"owner{number}@cabinet{number}.example",
                    owner_first_name="Patron", owner_last_name=f"Cabinet{number}",
                    owner_password=PASSWORD))
            for cabinet in cabinets:
                extra = EXTRA_STAFF_CABINET_1 if cabinet.id == cabinet_1 else EXTRA_STAFF_OTHERS
                for index in range(1, extra + 1):
                    login = f"collab{cabinet.id}_{index}"
                    add_staff_user(sm, session, cabinet, roles.COLLABORATOR, username=login,
                                   email=f"{login}@bench.example", first_name="Collab",
                                   last_name=f"N{cabinet.id}-{index}", password=PASSWORD)
            session.commit()

        # Staff of each cabinet who may follow clients (restreint is handled apart).
        staff_by_cabinet = defaultdict(list)
        for user in session.scalars(select(AppUser).where(AppUser.cabinet_id.is_not(None))):
            if user.username != "restreint":
                staff_by_cabinet[user.cabinet_id].append(user.id)
        existing = dict(session.execute(
            select(Client.cabinet_id, func.count(Client.id)).group_by(Client.cabinet_id)).all())
        restricted_id, collaborator_id = users["restreint"].id, users["collaborateur"].id
        cabinet_ids = [cabinet.id for cabinet in cabinets]
        session.remove()

    wanted_1 = args.clients - existing.get(cabinet_1, 0)
    others = [cabinet_id for cabinet_id in cabinet_ids if cabinet_id != cabinet_1]
    wanted_others = args.total - args.clients - sum(v for k, v in existing.items() if k != cabinet_1)
    if wanted_1 < 0 or wanted_others < 0:
        sys.exit("--total must exceed --clients, and both the demo's clients.")
    plan = {cabinet_1: wanted_1, **dict(zip(others, _spread(rng, wanted_others, len(others))))}

    client_table = Client.__table__
    insert_clients = insert(client_table).returning(client_table.c.id, sort_by_parameter_order=True)
    homonyms = defaultdict(int)
    links, restricted_candidates = [], []
    with app.app_context():
        engine = db.engine
        with timer(f"{sum(plan.values())} clients (Core executemany, chunks of {CHUNK})"):
            with engine.begin() as connection:
                for cabinet_id, count in plan.items():
                    ids = _insert_chunks(connection, insert_clients,
                                         _client_rows(rng, cabinet_id, count, now, homonyms),
                                         returning=True)
                    staff = staff_by_cabinet[cabinet_id]
                    for client_id in ids:
                        if rng.random() < 0.5:                  # ~50 % followed
                            for user_id in rng.sample(staff, k=min(len(staff), rng.choice((1, 1, 2)))):
                                links.append({"client_id": client_id, "user_id": user_id})
                    if cabinet_id == cabinet_1:
                        restricted_candidates = ids
        with timer(f"{len(links) + RESTRICTED_ASSIGNED - 5} assignments (client_collaborator)"):
            already = {link["client_id"] for link in links if link["user_id"] == restricted_id}
            pool = [i for i in restricted_candidates if i not in already]
            for client_id in rng.sample(pool, min(len(pool), RESTRICTED_ASSIGNED - 5)):
                links.append({"client_id": client_id, "user_id": restricted_id})
            with engine.begin() as connection:
                _insert_chunks(connection, insert(client_collaborator), links)
        if engine.dialect.name == "postgresql":
            with timer("VACUUM ANALYZE"):
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
        with engine.connect() as connection:
            counts = dict(connection.execute(
                select(client_table.c.cabinet_id, func.count()).group_by(client_table.c.cabinet_id)).all())
            sample = connection.execute(select(client_table.c.siren).where(
                client_table.c.id == restricted_candidates[len(restricted_candidates) // 2])).scalar()
            followed = connection.execute(select(func.count()).select_from(client_collaborator)).scalar()
            restricted = connection.execute(select(func.count()).select_from(client_collaborator).where(
                client_collaborator.c.user_id == restricted_id)).scalar()
            mine = connection.execute(select(func.count()).select_from(client_collaborator).where(
                client_collaborator.c.user_id == collaborator_id)).scalar()
    return {
        "now": now, "cabinet_1": cabinet_1, "counts": counts, "collaborator_id": collaborator_id,
        "siren_fragment": sample[1:7], "links": followed, "restricted": restricted,
        "mine": mine, "cabinet_1_ids": restricted_candidates,
    }


# --------------------------------------------------------------------------- measuring

class SqlCounter:
    """Counts and times every statement the app's engine sends; keeps the slowest."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.seconds, self.capture = 0, 0.0, None
        self.durations = defaultdict(list)   # (case, statement head) -> [ms, ...]
        self.case = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self, capture=False):
        self.count, self.seconds = 0, 0.0
        self.capture = [] if capture else None

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        conn.info["bench_start"] = time.perf_counter()
        if self.capture is not None:
            self.capture.append([statement, parameters, 0.0])

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info.pop("bench_start", time.perf_counter())
        self.seconds += elapsed
        if self.capture:
            self.capture[-1][2] = elapsed * 1000
        if self.case:
            self.durations[(self.case, " ".join(statement.split())[:150])].append(elapsed * 1000)


def logged_in(app, username):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    location = response.headers.get("Location", "")
    if response.status_code != 302 or "/login" in location:
        sys.exit(f"Login refused for {username} ({response.status_code} {location})")
    token = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": PASSWORD, "provider": "db"}).json
    return client, {"Authorization": f"Bearer {token['access_token']}"}


def percentile(values, fraction):
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure(cases, runs, counter, set_pins):
    """Each case once to warm up, then `runs` rounds over all the cases (round-robin, so
    that a burst of load from elsewhere on the machine hits every case alike).
    `cases`: [(key, test client, headers, path, pins)]; `set_pins(n)` pins n clients to
    collaborateur's dashboard before a case that needs it (not timed).
    Returns {key: figures}."""
    samples = {key: defaultdict(list) for key, *_ in cases}
    warm = {}
    for key, client, headers, path, pins in cases:
        counter.case = None
        set_pins(pins)
        warm[key] = client.get(path, headers=headers)       # templates, caches, plans
    for round_number in range(runs):
        if sys.stderr.isatty():
            print(f"  round {round_number + 1}/{runs}", end="\r", file=sys.stderr, flush=True)
        for key, client, headers, path, pins in cases:
            set_pins(pins)
            counter.reset()
            counter.case = key
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            sample = samples[key]
            sample["ms"].append((time.perf_counter() - start) * 1000)
            sample["cpu"].append((time.process_time() - start_cpu) * 1000)
            counter.case = None
            sample["sql_ms"].append(counter.seconds * 1000)
            sample["sql"].append(counter.count)
            sample["status"].append(response.status_code)
    if sys.stderr.isatty():
        print(" " * 20, end="\r", file=sys.stderr, flush=True)
    return {key: {
        "median": statistics.median(sample["ms"]), "p90": percentile(sample["ms"], 0.9),
        "min": min(sample["ms"]), "cpu": statistics.median(sample["cpu"]), "sql_ms": statistics.median(sample["sql_ms"]),
        "sql_min": min(sample["sql"]), "sql_max": max(sample["sql"]),
        "statuses": set(sample["status"]) | {warm[key].status_code},
        "bytes": len(warm[key].data),
    } for key, sample in samples.items()}


def captured_statements(client, headers, path, counter):
    counter.reset(capture=True)
    client.get(path, headers=headers)
    captured, counter.capture = counter.capture, None
    return captured


# --------------------------------------------------------------------------- cases

def list_cases(facts):
    now = facts["now"]
    collab = facts["collaborator_id"]
    day_from = (now - dt.timedelta(days=60)).date().isoformat()
    day_to = (now - dt.timedelta(days=30)).date().isoformat()
    L = "/clientview/list/?"
    cases = [
        # key, user, path[, pinned clients on collaborateur's dashboard]
        ("list", "collaborateur", L + "size=25"),
        ("list@100", "collaborateur", L + "size=100"),
        ("q=boulangerie", "collaborateur", L + "q=boulangerie&size=25"),
        ("q=boulangerie@100", "collaborateur", L + "q=boulangerie&size=100"),
        (f"q={facts['siren_fragment']} (SIREN)", "collaborateur",
         L + f"q={facts['siren_fragment']}&size=25"),
        ("last_login=7d", "collaborateur", L + "last_login=7d&size=25"),
        ("last_login=never", "collaborateur", L + "last_login=never&size=25"),
        ("last_login=never@100", "collaborateur", L + "last_login=never&size=100"),
        ("last_login=range", "collaborateur",
         L + f"last_login=range&from={day_from}&to={day_to}&size=25"),
        (f"collaborator={collab}", "collaborateur", L + f"collaborator={collab}&size=25"),
        (f"collaborator={collab}@100", "collaborateur", L + f"collaborator={collab}&size=100"),
        ("collaborator=none", "collaborateur", L + "collaborator=none&size=25"),
        ("pack=Premium", "collaborateur", L + "pack=Premium&size=25"),
        ("pack=Premium@100", "collaborateur", L + "pack=Premium&size=100"),
        ("dossier=missing", "collaborateur", L + "dossier=missing&size=25"),
        ("created=month", "collaborateur", L + "created=month&size=25"),
    ]
    for column in ("name", "siren", "dossier", "email", "pack", "created_at", "last_login_at"):
        cases.append((f"sort={column}", "collaborateur", L + f"sort={column}&size=25"))
    cases += [
        ("sort=name dir=desc", "collaborateur", L + "sort=name&dir=desc&size=25"),
        ("page=50", "collaborateur", L + "size=25&page=50"),
        ("fragment page=2", "collaborateur", L + "size=25&fragment=rows&page=2"),
        ("fragment page=2@100", "collaborateur", L + "size=100&fragment=rows&page=2"),
        ("restreint list", "restreint", L + "size=25"),
        ("restreint list@100", "restreint", L + "size=100"),
        ("restreint q=boulangerie", "restreint", L + "q=boulangerie&size=25"),
        ("restreint sort=name", "restreint", L + "sort=name&size=25"),
        ("API page_size 25", "collaborateur", "/api/v1/client/?q=(page:0,page_size:25)"),
        ("API page_size 100", "collaborateur", "/api/v1/client/?q=(page:0,page_size:100)"),
        ("API page 50 (25)", "collaborateur", "/api/v1/client/?q=(page:49,page_size:25)"),
        ("API restreint 25", "restreint", "/api/v1/client/?q=(page:0,page_size:25)"),
        ("API restreint 100", "restreint", "/api/v1/client/?q=(page:0,page_size:100)"),
        ("restreint dashboard", "restreint", "/"),
        # Last in each round: the pins change only twice per round.
        ("dashboard 0 pins", "collaborateur", "/", 0),
        ("dashboard 1 pin", "collaborateur", "/", 1),
        ("dashboard 20 pins", "collaborateur", "/", 20),
        ("list (20 pins)", "collaborateur", L + "size=25", 20),
    ]
    return cases


RATIO_PAIRS = [
    ("list", "list@100"),
    ("q=boulangerie", "q=boulangerie@100"),
    ("last_login=never", "last_login=never@100"),
    ("pack=Premium", "pack=Premium@100"),
    ("collaborator={collab}", "collaborator={collab}@100"),
    ("fragment page=2", "fragment page=2@100"),
    ("restreint list", "restreint list@100"),
    ("API page_size 25", "API page_size 100"),
    ("API restreint 25", "API restreint 100"),
]


def print_row(label, result):
    statuses = ",".join(str(s) for s in sorted(result["statuses"]))
    sql = str(result["sql_max"]) if result["sql_min"] == result["sql_max"] else \
        f"{result['sql_min']}-{result['sql_max']}"
    note = "" if result["statuses"] == {200} else f"  HTTP {statuses}"
    print(f"{label:<34} {result['median']:>9.1f} {result['p90']:>9.1f} {result['cpu']:>9.1f} "
          f"{result['sql_ms']:>9.1f} "
          f"{sql:>6} {result['bytes'] / 1024:>8.0f}{note}", flush=True)


# --------------------------------------------------------------------------- EXPLAIN

def explain(app, statement, parameters, lines):
    from app.extensions import db

    with app.app_context():
        with db.engine.connect() as connection:
            if db.engine.dialect.name == "postgresql":
                rows = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
            else:
                rows = [" | ".join(str(v) for v in row) for row in connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters).all()]
    head = rows[:lines]
    tail = [row for row in rows[lines:] if row.strip().startswith(("Planning Time", "Execution Time"))]
    return head + (["  …"] if len(rows) > lines + len(tail) else []) + tail


def list_queries(captured):
    """The count and the page query among a list request's statements."""
    count = page = None
    for statement, parameters, _ms in captured:
        flat = " ".join(statement.split())
        if flat.startswith("SELECT count(client.id)") and "FROM client" in flat:
            count = (statement, parameters)
        elif flat.startswith("SELECT client.id") and "LIMIT" in flat:
            page = (statement, parameters)
    return count, page


# --------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20000, help="clients of cabinet 1")
    parser.add_argument("--cabinets", type=int, default=50)
    parser.add_argument("--total", type=int, default=100000, help="clients in the database")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true", help="temporary SQLite file")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--plan-lines", type=int, default=14)
    args = parser.parse_args()
    if args.cabinets < 2:
        parser.error("--cabinets must be at least 2 (the demo's two cabinets)")

    run_on_database(args, run)


def run(args, url, label, started):
    import platform

    import sqlalchemy

    from app.clients.pins import pin_clients, unpin_clients
    from app.extensions import db

    app = build_app(url)
    timer = Step()
    load_start = time.perf_counter()
    facts = load(app, args, timer)
    load_seconds = time.perf_counter() - load_start
    with app.app_context():
        engine = db.engine
        server_version = ""
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                server_version = connection.exec_driver_sql("SHOW server_version").scalar()
        counter = SqlCounter(engine)

    counts = facts["counts"]
    print(f"Passerelle client list at scale — {dt.date.today().isoformat()}, {os.cpu_count()} CPU, "
          f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}")
    print(f"Database: {label} {engine.dialect.name} {server_version}".rstrip())
    print(f"Data: {sum(counts.values())} clients in {len(counts)} cabinets; cabinet 1: "
          f"{counts[facts['cabinet_1']]} clients; {facts['links']} assignments "
          f"(collaborateur {facts['mine']}, restreint {facts['restricted']})")
    print(f"Load: {load_seconds:.1f} s; load average before measuring: "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    for step, seconds in timer.steps:
        print(f"  {seconds:7.1f} s  {step}")
    print()

    sessions = {user: logged_in(app, user) for user in ("collaborateur", "restreint")}
    cases = list_cases(facts)
    print(f"{args.runs} runs after 1 warm-up. ms = server time (test client, wall clock); "
          f"CPU ms = CPU time of this Python process (insensitive to other load);")
    print("SQL ms = wall time inside SQL statements; SQL = statements per request; "
          "KiB = response size. Medians unless p90.")
    print(f"{'case':<34} {'ms med':>9} {'ms p90':>9} {'CPU ms':>9} {'SQL ms':>9} {'SQL':>6} {'KiB':>8}")
    ids = facts["cabinet_1_ids"]
    to_pin = ids[::max(1, len(ids) // 20)][:20]
    pinned_now = [0]

    def set_pins(number):
        """Exactly `number` clients pinned to collaborateur's dashboard."""
        if number == pinned_now[0]:
            return
        with app.app_context():
            unpin_clients(db.session, facts["collaborator_id"], to_pin)
            pin_clients(db.session, facts["collaborator_id"], to_pin[:number])
            db.session.commit()
        pinned_now[0] = number

    def prepared(key, user, path, pins=0):
        client, headers = sessions[user]
        return key, client, headers if path.startswith("/api/") else {}, path, pins

    results = measure([prepared(*case) for case in cases], args.runs, counter, set_pins)
    for key, *_ in cases:
        print_row(key, results[key])
    set_pins(20)                     # for the EXPLAIN of the dashboard below

    collab = facts["collaborator_id"]
    print()
    print(f"Ratio median(size=100) / median(size=25) — target < {RATIO_TARGET}")
    print("(verdict on the medians; the best-of-runs ratio is less sensitive to other load)")
    print(f"  {'':<28} {'median ms 25 -> 100':>24}  ratio   {'best ms 25 -> 100':>20}  ratio")
    for small, large in RATIO_PAIRS:
        small, large = small.format(collab=collab), large.format(collab=collab)
        a, b = results[small], results[large]
        ratio, best_ratio = b["median"] / a["median"], b["min"] / a["min"]
        verdict = "ok" if ratio < RATIO_TARGET else "ABOVE TARGET"
        print(f"  {small:<28} {a['median']:9.1f} -> {b['median']:9.1f}  x{ratio:.2f}"
              f"   {a['min']:8.1f} -> {b['min']:8.1f}  x{best_ratio:.2f}  {verdict}")

    print()
    print("SQL statements: do they grow with the page size or the pins? (they must not)")
    growth_pairs = [(s.format(collab=collab), l.format(collab=collab)) for s, l in RATIO_PAIRS]
    growth_pairs += [("dashboard 0 pins", "dashboard 1 pin"), ("dashboard 1 pin", "dashboard 20 pins"),
                     ("list", "list (20 pins)")]
    for small, large in growth_pairs:
        a, b = results[small]["sql_max"], results[large]["sql_max"]
        verdict = "constant" if a == b else f"GROWS ({a} -> {b})"
        print(f"  {small:<28} vs {large:<28} {a:>3} / {b:<3} {verdict}")

    print("  (0 -> 1 pin may add one statement: the pinned cards' collaborators, loaded in one batch)")

    print()
    print("Statements repeated within one request (N+1 suspects), as collaborateur:")
    client, _ = sessions["collaborateur"]
    for key, path in (("list", "/clientview/list/?size=25"),
                      ("fragment", "/clientview/list/?size=25&fragment=rows&page=2"),
                      ("dashboard", "/")):
        captured = captured_statements(client, {}, path, counter)
        heads = defaultdict(int)
        for statement, _parameters, _ms in captured:
            heads[" ".join(statement.split())[:95]] += 1
        repeated = [(n, head) for head, n in heads.items() if n > 1]
        print(f"  {key}: {len(captured)} statements" + ("" if repeated else ", none repeated"))
        for n, head in sorted(repeated, reverse=True):
            print(f"    {n:>3} x {head}")

    print()
    print("Slowest SQL statements (median of the runs, ms; repeated statements summed per run):")
    medians = {key: statistics.median(values) * max(1, len(values) // args.runs)
               for key, values in counter.durations.items()}
    for (case, statement), ms in sorted(medians.items(), key=lambda item: -item[1])[:12]:
        print(f"  {ms:7.1f}  [{case}] {statement[:110]}")

    if not args.no_explain:
        print()
        title = "EXPLAIN (ANALYZE, BUFFERS)" if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
        L = "/clientview/list/?"
        explained = [
            # title, user, path, which statements: "count+page", "page" or "slowest:N"
            ("unfiltered list", "collaborateur", L + "size=25", "count+page"),
            ("search q=boulangerie", "collaborateur", L + "q=boulangerie&size=25", "count+page"),
            (f"search q={facts['siren_fragment']} (SIREN)", "collaborateur",
             L + f"q={facts['siren_fragment']}&size=25", "count+page"),
            ("restreint unfiltered list", "restreint", L + "size=25", "count+page"),
            ("collaborator=none", "collaborateur", L + "collaborator=none&size=25", "count+page"),
            ("sort=name", "collaborateur", L + "sort=name&size=25", "page"),
            ("page=50", "collaborateur", L + "size=25&page=50", "page"),
            ("dashboard (collaborateur, 20 pins)", "collaborateur", "/", "slowest:2"),
        ]
        for what, user, path, which in explained:
            client, _ = sessions[user]
            captured = captured_statements(client, {}, path, counter)
            if which.startswith("slowest:"):
                slowest = sorted(captured, key=lambda item: -item[2])[:int(which.split(":")[1])]
                queries = [(f"slowest statement ({ms:.1f} ms in the request)", (statement, parameters))
                           for statement, parameters, ms in slowest]
            else:
                count, page = list_queries(captured)
                queries = [("count", count), ("page", page)] if which == "count+page" else [("page", page)]
            for kind, query in queries:
                print(f"{title} — {what}, {kind} query:")
                if query is None:
                    print("  (statement not found)")
                    continue
                if kind.startswith("slowest"):
                    print("  " + " ".join(query[0].split())[:300])
                for line in explain(app, *query, lines=args.plan_lines):
                    print("  " + line)
                print()

    print(f"Total run time: {time.perf_counter() - started:.0f} s; load average at the end: "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
