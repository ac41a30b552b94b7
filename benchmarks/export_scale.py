"""FEC export at scale: one client with 200,000 invoices and their payments.

    .venv/bin/python benchmarks/export_scale.py [--invoices 200000] [--no-smaller]
        [--runs 1] [--months 12] [--seed 2026] [--sqlite] [--gettext babel|identity]
        [--tracemalloc] [--profile N]

Starts a throwaway PostgreSQL server (tests/pg_server.py), or uses DATABASE_URL if it
is set (an EMPTY database), or a temporary SQLite file with --sqlite. Builds the world
with benchmarks/invoicing_scale.py (migrations, roles, a cabinet, the client
« Plomberie Girard SAS », dossier 10001, valid SIREN), adds a second client
(dossier 10002) for the client ten times smaller, applies the default plan « pcg » to
both (app.plans.copying.apply_plan), then bulk-loads each client with the loader of
invoicing_scale.py (Core executemany in chunks of 5,000; amounts by
app.invoicing.totals.compute_totals; about 2 % credit notes, a fee on about 10 %):
--invoices issued invoices over the last --months months ending yesterday, and a
payment for every invoice that still owes something (most in full: the ones
invoicing_scale.py leaves open get half of what they owe). VACUUM ANALYZE.

Then, for each client (--invoices, and --invoices / 10 unless --no-smaller), each step
in a FRESH subprocess (the script runs itself with --measure-only), so that its peak
RSS is that of the step, not of the load. The peak is VmHWM of /proc/self/status, not
ru_maxrss: Linux carries the parent's high-water mark into the child across fork and
exec, so ru_maxrss would report the loading parent's peak:
1. plain read: the rows the export reads, with two plain SQLAlchemy Core queries
   streamed (`stream_results`, `yield_per` 5,000) and fetched as tuples: the
   documents' lines joined to their documents (outer join invoice → invoice_line,
   the columns and order of app.exports.reading.stream_documents) and the payments
   (the columns and order of stream_payments); one warm-up, then --runs timed reads;
   in the same subprocess, --runs times, the floor of the marks (`marks_floor`):
   the rows the export must write for the documents and payments it carries, made
   by the database itself (INSERT … SELECT into a throwaway batch, rolled back);
2. the export: `run_export(session, client, ExportRequest(client_id, start, end,
   format="fec"), …)` + commit, --runs times (between runs the batch, its file and
   its marks are deleted, untimed, so that every run exports the whole period for
   the first time). gettext is flask_babel's, in an app context, as the command
   `flask export-entries` calls it (`--gettext identity`: a plain `%` formatting).
   The check (export_blockers), the settlement graph and the writing are timed
   inside the same run by wrapping those functions (not run twice).
With --tracemalloc, one more export (untimed) with tracemalloc on: peak of the
Python allocations. With --profile N, one more export under cProfile: the N top
functions by cumulative and by own time.

Prints per client: lines, entries, lines/s, total time, peak RSS of the process and
its import baseline, the plain read's time, the floor of the marks and the ratio an
export that reads and marks cannot go under, the ratio export / plain read, the file
size, and for each aim (≥ 100,000 lines/s, peak RSS < 250 MB, export ≤ 2.5 × plain
read) « objectif atteint » or « objectif manqué ».

A benchmark that prints figures, never a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import types
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# _common puts the repository and tests/ on sys.path and sets a throwaway
# PASSERELLE_INSTANCE_DIR (inherited by the subprocesses).
from _common import Step, build_app, run_on_database  # noqa: E402
from invoicing_scale import (  # noqa: E402
    _insert_chunks, _plan_documents, _reference_rows, _status, _world, firm_today,
)

AIM_LINES_PER_SECOND = 100_000
AIM_PEAK_MB = 250
AIM_RATIO = 2.5
TOP_UP_MODES = ("Virement", "Prélèvement", "Chèque")
MARK = "@@export_scale@@ "          # prefix of the subprocess's JSON answer
EXPORT_TABLES = ("export_batch_document", "export_batch_payment", "export_file_chunk",
                 "export_batch")


# --------------------------------------------------------------------------- load

def _second_client(app, cabinet_of, name, dossier, seed):
    """A client of the same cabinet as client `cabinet_of`, ready for export."""
    from app.demo import random_siren
    from app.demo_invoicing import vat_number_for
    from app.extensions import db
    from app.models import Client

    with app.app_context():
        session = db.session
        first = session.get(Client, cabinet_of)
        siren = random_siren(random.Random(seed))
        client = Client(
            cabinet_id=first.cabinet_id, name=name, siren=siren, email="contact@girard-fils.fr",
            pack="Premium", dossier_code=dossier, dossier_label=name.upper(), multi_vat=True,
            legal_form="SARL", share_capital="5000", rcs_city="Lyon",
            address_line1="3 quai Perrache", postcode="69002", city="Lyon",
            vat_number=vat_number_for(siren), payment_terms_days=30,
            created_at=dt.datetime.now() - dt.timedelta(days=600))
        session.add(client)
        session.commit()
        return client.id


def _apply_pcg(app, client_ids):
    """The default plan « pcg », plus the two sub-accounts the loader uses."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AccountingPlan, Client, PlanAccount
    from app.plans.copying import apply_plan
    from app.plans.defaults import sync_default_plans

    with app.app_context():
        session = db.session
        sync_default_plans(session)
        session.flush()
        pcg = session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()
        for client_id in client_ids:
            own = apply_plan(session, pcg, session.get(Client, client_id))
            # The sub-accounts the loader's category and fee use (invoicing_scale.py).
            for number, label in (("704100", "Travaux"),
                                  ("708500", "Frais de déplacement facturés")):
                session.add(PlanAccount(plan_id=own.id, number=number, label=label,
                                        kind="sales"))
        session.commit()


