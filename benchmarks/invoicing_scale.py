"""Invoicing at scale: one client with 50,000 invoices — server time and SQL statements.

    .venv/bin/python benchmarks/invoicing_scale.py [--invoices 50000] [--months 15]
        [--runs 5] [--seed 2026] [--sqlite] [--slowest 3] [--explain] [--plan-lines 12]

Starts a throwaway PostgreSQL server (tests/pg_server.py), or uses DATABASE_URL if
it is set (an EMPTY database), or a temporary SQLite file with --sqlite. Migrates,
creates the roles, a cabinet with its owner and a collaborator (`collaborateur`), and
one client with its seller details, customers and articles; then bulk-loads (Core
executemany) --invoices issued invoices over the last --months months ending today,
numbered F-<year>-00001… per year, with their lines (totals computed by
app.invoicing.totals.compute_totals, so every row is what the app would have
written), some fees, about 2 % of credit notes (partial and total, AV-<year>-…),
and payments allocated to them (most invoices paid in full, some partly, recent
ones and some overdue ones open): statuses and settlement columns
(credited_ttc, paid_ttc) as app.invoicing.documents keeps them. VACUUM ANALYZE on
PostgreSQL.

Then, logged in as `collaborateur` (Flask test client, no HTTP server), it requests
each case once to warm up and --runs times more (round-robin over the cases), and
prints per case the median and best server time, the time inside SQL and the
number of SQL statements. The cases are the table CASES below: the client sheet's
« Tableau de bord » and « Informations » tabs, the dashboard, and the invoice list
of the client's space (entered first through « Accéder au compte ») at 25 and 100
rows. A URL answering 404 is printed « non mesuré : route absente », so the script
runs whatever screens exist. Finally it times the functions of
app.invoicing.reporting (monthly_activity, top_customers, aged_balance) called
directly, if that module exists; the slowest statements of each case; with
--explain, the plan of each case's slowest statement.

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
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Step, build_app, run_on_database  # noqa: E402

PASSWORD = "Passerelle-2026"
CHUNK = 5000
CONTACTS = 400
TIMEZONE = "Europe/Paris"

# The space's document list: FAB's list of DocumentView (app/views/documents.py), whose
# page size is the `psize_DocumentView` argument. If the route moves, change it here;
# a URL answering 404 is reported « non mesuré : route absente » instead of measured.
DOCUMENT_LIST_URL = "/espace/documents/list/?psize_DocumentView={size}"

# (label, URL, needs the client's space open). {client}: the client's id.
CASES = [
    ("fiche : tableau de bord", "/clients/{client}/?onglet=tableau-de-bord", False),
    ("fiche : informations", "/clients/{client}/?onglet=informations", False),
    ("tableau de bord (/)", "/", False),
    ("espace : documents, 25", DOCUMENT_LIST_URL.format(size=25), True),
    ("espace : documents, 100", DOCUMENT_LIST_URL.format(size=100), True),
    ("espace : documents, 25, page 1000",
     DOCUMENT_LIST_URL.format(size=25) + "&page_DocumentView=1000", True),
]
# « Accéder au compte »: opens the client's space for the logged-in staff member.
OPEN_SPACE_URL = "/clients/{client}/compte"


# --------------------------------------------------------------------------- database

def firm_today():
    try:
        from app.invoicing.reporting import today_in
    except ImportError:
        return dt.date.today()
    return today_in(TIMEZONE)


# --------------------------------------------------------------------------- data

def _insert_chunks(connection, statement, rows, returning=False):
    ids = []
    for start in range(0, len(rows), CHUNK):
        result = connection.execute(statement, rows[start:start + CHUNK])
        if returning:
            ids.extend(result.scalars().all())
    return ids


def _world(app, timer):
    """Cabinet, owner, collaborator and the client, through the app's own functions."""
    import flask_migrate

    from app.demo import random_siren
    from app.demo_invoicing import vat_number_for
    from app.extensions import db
    from app.models import Client
    from app.security import roles
    from app.security.cabinets import add_staff_user, create_cabinet
    from app.security.roles import sync_roles

    sm = app.appbuilder.sm
    with app.app_context():
        session = db.session
        with timer("migrations + roles"):
            flask_migrate.upgrade()
            sync_roles(sm)
            session.commit()
        if session.query(Client).first() is not None:
            sys.exit("The database already holds clients: give an empty database.")
        cabinet = create_cabinet(
            sm, session, name="Cabinet Martin & Associés", siren="552100554",
            email="contact@martin-associes.fr", owner_username="proprietaire",
            owner_email="proprietaire@martin-associes.fr", owner_first_name="Claire",
            owner_last_name="Martin", owner_password=PASSWORD)
        collaborator = add_staff_user(
            sm, session, cabinet, roles.COLLABORATOR, username="collaborateur",
            email="collaborateur@martin-associes.fr", first_name="Sophie", last_name="Petit",
            password=PASSWORD)
        siren = random_siren(random.Random(1))
        client = Client(
            cabinet_id=cabinet.id, name="Plomberie Girard SAS", siren=siren,
            email="contact@plomberiegirard.fr", pack="Premium", dossier_code="10001",
            dossier_label="PLOMBERIE GIRARD SAS", multi_vat=True, legal_form="SAS",
            share_capital="10000", rcs_city="Lyon", address_line1="12 rue Pasteur",
            postcode="69007", city="Lyon", phone="04 78 12 34 56",
            vat_number=vat_number_for(siren), payment_terms_days=30,
            created_at=dt.datetime.now() - dt.timedelta(days=600),
            collaborators=[collaborator])
        session.add(client)
        session.commit()
        return {"client_id": client.id, "collaborator_id": collaborator.id,
                "terms": client.payment_terms_days}