def _top_up(rng, invoices, payments, last_day, terms):
    """A payment for every invoice that still owes something and has none: half of
    what it owes (so it stays « partially_paid », its lettering group open)."""
    for invoice in invoices:
        left = invoice["total_ttc"] - invoice["credited"]
        if invoice["paid"] or left <= 0:
            continue
        amount = (left / 2).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        day = min(invoice["day"] + dt.timedelta(days=rng.randint(3, terms + 20)), last_day)
        invoice["paid"] = amount
        payments.append({"day": day, "invoice": invoice, "amount": amount,
                         "mode": rng.choice(TOP_UP_MODES)})
    payments.sort(key=lambda payment: payment["day"])


def load_client(app, client_id, terms, invoices_wanted, months, seed, last_day, timer, tag):
    """invoicing_scale.load's bulk insert, for one client of an existing world.
    Every date is at most `last_day` (yesterday): issued_at and created_at are in
    the past, as run_export's cutoff requires."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import (
        Article, ArticleCategory, Charge, Contact, DocumentSequence, Invoice, InvoiceCharge,
        InvoiceLine, Payment, PaymentAllocation,
    )

    rng = random.Random(seed)
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

        with timer(f"{tag}: plan {invoices_wanted} invoices (compute_totals)"):
            invoices, credit_notes, payments = _plan_documents(
                rng, types.SimpleNamespace(invoices=invoices_wanted, months=months), last_day,
                terms, contact_ids, articles, fee)
            _top_up(rng, invoices, payments, last_day, terms)

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

        def charge_row(document_id, position, charge, charge_ht):
            return {"client_id": client_id, "invoice_id": document_id, "position": position,
                    "charge_id": charge["id"], "kind": "fee", "label": charge["label"],
                    "amount": charge["amount"], "percentage": None,
                    "vat_rate": charge["vat_rate"], "total_ht": charge_ht}

        def line_row(document_id, position, article, line, line_ht):
            return {"client_id": client_id, "invoice_id": document_id, "position": position,
                    "article_id": article["id"] if article else None,
                    "label": article["label"] if article else "Geste commercial",
                    "quantity": line.quantity, "unit_price_ht": line.unit_price_ht,
                    "discount_pct": Decimal("0"), "vat_rate": line.vat_rate,
                    "nature": line.nature, "total_ht": line_ht}

        with timer(f"{tag}: {len(invoices)} invoices + lines + charges"):
            with engine.begin() as connection:
                rows = [document_row("invoice", inv["number"], inv["day"], inv["contact_id"], inv,
                                     status=_status(inv), credited_ttc=inv["credited"],
                                     paid_ttc=inv["paid"]) for inv in invoices]
                ids = _insert_chunks(connection, returning_ids, rows, returning=True)
                lines, charges = [], []
                for invoice, invoice_id in zip(invoices, ids):
                    invoice["id"] = invoice_id
                    for position, (article, line, line_ht) in enumerate(invoice["lines"], 1):
                        lines.append(line_row(invoice_id, position, article, line, line_ht))
                    for position, (charge, charge_ht) in enumerate(invoice["charges"], 1):
                        charges.append(charge_row(invoice_id, position, charge, charge_ht))
                _insert_chunks(connection, insert(InvoiceLine.__table__), lines)
                if charges:
                    _insert_chunks(connection, insert(InvoiceCharge.__table__), charges)

        with timer(f"{tag}: {len(credit_notes)} credit notes + {len(payments)} payments"):
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
                        charges.append(charge_row(note_id, position, charge, charge_ht))
                    for position, ((article, line), line_ht) in enumerate(
                            zip(note["source"], note["lines_ht"]), 1):
                        lines.append(line_row(note_id, position, article, line, line_ht))
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
                last = Counter()
                for invoice in invoices:
                    last[("invoice", invoice["day"].year)] += 1
                for note in credit_notes:
                    last[("credit_note", note["day"].year)] += 1
                connection.execute(insert(DocumentSequence.__table__), [
                    {"client_id": client_id, "kind": kind, "year": year, "last_number": number}
                    for (kind, year), number in sorted(last.items())])
    return {"client_id": client_id, "start": invoices[0]["day"], "end": last_day,
            "statuses": Counter(_status(invoice) for invoice in invoices),
            "credit_notes": len(credit_notes), "payments": len(payments)}


def _vacuum(app, tables=None):
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE " + ", ".join(tables or ()))


def _counts(app, client_id):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Invoice, InvoiceCharge, InvoiceLine, Payment

    with app.app_context():
        with db.engine.connect() as connection:
            def count(table):
                return connection.execute(select(func.count()).select_from(table).where(
                    table.c.client_id == client_id)).scalar()
            kinds = dict(connection.execute(
                select(Invoice.__table__.c.kind, func.count())
                .where(Invoice.__table__.c.client_id == client_id)
                .group_by(Invoice.__table__.c.kind)).all())
            return {"kinds": kinds, "lines": count(InvoiceLine.__table__),
                    "charges": count(InvoiceCharge.__table__),
                    "payments": count(Payment.__table__)}


def reset_exports(app, client_id):
    """Deletes the client's batches, files and marks, and the auxiliary codes the
    export derived (untimed), so that the next export starts from the same state."""
    from sqlalchemy import delete, update

    from app.extensions import db
    from app.models import Contact
    from app.models.exports import (
        ExportBatch, ExportBatchDocument, ExportBatchPayment, ExportFileChunk,
    )

    with app.app_context():
        with db.engine.begin() as connection:
            for model in (ExportBatchDocument, ExportBatchPayment, ExportFileChunk, ExportBatch):
                connection.execute(delete(model.__table__).where(
                    model.__table__.c.client_id == client_id))
            connection.execute(update(Contact.__table__).where(
                Contact.__table__.c.client_id == client_id).values(auxiliary_account=None))
    _vacuum(app, EXPORT_TABLES + ("contact",))


def existing_marks(app):
    """Rows already in export_batch_document and export_batch_payment (all clients)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.exports import ExportBatchDocument, ExportBatchPayment

    with app.app_context():
        with db.engine.connect() as connection:
            return sum(connection.execute(select(func.count()).select_from(model)).scalar()
                       for model in (ExportBatchDocument, ExportBatchPayment))