def _reference_rows(rng, client_id):
    """Customers, a category, articles and a fee, as Core rows."""
    from app.demo_invoicing import (
        CATALOGUES,
        CUSTOMER_KINDS,
        CUSTOMER_NAMES,
        FIRST_NAMES,
        LAST_NAMES,
        _parse_articles,
    )

    contacts = []
    for index in range(CONTACTS):
        if index % 3:
            kind, forms = rng.choice(CUSTOMER_KINDS)
            name = f"{kind} {rng.choice(CUSTOMER_NAMES)} {rng.choice(forms)}".strip()
            contacts.append({"client_id": client_id, "is_company": True,
                             "name": f"{name} {index}", "first_name": None})
        else:
            contacts.append({"client_id": client_id, "is_company": False,
                             "name": rng.choice(LAST_NAMES), "first_name": rng.choice(FIRST_NAMES)})
    for row in contacts:
        row.update(city="Lyon", postcode="69003", country="FR",
                   created_at=dt.datetime(2024, 1, 1))
    articles = []
    for trade in ("plumbing", "electricity", "carpentry"):
        for row in _parse_articles(CATALOGUES[trade]["articles"]):
            articles.append({"client_id": client_id, "reference": f"A{len(articles) + 1:04d}",
                             "label": row["label"], "nature": row["nature"],
                             "unit_price_ht": row["price"], "vat_rate": row["rate"],
                             "quantity": row["quantity"]})
    return contacts, articles