# --------------------------------------------------------------------------- subprocess

def _rss_mb():
    """(current RSS, peak RSS) of this process in MB: VmRSS and VmHWM of
    /proc/self/status. Not ru_maxrss: Linux carries the parent's high-water mark
    into a child across fork and exec, so a subprocess started by the parent that
    loaded the data would report the parent's peak. Elsewhere, ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return None, peak / (1024 if sys.platform != "darwin" else 2**20)


def plain_read(connection, client_id, start, end):
    """The rows the export reads, with two plain Core queries, streamed and fetched
    as tuples: (seconds, document line rows, payment rows)."""
    from sqlalchemy import and_, select

    from app.exports.reading import EXPORTED_STATUSES
    from app.models import Invoice, InvoiceLine, Payment

    invoice, line, payment = Invoice.__table__, InvoiceLine.__table__, Payment.__table__
    documents = (
        select(invoice.c.id, invoice.c.kind, invoice.c.number, invoice.c.issue_date,
               invoice.c.contact_id, invoice.c.total_ttc, line.c.article_id, line.c.label,
               line.c.nature, line.c.vat_rate, line.c.total_ht)
        .select_from(invoice.outerjoin(line, and_(line.c.client_id == invoice.c.client_id,
                                                  line.c.invoice_id == invoice.c.id)))
        .where(invoice.c.client_id == client_id, invoice.c.status.in_(EXPORTED_STATUSES),
               invoice.c.issue_date >= start, invoice.c.issue_date <= end)
        .order_by(invoice.c.issue_date, invoice.c.id, line.c.position))
    payments = (
        select(payment.c.id, payment.c.date, payment.c.amount, payment.c.payment_mode,
               payment.c.reference, payment.c.contact_id)
        .where(payment.c.client_id == client_id, payment.c.date >= start,
               payment.c.date <= end)
        .order_by(payment.c.date, payment.c.id))
    streamed = connection.execution_options(stream_results=True, yield_per=5000)
    began = time.perf_counter()
    counts = []
    for statement in (documents, payments):
        rows = 0
        for _row in streamed.execute(statement):
            rows += 1
        counts.append(rows)
    return time.perf_counter() - began, counts[0], counts[1]


def _timed(module, name, times):
    """Wraps module.name so that the time spent in it is added to times[name]."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - began
    setattr(module, name, wrapper)