def _plan_documents(rng, args, today, terms, contact_ids, articles, fee):
    """Every invoice, credit note and payment, settled as app.invoicing.documents
    would have settled them. Returns (invoices, credit notes, payments) as dicts."""
    from app.invoicing.numbering import format_number
    from app.invoicing.totals import Charge, Line, compute_totals

    start = today - dt.timedelta(days=round(args.months * 30.44))
    span = (today - start).days
    days = sorted(start + dt.timedelta(days=rng.randint(0, span)) for _ in range(args.invoices))
    weights = [1 / (1 + rank) ** 0.8 for rank in range(len(contact_ids))]
    numbers = Counter()
    invoices = []
    for day in days:
        picked = rng.sample(articles, rng.choice((1, 1, 2, 2, 3, 4)))
        lines = []
        for article in picked:
            low, high, step = article["quantity"]
            quantity = low + step * rng.randint(0, int((high - low) / step))
            lines.append(Line(quantity=quantity, unit_price_ht=article["unit_price_ht"],
                              vat_rate=article["vat_rate"], nature=article["nature"]))
        charges = [fee] if rng.random() < 0.1 else []
        totals = compute_totals(lines, [Charge(kind="fee", vat_rate=fee["vat_rate"],
                                               amount=fee["amount"]) for _ in charges],
                                multi_vat=True)
        numbers[day.year] += 1
        invoices.append({
            "day": day, "number": format_number("invoice", day.year, numbers[day.year]),
            "contact_id": rng.choices(contact_ids, weights=weights)[0],
            "lines": [(article, line, ht) for article, line, ht in
                      zip(picked, lines, totals.lines_ht)],
            "charges": list(zip(charges, totals.charges_ht)),
            "total_ht": totals.total_ht, "total_vat": totals.total_vat,
            "total_ttc": totals.total_ttc, "credited": Decimal("0.00"),
            "paid": Decimal("0.00"), "payment": None,
        })

    # Credit notes on about 2 % of the invoices, a few days after them: a third total.
    credit_notes = []
    for index in rng.sample(range(len(invoices)), len(invoices) // 50):
        invoice = invoices[index]
        day = invoice["day"] + dt.timedelta(days=rng.randint(1, 15))
        if day > today:
            continue
        if rng.random() < 1 / 3:
            lines = [line for _, line, _ in invoice["lines"]]
            fee_charges = [Charge(kind="fee", vat_rate=fee["vat_rate"], amount=fee["amount"])
                           for _ in invoice["charges"]]
            source = [(article, line) for article, line, _ in invoice["lines"]]
        else:
            article, line, line_ht = invoice["lines"][0]
            price = max((line_ht * Decimal("0.2")).quantize(Decimal("0.01")), Decimal("0.01"))
            line = Line(quantity=Decimal("1"), unit_price_ht=price, vat_rate=line.vat_rate,
                        nature=line.nature)
            lines, fee_charges, source = [line], [], [(None, line)]
        totals = compute_totals(lines, fee_charges, multi_vat=True)
        invoice["credited"] += totals.total_ttc
        credit_notes.append({"day": day, "invoice": invoice, "source": source,
                             "lines_ht": totals.lines_ht,
                             "charges": list(zip(invoice["charges"] if fee_charges else [],
                                                 totals.charges_ht)),
                             "total_ht": totals.total_ht,
                             "total_vat": totals.total_vat, "total_ttc": totals.total_ttc})
    credit_notes.sort(key=lambda note: note["day"])
    numbers = Counter()
    for note in credit_notes:
        numbers[note["day"].year] += 1
        note["number"] = format_number("credit_note", note["day"].year, numbers[note["day"].year])

    # Payments: by how overdue the invoice is (as in the demo).
    payments = []
    for invoice in invoices:
        due_day = invoice["day"] + dt.timedelta(days=terms)
        left = invoice["total_ttc"] - invoice["credited"]
        overdue = (today - due_day).days
        if left <= 0:
            continue
        roll = rng.random()
        if overdue <= 0:
            share = Decimal("1") if roll < 0.4 else None
        elif overdue > 120 or overdue < 10:
            share = Decimal("1") if roll < 0.97 else Decimal("0.5")
        else:
            share = Decimal("1") if roll < 0.75 else Decimal("0.5") if roll < 0.85 else None
        if share is None:
            continue
        amount = left if share == 1 else (left * share).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        day = min(invoice["day"] + dt.timedelta(days=rng.randint(3, terms + 20)), today)
        invoice["paid"] = amount
        payments.append({"day": day, "invoice": invoice, "amount": amount,
                         "mode": rng.choice(("Virement", "Virement", "Chèque", "Carte bancaire"))})
    return invoices, credit_notes, payments


def _status(invoice):
    """app.invoicing.documents.refresh_status, on the planned amounts."""
    due = invoice["total_ttc"] - invoice["credited"] - invoice["paid"]
    if due <= 0:
        return "paid"
    if invoice["paid"] > 0 or invoice["credited"] > 0:
        return "partially_paid"
    return "issued"


def load(app, args, timer, today):
    from sqlalchemy import func, insert, select

    from app.extensions import db
    from app.models import (
        Article,
        ArticleCategory,
        Charge,
        Contact,
        DocumentSequence,
        Invoice,
        InvoiceCharge,
        InvoiceLine,
        Payment,
        PaymentAllocation,
    )

    rng = random.Random(args.seed)
    facts = _world(app, timer)
    client_id, terms = facts["client_id"], facts["terms"]
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            contacts, articles = _reference_rows(rng, client_id)
            contact_ids = _insert_chunks(connection, insert(Contact.__table__).returning(
                Contact.__table__.c.id, sort_by_parameter_order=True), contacts, returning=True)
            category_id = connection.execute(insert(ArticleCategory.__table__).returning(
                ArticleCategory.__table__.c.id), [{"client_id": client_id, "name": "Travaux",
                                                   "account": "704100"}]).scalar()
            article_ids = _insert_chunks(connection, insert(Article.__table__).returning(
                Article.__table__.c.id, sort_by_parameter_order=True),
                [{key: value for key, value in row.items() if key != "quantity"}
                 | {"category_id": category_id} for row in articles], returning=True)
            for article, article_id in zip(articles, article_ids):
                article["id"] = article_id
            fee = {"client_id": client_id, "kind": "fee", "label": "Frais de déplacement",
                   "amount": Decimal("35.00"), "vat_rate": Decimal("20"), "account": "708500"}
            fee["id"] = connection.execute(insert(Charge.__table__).returning(
                Charge.__table__.c.id), [fee]).scalar()

        with timer(f"plan {args.invoices} invoices (compute_totals)"):
            invoices, credit_notes, payments = _plan_documents(
                rng, args, today, terms, contact_ids, articles, fee)

        invoice_table = Invoice.__table__
        returning_ids = insert(invoice_table).returning(invoice_table.c.id,
                                                        sort_by_parameter_order=True)

        def document_row(kind, number, day, contact_id, source, **extra):
            issued_at = dt.datetime.combine(day, dt.time(10, 0))
            return {"client_id": client_id, "kind": kind, "number": number, "issue_date": day,
                    "due_date": day if kind == "credit_note" else day + dt.timedelta(days=terms),
                    "contact_id": contact_id, "total_ht": source["total_ht"],
                    "total_vat": source["total_vat"], "total_ttc": source["total_ttc"],
                    "deposits_ttc": Decimal("0.00"), "created_at": issued_at,
                    "issued_at": issued_at, "notes": None, "corrects_invoice_id": None,
                    "credited_ttc": Decimal("0.00"), "paid_ttc": Decimal("0.00"), **extra}

        with timer(f"{len(invoices)} invoices + lines + charges (Core executemany)"):
            with engine.begin() as connection:
                rows = [document_row("invoice", inv["number"], inv["day"], inv["contact_id"], inv,
                                     status=_status(inv), credited_ttc=inv["credited"],
                                     paid_ttc=inv["paid"]) for inv in invoices]
                ids = _insert_chunks(connection, returning_ids, rows, returning=True)
                lines, charges = [], []
                for invoice, invoice_id in zip(invoices, ids):
                    invoice["id"] = invoice_id
                    for position, (article, line, line_ht) in enumerate(invoice["lines"], 1):
                        lines.append({"client_id": client_id, "invoice_id": invoice_id,
                                      "position": position, "article_id": article["id"],
                                      "label": article["label"], "quantity": line.quantity,
                                      "unit_price_ht": line.unit_price_ht,
                                      "discount_pct": Decimal("0"), "vat_rate": line.vat_rate,
                                      "nature": line.nature, "total_ht": line_ht})
                    for position, (charge, charge_ht) in enumerate(invoice["charges"], 1):
                        charges.append({"client_id": client_id, "invoice_id": invoice_id,
                                        "position": position, "charge_id": charge["id"],
                                        "kind": "fee", "label": charge["label"],
                                        "amount": charge["amount"], "percentage": None,
                                        "vat_rate": charge["vat_rate"], "total_ht": charge_ht})
                _insert_chunks(connection, insert(InvoiceLine.__table__), lines)
                if charges:
                    _insert_chunks(connection, insert(InvoiceCharge.__table__), charges)

        with timer(f"{len(credit_notes)} credit notes + {len(payments)} payments"):
            with engine.begin() as connection:
                rows = [document_row("credit_note", note["number"], note["day"],
                                     note["invoice"]["contact_id"], note, status="issued",
                                     corrects_invoice_id=note["invoice"]["id"],
                                     notes=f"Avoir sur la facture {note['invoice']['number']}.")
                        for note in credit_notes]
                ids = _insert_chunks(connection, returning_ids, rows, returning=True)
                lines, charges = [], []
                for note, note_id in zip(credit_notes, ids):
                    for position, ((charge, _), charge_ht) in enumerate(note["charges"], 1):
                        charges.append({"client_id": client_id, "invoice_id": note_id,
                                        "position": position, "charge_id": charge["id"],
                                        "kind": "fee", "label": charge["label"],
                                        "amount": charge["amount"], "percentage": None,
                                        "vat_rate": charge["vat_rate"], "total_ht": charge_ht})
                    for position, ((article, line), line_ht) in enumerate(
                            zip(note["source"], note["lines_ht"]), 1):
                        lines.append({"client_id": client_id, "invoice_id": note_id,
                                      "position": position,
                                      "article_id": article["id"] if article else None,
                                      "label": article["label"] if article else "Geste commercial",
                                      "quantity": line.quantity,
                                      "unit_price_ht": line.unit_price_ht,
                                      "discount_pct": Decimal("0"), "vat_rate": line.vat_rate,
                                      "nature": line.nature, "total_ht": line_ht})
                if lines:
                    _insert_chunks(connection, insert(InvoiceLine.__table__), lines)
                if charges:
                    _insert_chunks(connection, insert(InvoiceCharge.__table__), charges)
                payment_table = Payment.__table__
                ids = _insert_chunks(connection, insert(payment_table).returning(
                    payment_table.c.id, sort_by_parameter_order=True), [
                    {"client_id": client_id, "date": payment["day"], "amount": payment["amount"],
                     "payment_mode": payment["mode"], "reference": None,
                     "contact_id": payment["invoice"]["contact_id"],
                     "created_at": dt.datetime.combine(payment["day"], dt.time(11, 0))}
                    for payment in payments], returning=True)
                _insert_chunks(connection, insert(PaymentAllocation.__table__), [
                    {"client_id": client_id, "payment_id": payment_id,
                     "invoice_id": payment["invoice"]["id"], "amount": payment["amount"]}
                    for payment, payment_id in zip(payments, ids)])
                last = defaultdict(int)
                for invoice in invoices:
                    last[("invoice", invoice["day"].year)] += 1
                for note in credit_notes:
                    last[("credit_note", note["day"].year)] += 1
                connection.execute(insert(DocumentSequence.__table__), [
                    {"client_id": client_id, "kind": kind, "year": year, "last_number": number}
                    for (kind, year), number in sorted(last.items())])

        if engine.dialect.name == "postgresql":
            with timer("VACUUM ANALYZE"):
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
        with engine.connect() as connection:
            facts["counts"] = dict(connection.execute(
                select(invoice_table.c.kind, func.count()).where(
                    invoice_table.c.client_id == client_id).group_by(invoice_table.c.kind)).all())
            facts["statuses"] = dict(connection.execute(
                select(invoice_table.c.status, func.count()).where(
                    invoice_table.c.client_id == client_id,
                    invoice_table.c.kind == "invoice").group_by(invoice_table.c.status)).all())
            facts["lines"] = connection.execute(
                select(func.count()).select_from(InvoiceLine.__table__)).scalar()
            facts["payments"] = connection.execute(
                select(func.count()).select_from(payment_table)).scalar()
            facts["first_day"] = invoices[0]["day"]
    return facts


# --------------------------------------------------------------------------- measuring

class SqlCounter:
    """Counts and times the statements the app's engine sends."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.seconds, self.case = 0, 0.0, None
        self.durations = defaultdict(list)   # (case, statement head) -> [ms, ...]
        self.examples = {}                   # (case, statement head) -> (statement, parameters)
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self):
        self.count, self.seconds = 0, 0.0

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        conn.info["bench_start"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info.pop("bench_start", time.perf_counter())
        self.seconds += elapsed
        if self.case:
            key = (self.case, " ".join(statement.split())[:140])
            self.durations[key].append(elapsed * 1000)
            self.examples[key] = (statement, parameters)


def logged_in(app, username):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    location = response.headers.get("Location", "")
    if response.status_code != 302 or "/login" in location:
        sys.exit(f"Login refused for {username} ({response.status_code} {location})")
    return client


def measure(client, cases, runs, counter):
    """Each case once to warm up (a 404 drops it), then `runs` rounds over the cases."""
    samples, warm = {}, {}
    for label, path in cases:
        response = client.get(path)
        warm[label] = response
        if response.status_code != 404:
            samples[label] = defaultdict(list)
    for _ in range(runs):
        for label, path in cases:
            if label not in samples:
                continue
            counter.reset()
            counter.case = label
            start = time.perf_counter()
            response = client.get(path)
            samples[label]["ms"].append((time.perf_counter() - start) * 1000)
            counter.case = None
            samples[label]["sql_ms"].append(counter.seconds * 1000)
            samples[label]["sql"].append(counter.count)
            samples[label]["status"].append(response.status_code)
    results = {}
    for label, _path in cases:
        if label not in samples:
            results[label] = None
            continue
        sample = samples[label]
        results[label] = {
            "median": statistics.median(sample["ms"]), "min": min(sample["ms"]),
            "sql_ms": statistics.median(sample["sql_ms"]),
            "sql": (min(sample["sql"]), max(sample["sql"])),
            "statuses": set(sample["status"]) | {warm[label].status_code},
            "kib": len(warm[label].data) / 1024,
        }
    return results


def time_reporting(app, client_id, today, runs, counter):
    """The reporting functions called directly: [(name, median ms, statements)] or None."""
    try:
        from app.invoicing import reporting
    except ImportError:
        return None
    from app.extensions import db

    calls = [("monthly_activity", "monthly_activity", (client_id, today)),
             ("top_customers", "top_customers", (client_id, today)),
             ("aged_balance", "aged_balance", (client_id, today))]
    results = []
    with app.app_context():
        for label, name, arguments in calls:
            function = getattr(reporting, name, None)
            if function is None:
                results.append((label, None, "absente"))
                continue
            timings, statements = [], []
            try:
                function(db.session, *arguments)                 # warm-up
                for _ in range(runs):
                    counter.reset()
                    start = time.perf_counter()
                    function(db.session, *arguments)
                    timings.append((time.perf_counter() - start) * 1000)
                    statements.append(counter.count)
            except TypeError as error:                           # signature changed
                db.session.rollback()
                results.append((label, None, f"appel impossible ({error})"))
                continue
            results.append((label, statistics.median(timings), max(statements)))
        db.session.remove()
    return results


def explain(app, statement, parameters, lines):
    """The plan of the exact statement and parameters the app sent."""
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
    tail = [row for row in rows[lines:]
            if row.strip().startswith(("Planning Time", "Execution Time"))]
    return head + (["  …"] if len(rows) > lines + len(tail) else []) + tail


# --------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=50000)
    parser.add_argument("--months", type=int, default=15, help="issue dates span (12 to 18)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true", help="temporary SQLite file")
    parser.add_argument("--slowest", type=int, default=3,
                        help="slowest statements printed per case (0: none)")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN (ANALYZE, BUFFERS) of each case's slowest statement")
    parser.add_argument("--plan-lines", type=int, default=12)
    args = parser.parse_args()

    run_on_database(args, run)


def run(args, url, label, started):
    import platform

    import sqlalchemy

    from app.extensions import db

    app = build_app(url)
    today = firm_today()
    timer = Step()
    load_start = time.perf_counter()
    facts = load(app, args, timer, today)
    load_seconds = time.perf_counter() - load_start
    client_id = facts["client_id"]
    with app.app_context():
        engine = db.engine
        server_version = ""
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                server_version = connection.exec_driver_sql("SHOW server_version").scalar()
        counter = SqlCounter(engine)

    print(f"Passerelle invoicing at scale — {dt.date.today().isoformat()}, {os.cpu_count()} CPU, "
          f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}")
    print(f"Database: {label} {engine.dialect.name} {server_version}".rstrip())
    counts, statuses = facts["counts"], facts["statuses"]
    print(f"Data: one client (id {client_id}) with {counts.get('invoice', 0)} invoices "
          f"({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))}), "
          f"{counts.get('credit_note', 0)} credit notes, {facts['lines']} lines, "
          f"{facts['payments']} payments; issued {facts['first_day'].isoformat()} to "
          f"{today.isoformat()}")
    print(f"Load: {load_seconds:.1f} s; load average before measuring: "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    for step, seconds in timer.steps:
        print(f"  {seconds:7.1f} s  {step}")
    print()

    client = logged_in(app, "collaborateur")
    opened = client.get(OPEN_SPACE_URL.format(client=client_id))
    space_open = opened.status_code in (200, 302)
    cases = [(name, path.format(client=client_id)) for name, path, needs_space in CASES
             if space_open or not needs_space]
    results = measure(client, cases, args.runs, counter)

    print(f"Logged in as collaborateur; {args.runs} runs after 1 warm-up, medians. "
          "ms = server time (test client); SQL ms = time inside SQL; SQL = statements.")
    if not space_open:
        print(f"(« Accéder au compte » {OPEN_SPACE_URL} answered {opened.status_code}: "
              "space cases left out)")
    print(f"{'case':<36} {'ms med':>8} {'ms min':>8} {'SQL ms':>8} {'SQL':>6} {'KiB':>7}")
    for name, path in cases:
        result = results[name]
        if result is None:
            print(f"{name:<36} non mesuré : route absente ({path})")
            continue
        low, high = result["sql"]
        sql = str(high) if low == high else f"{low}-{high}"
        note = "" if result["statuses"] == {200} else \
            "  HTTP " + ",".join(str(s) for s in sorted(result["statuses"]))
        print(f"{name:<36} {result['median']:>8.1f} {result['min']:>8.1f} "
              f"{result['sql_ms']:>8.1f} {sql:>6} {result['kib']:>7.0f}{note}")

    print()
    reporting = time_reporting(app, client_id, today, args.runs, counter)
    if reporting is None:
        print("app.invoicing.reporting: module absent, not measured.")
    else:
        print("app.invoicing.reporting, called directly (median ms, statements):")
        for name, ms, statements in reporting:
            if ms is None:
                print(f"  {name:<20} non mesuré : {statements}")
            else:
                print(f"  {name:<20} {ms:8.1f} ms  {statements} statement(s)")

    if args.slowest:
        print()
        print(f"Slowest SQL statements per case (median ms over the runs, first {args.slowest}):")
        per_case = defaultdict(list)
        for (case, statement), values in counter.durations.items():
            per_case[case].append((statistics.median(values) * max(1, len(values) // args.runs),
                                   statement))
        for name, _path in cases:
            if per_case.get(name):
                print(f"  {name}:")
                for ms, statement in sorted(per_case[name], reverse=True)[:args.slowest]:
                    print(f"    {ms:7.1f}  {statement}")

    if args.explain:
        print()
        for name, _path in cases:
            measured = [(statistics.median(values), key) for key, values in
                        counter.durations.items() if key[0] == name]
            if not measured:
                continue
            _ms, key = max(measured)
            print(f"EXPLAIN — {name}, slowest statement:")
            print("  " + key[1])
            for line in explain(app, *counter.examples[key], lines=args.plan_lines):
                print("  " + line)
            print()

    print()
    print(f"Total run time: {time.perf_counter() - started:.0f} s; load average at the end: "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