def _statement_timer(engine):
    """{statement head: [executions, seconds]}: the time of each execute (for a
    server-side cursor, opening it; its fetches are not counted)."""
    from sqlalchemy import event

    found = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["export_scale_start"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info.pop("export_scale_start", time.perf_counter())
        row = found.setdefault(" ".join(statement.split())[:110], [0, 0.0])
        row[0] += 1
        row[1] += elapsed
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    return found


def marks_floor(session, client_id, start, end):
    """What marking the documents and payments of the period costs the database
    alone: the same rows the export inserts (one per document and payment, into a
    throwaway batch), selected by the server itself with one INSERT … SELECT each
    (no ids sent, no anti-join on earlier batches), then rolled back. Seconds."""
    from sqlalchemy import Integer, insert, literal, select

    from app.exports.reading import Selection, document_criteria, payment_criteria
    from app.models import Invoice, Payment
    from app.models.exports import ExportBatch, ExportBatchDocument, ExportBatchPayment

    selection = Selection(client_id=client_id, start=start, end=end, include_exported=True)
    batch = ExportBatch(client_id=client_id, number=0, format="fec", status="running",
                        period_start=start, period_end=end, user_name="plancher",
                        options={}, numbering={})
    session.add(batch)
    session.flush()
    marked = literal(batch.id, Integer)
    documents, payments = ExportBatchDocument.__table__, ExportBatchPayment.__table__
    began = time.perf_counter()
    session.execute(insert(documents).from_select(
        ["client_id", "batch_id", "invoice_id"],
        select(Invoice.client_id, marked, Invoice.id).where(*document_criteria(selection))))
    session.execute(insert(payments).from_select(
        ["client_id", "batch_id", "payment_id"],
        select(Payment.client_id, marked, Payment.id).where(*payment_criteria(selection))))
    seconds = time.perf_counter() - began
    session.rollback()
    return seconds


def measure_only(args):
    """Runs in the subprocess: one measured step, answered as one JSON line."""
    started = time.perf_counter()
    app = build_app(args.database_url)
    from app.exports import batches
    from app.exports.batches import ExportRequest, run_export
    from app.extensions import db
    from app.models import Client

    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    answer = {}
    with app.app_context():
        session = db.session
        client = session.get(Client, args.measure_only)
        if args.what == "read":
            with db.engine.connect() as connection:
                plain_read(connection, client.id, start, end)             # warm-up
                reads = [plain_read(connection, client.id, start, end) for _ in range(args.runs)]
            answer = {"seconds": [seconds for seconds, _, _ in reads],
                      "line_rows": reads[0][1], "payment_rows": reads[0][2],
                      "marks_floor": [marks_floor(session, client.id, start, end)
                                      for _ in range(args.runs)]}
        else:
            if args.gettext == "babel":
                from flask_babel import gettext
            else:
                def gettext(message, **params):
                    return message % params if params else message
            times = {}
            for name in ("export_blockers", "settlement_graph", "_write"):
                _timed(batches, name, times)
            statements = _statement_timer(db.engine)
            request = ExportRequest(client.id, start, end, format="fec")
            answer["import_seconds"] = time.perf_counter() - started
            answer["baseline_rss"], answer["baseline_peak"] = _rss_mb()
            profiler = None
            if args.what == "tracemalloc":
                import tracemalloc
                tracemalloc.start()
            elif args.what == "profile":
                import cProfile
                profiler = cProfile.Profile()
                profiler.enable()
            began = time.perf_counter()
            try:
                batch = run_export(session, client, request, user_id=None,
                                   user_name="benchmark", gettext=gettext)
            except batches.ExportBlocked as blocked:
                sys.exit("\n".join([blocked.translate(gettext)] + [
                    f"  - {blocker.message} ({blocker.where(gettext)})"
                    for blocker in blocked.blockers[:20]]))
            session.commit()
            answer["seconds"] = time.perf_counter() - began
            if profiler is not None:
                profiler.disable()
            answer["rss"], answer["peak_rss"] = _rss_mb()
            if args.what == "tracemalloc":
                answer["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            answer["statements"] = sorted(([head, count, seconds] for head, (count, seconds)
                                           in statements.items()), key=lambda row: -row[2])[:5]
            answer["statement_count"] = sum(count for count, _ in statements.values())
            answer.update(times=times, entries=batch.entry_count, lines=batch.line_count,
                          documents=batch.document_count, payments=batch.payment_count,
                          file_size=batch.file_size, sha256=batch.sha256,
                          file_name=batch.file_name)
            if profiler is not None:
                import io
                import pstats
                for order in ("cumulative", "tottime"):
                    text = io.StringIO()
                    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order) \
                        .print_stats(args.profile)
                    body = text.getvalue()
                    answer[f"profile_{order}"] = body[body.find("   ncalls"):].rstrip()
    print(MARK + json.dumps(answer), flush=True)


def run_child(args, url, client_id, start, end, what):
    command = [sys.executable, str(Path(__file__).resolve()), "--measure-only", str(client_id),
               "--database-url", url, "--start", start.isoformat(), "--end", end.isoformat(),
               "--what", what, "--runs", str(args.runs), "--gettext", args.gettext,
               "--profile", str(args.profile or 15)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    answers = [line[len(MARK):] for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode or not answers:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
        sys.exit(f"The measuring subprocess ({what}, client {client_id}) failed "
                 f"({done.returncode}).")
    return json.loads(answers[-1])


# --------------------------------------------------------------------------- main

def _mb(value):
    return "?" if value is None else f"{value:.0f} Mo"


def verdict(met):
    return "objectif atteint" if met else "objectif manqué"


def measure_client(app, args, url, facts):
    client_id, start, end = facts["client_id"], facts["start"], facts["end"]
    # Statistics of the export tables up to date (what autovacuum would do after the
    # previous client's export), so that the planner sees the rows already there.
    _vacuum(app, EXPORT_TABLES)
    read = run_child(args, url, client_id, start, end, "read")
    _vacuum(app, EXPORT_TABLES)      # the rolled-back marks of the floor leave dead rows
    read["marks_before"] = existing_marks(app)
    exports = []
    for number in range(args.runs):
        if number:
            reset_exports(app, client_id)
        exports.append(run_child(args, url, client_id, start, end, "export"))
    extra = {}
    for what, wanted in (("tracemalloc", args.tracemalloc), ("profile", args.profile)):
        if wanted:
            reset_exports(app, client_id)
            extra[what] = run_child(args, url, client_id, start, end, what)
    return read, exports, extra


def report(label, facts, counts, read, exports, extra, profile_lines):
    read_s = statistics.median(read["seconds"])
    export_s = statistics.median(run["seconds"] for run in exports)
    last = exports[-1]
    lines_per_s = last["lines"] / export_s
    peak = max(run["peak_rss"] for run in exports)
    ratio = export_s / read_s
    kinds = counts["kinds"]
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(facts["statuses"].items()))
    print(f"== {label} : client {facts['client_id']}, période {facts['start']} → {facts['end']}")
    print(f"   données : {kinds.get('invoice', 0)} factures ({statuses}), "
          f"{kinds.get('credit_note', 0)} avoirs, {counts['lines']} lignes de documents, "
          f"{counts['charges']} frais, {counts['payments']} règlements")
    print(f"   lecture simple (2 requêtes Core, tuples) : {read_s:.2f} s "
          f"(médiane de {len(read['seconds'])} : "
          + ", ".join(f"{s:.2f}" for s in read["seconds"])
          + f") — {read['line_rows']} lignes document×ligne + "
          f"{read['payment_rows']} règlements")
    floor = statistics.median(read["marks_floor"])
    print(f"   plancher des marques (INSERT … SELECT des mêmes documents et règlements par la "
          f"base seule, annulé) : {floor:.2f} s, soit {floor / read_s:.2f} × la lecture "
          f"simple ; un export qui lit puis marque ne peut pas descendre sous "
          f"{(read_s + floor) / read_s:.2f} ×")
    print(f"   export FEC (run_export + commit) : {export_s:.2f} s (médiane de {len(exports)} : "
          + ", ".join(f"{run['seconds']:.2f}" for run in exports) + ") ; marques d'export "
          f"déjà en base (autres clients) au départ : {read['marks_before']}")
    times = last["times"]
    write = times.get("_write", 0.0)
    rest = last["seconds"] - sum(times.values())
    print(f"     dont contrôle (export_blockers) {times.get('export_blockers', 0):.2f} s, "
          f"graphe de lettrage {times.get('settlement_graph', 0):.2f} s, "
          f"lecture + écritures + FEC + stockage (_write) {write:.2f} s, "
          f"reste (comptages, marquage, codes auxiliaires, lot, commit) {rest:.2f} s "
          f"[dernier run]")
    print(f"     {last['statement_count']} requêtes SQL ; les plus longues à s'exécuter "
          "(hors lecture des curseurs serveur) :")
    for head, count, seconds in last["statements"][:3]:
        print(f"       {seconds:6.2f} s  {count:>5} ×  {head}")
    print(f"   écritures : {last['entries']} ; lignes : {last['lines']} "
          f"({last['documents']} documents, {last['payments']} règlements)")
    print(f"   fichier : {last['file_name']}, {last['file_size'] / 2**20:.1f} Mo, "
          f"sha256 {last['sha256'][:16]}…")
    print(f"   débit : {lines_per_s:,.0f} lignes/s".replace(",", " ")
          + f" — {verdict(lines_per_s >= AIM_LINES_PER_SECOND)} (≥ {AIM_LINES_PER_SECOND:,})"
          .replace(",", " "))
    print(f"   mémoire : pic RSS du processus {peak:.0f} Mo, dont socle d'import "
          f"{last['baseline_peak']:.0f} Mo (RSS avant l'export {_mb(last['baseline_rss'])} ; "
          f"import + create_app {last['import_seconds']:.1f} s) ; export seul "
          f"+{peak - last['baseline_peak']:.0f} Mo — {verdict(peak < AIM_PEAK_MB)} "
          f"(< {AIM_PEAK_MB} Mo)")
    if "tracemalloc" in extra:
        traced = extra["tracemalloc"]
        print(f"   tracemalloc (run séparé, non chronométré) : pic des allocations Python "
              f"{traced['tracemalloc_peak']:.0f} Mo ({traced['seconds']:.1f} s sous tracemalloc)")
    print(f"   rapport export / lecture simple : {ratio:.2f} — {verdict(ratio <= AIM_RATIO)} "
          f"(≤ {AIM_RATIO})")
    if "profile" in extra:
        profiled = extra["profile"]
        for order in ("cumulative", "tottime"):
            print(f"   cProfile ({profiled['seconds']:.1f} s sous le profileur), "
                  f"{profile_lines} premières fonctions, tri {order} :")
            for line in profiled[f"profile_{order}"].splitlines():
                print("     " + line)
    return {"lines_per_s": lines_per_s, "peak": peak, "ratio": ratio}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=200_000)
    smaller = parser.add_mutually_exclusive_group()
    smaller.add_argument("--also-smaller", dest="smaller", action="store_true", default=True,
                         help="also a client with --invoices / 10 (default)")
    smaller.add_argument("--no-smaller", dest="smaller", action="store_false")
    parser.add_argument("--months", type=int, default=12, help="issue dates span")
    parser.add_argument("--runs", type=int, default=1, help="timed exports (and plain reads)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true", help="temporary SQLite file")
    parser.add_argument("--gettext", choices=("babel", "identity"), default="babel",
                        help="flask_babel's gettext (as the CLI) or plain %% formatting")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="one more export with tracemalloc (peak of Python allocations)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="one more export under cProfile: print the N top functions")
    # Used by the script when it runs itself in a subprocess.
    parser.add_argument("--measure-only", type=int, metavar="CLIENT_ID", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--start", help=argparse.SUPPRESS)
    parser.add_argument("--end", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="export",
                        choices=("read", "export", "tracemalloc", "profile"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only is not None:
        measure_only(args)
        return

    run_on_database(args, run)


def run(args, url, label, started):
    import gc
    import platform

    import sqlalchemy

    from app.extensions import db

    app = build_app(url)
    timer = Step()
    last_day = firm_today() - dt.timedelta(days=1)
    load_start = time.perf_counter()
    big = _world(app, timer)
    sizes = [("client de " + f"{args.invoices:,}".replace(",", " ") + " factures",
              big["client_id"], args.invoices, args.seed)]
    if args.smaller and args.invoices >= 10:
        small_id = _second_client(app, big["client_id"], "Girard & Fils SARL", "10002", 2)
        sizes.append(("client dix fois plus petit (" + f"{args.invoices // 10:,}"
                      .replace(",", " ") + " factures)", small_id, args.invoices // 10,
                      args.seed + 1))
    with timer("plan pcg appliqué (apply_plan)"):
        _apply_pcg(app, [client_id for _, client_id, _, _ in sizes])
    loaded = []
    for tag, client_id, invoices, seed in sizes:
        facts = load_client(app, client_id, big["terms"], invoices, args.months, seed,
                            last_day, timer, f"client {client_id}")
        loaded.append((tag, facts))
        gc.collect()
    with timer("VACUUM ANALYZE"):
        _vacuum(app)
    load_seconds = time.perf_counter() - load_start

    with app.app_context():
        engine = db.engine
        server_version = ""
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                server_version = connection.exec_driver_sql("SHOW server_version").scalar()
        dialect = engine.dialect.name
    print(f"Passerelle, export FEC à grande échelle — {dt.date.today().isoformat()}, "
          f"{os.cpu_count()} CPU, Python {platform.python_version()}, "
          f"SQLAlchemy {sqlalchemy.__version__}")
    print(f"Base : {label} {dialect} {server_version}".rstrip()
          + f" ; gettext : {'flask_babel' if args.gettext == 'babel' else 'identité (%)'}"
          f" ; runs : {args.runs}")
    print(f"Chargement : {load_seconds:.1f} s ; charge avant mesure : "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    for step, seconds in timer.steps:
        print(f"  {seconds:7.1f} s  {step}")
    print()

    summary = []
    for tag, facts in loaded:
        counts = _counts(app, facts["client_id"])
        read, exports, extra = measure_client(app, args, url, facts)
        summary.append((tag, report(tag, facts, counts, read, exports, extra, args.profile)))
        print()

    print("Objectifs (≥ 100 000 lignes/s, pic RSS < 250 Mo, export ≤ 2,5 × lecture simple) :")
    for tag, result in summary:
        print(f"  {tag} : débit {verdict(result['lines_per_s'] >= AIM_LINES_PER_SECOND)}, "
              f"mémoire {verdict(result['peak'] < AIM_PEAK_MB)}, "
              f"rapport {verdict(result['ratio'] <= AIM_RATIO)}")
    print()
    print(f"Durée totale : {time.perf_counter() - started:.0f} s ; charge à la fin : "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
