"""Imports at scale: 100,000 articles from an XLSX and from a CSV (issue 8).

    .venv/bin/python benchmarks/import_scale.py [--rows 100000] [--runs 3] [--sqlite]
        [--formats xlsx,csv] [--no-update] [--seed 2026] [--profile N]

Starts a throwaway PostgreSQL server (tests/pg_server.py), or uses DATABASE_URL if it
is set (an EMPTY database), or a temporary SQLite file with --sqlite. Builds the world
with benchmarks/invoicing_scale.py (migrations, roles, a cabinet, the client
« Plomberie Girard SAS »), gives the client its own copy of the default plan « pcg »
(app.plans.copying.apply_plan: rates 20, 10, 5,5, 2,1 and 0 %, account length 8) plus
three sales sub-accounts (704100, 706100, 707100), three article categories
(« Matériel », « Main-d'œuvre », « Prestations ») and 200 articles of its own, so that
the validation checks the rates and accounts against a real plan and the file's
categories are partly existing, partly new.

Then writes one file of --rows articles twice, as the template's XLSX (openpyxl
write_only: numbers as numbers, a few rates in « % » cells, a few prices typed as text,
a few numeric references) and as its CSV (UTF-8 with BOM, « ; », decimal commas, CRLF):
references, French labels with accents (the demo's catalogues with a variant),
natures in words (« produit », « service », « prestation », « bien »…), prices with
decimals, the plan's rates, twelve categories (four of them the existing three, typed
otherwise: « MATERIEL », « Main-d’œuvre »…; about 10 % of the rows without one) and
a sales account of the plan on about a third of the rows.

Measures, each in a FRESH subprocess (the script runs itself with --measure-only), so
that the peak RSS is that of the step (VmHWM of /proc/self/status, as export_scale.py;
not ru_maxrss, which Linux carries over from the parent across fork and exec):
1. bare read: `python_calamine.CalamineWorkbook.from_filelike(BytesIO(xlsx))
   .get_sheet_by_index(0).to_python()` on the XLSX bytes, and, for reference, the CSV
   decoded and split by `csv.reader` into a list; one warm-up, then --runs reads;
   then, on PostgreSQL, the database's floor (`database_floor`, in this process):
   the same number of articles and their history rows written by PostgreSQL itself
   from generate_series (no data sent, no parameters, no Python), then rolled back,
   --runs times — what any import must at least spend writing, with this schema's
   indexes and foreign keys;
2. per format, --runs times: the client's imported articles, categories, version rows
   and import records deleted (untimed; VACUUM ANALYZE on PostgreSQL), then
   - create: `run_import(session, client_id, "articles", data, name,
     update_existing=False, …)` then `commit`, as `flask import-data` calls them
     (flask_babel's gettext in an app context, the app's IMPORT_* limits);
   - update (unless --no-update): the same file again, update_existing=True, in a
     second fresh subprocess: every row updates the article the create made.
   The stages are timed INSIDE that one run_import, by wrapping the functions it
   calls through app.imports.service's globals — read_file (the reading),
   build_context, validate, _Writer.write_articles (the writing) and _lock_client —
   so that nothing runs twice; « reste » is run_import minus those stages (the
   import record, the final flush). The commit is timed apart. Every SQL statement
   sent during run_import is counted (engine before/after_cursor_execute) and
   attributed to the stage that sent it: the multi-row INSERT batches (SQLAlchemy's
   insertmanyvalues), the executemany calls with their parameter sets (psycopg 3
   pipelines them: no wait per row, but one execution per row on the server), and
   the rows (cursor rowcount; SQLite gives none for a SELECT).
A file the validation refuses stops the script with its first problems.
With --profile N, one more create and one more update per format under cProfile:
the N top functions by cumulative and by own time.

Prints per format and path: rows, the median of each stage, run_import, commit,
rows per second, the statements, peak RSS (and the baseline before the import), the
ratio run_import / bare calamine read of the XLSX (aim ≤ 3), the same ratio for the
reading, context and validation alone (what the import does before writing), and for
the CSV the ratio to the bare csv read as well. The sha256 of app/imports/*.py is
printed, and a warning if it changed during the run. A file larger than the app's
IMPORT_MAX_BYTES is measured with the limit raised, and said so. A benchmark that
prints figures, never a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# _common puts the repository and tests/ on sys.path and sets a throwaway
# PASSERELLE_INSTANCE_DIR (inherited by the subprocesses).
from _common import Step, build_app, run_on_database  # noqa: E402
from invoicing_scale import _world  # noqa: E402
from export_scale import _rss_mb, _vacuum  # noqa: E402

AIM_RATIO = 3.0
MARK = "@@import_scale@@ "            # prefix of the subprocess's JSON answer
USER_NAME = "Benchmark import_scale"
EXISTING_ARTICLES = 200
HEADERS = ("Référence", "Désignation", "Nature", "Prix unitaire HT", "Taux de TVA",
           "Catégorie", "Compte de vente")
# The client's plan: the default « pcg » plus these sales sub-accounts.
SUB_ACCOUNTS = (("704100", "Travaux de plomberie"), ("706100", "Main-d'œuvre facturée"),
                ("707100", "Ventes de matériel"))
# (name, account) of the categories the client already has.
EXISTING_CATEGORIES = (("Matériel", "707100"), ("Main-d'œuvre", "706100"),
                       ("Prestations", None))
# (name as typed in the file, weight): four spell an existing category otherwise.
FILE_CATEGORIES = (
    ("Matériel", 14), ("MATERIEL", 3), ("Main-d’œuvre", 10), ("prestations", 8),
    ("Fournitures", 12), ("Outillage", 7), ("Sanitaire", 9), ("Électricité", 9),
    ("Chauffage & climatisation", 8), ("Pièces détachées", 6), ("Consommables", 5),
    ("Location de matériel", 3), (None, 10),
)
NATURE_WORDS = {"goods": (("produit", 8), ("Bien", 1), ("Marchandise", 1)),
                "services": (("service", 8), ("Prestation", 1), ("prestation de service", 1))}
RATES = ((Decimal("20"), 70), (Decimal("10"), 20), (Decimal("5.5"), 8), (Decimal("2.1"), 1),
         (Decimal("0"), 1))
ACCOUNTS = {"goods": ("707000", "707100", "7070", "704100"),
            "services": ("706000", "706100", "7060", "704100")}
VARIANTS = (
    "finition mat", "finition brillante", "coloris blanc", "coloris gris anthracite",
    "coloris noir", "taille S", "taille M", "taille L", "lot de 3", "lot de 10",
    "modèle économique", "modèle renforcé", "version été", "version hiver", "Ø 16 mm",
    "Ø 20 mm", "longueur 2 m", "longueur 5 m", "qualité supérieure", "gamme pro",
    "réf. fournisseur", "édition limitée", "pose comprise", "hors pose", "à l'unité",
    "au mètre linéaire", "forfait week-end", "intervention sous 48 h", "garantie 2 ans",
    "garantie étendue",
)


# --------------------------------------------------------------------------- files

def _weighted(rng, choices):
    values, weights = zip(*choices)
    return rng.choices(values, weights)[0]


def article_rows(rows, seed):
    """The file's articles as Python values: one dict per row."""
    from app.demo_invoicing import CATALOGUES, _parse_articles

    rng = random.Random(seed)
    catalogue = [row for trade in sorted(CATALOGUES)
                 for row in _parse_articles(CATALOGUES[trade]["articles"])]
    articles = []
    for index in range(rows):
        base = rng.choice(catalogue)
        nature = base["nature"]
        price = (base["price"] * Decimal(rng.randint(60, 160)) / 100).quantize(Decimal("0.01"))
        if rng.random() < 0.05:
            reference = 100000 + index         # a numeric reference (a number in the XLSX)
        else:
            reference = f"{rng.choice('ABCDEFGHJKLMNPRSTUV')}{rng.choice('ABCEGLMPRT')}-{index:06d}"
        account = rng.choice(ACCOUNTS[nature]) if rng.random() < 0.35 else None
        articles.append({
            "reference": reference,
            "label": f"{base['label']}, {rng.choice(VARIANTS)}",
            "nature": _weighted(rng, NATURE_WORDS[nature]),
            "price": price,
            "rate": _weighted(rng, RATES),
            "category": _weighted(rng, FILE_CATEGORIES),
            "account": account,
            "style": rng.random(),             # how the cells are typed (below)
        })
    return articles


def _rate_text(rate):
    return f"{rate.normalize():f}".replace(".", ",")


def write_xlsx(articles, path):
    """The template's XLSX as a spreadsheet saves it: numbers as numbers (a price
    129.9, a rate 5.5), 3 % of the rates in « % » cells (0.055), 1 % of the prices
    typed as text (« 1 234,50 € »), references numeric for 5 %."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Articles")
    sheet.append(HEADERS)
    for row in articles:
        style = row["style"]
        if style < 0.01:
            price = f"{row['price']:,.2f} €".replace(",", " ").replace(".", ",")
        else:
            price = float(row["price"])
        if style > 0.97:
            rate = WriteOnlyCell(sheet, value=float(row["rate"] / 100))
            rate.number_format = "0.0%"
        else:
            rate = float(row["rate"])
        sheet.append([row["reference"], row["label"], row["nature"], price, rate,
                      row["category"], int(row["account"]) if row["account"] else None])
    workbook.save(path)


def write_csv(articles, path):
    """The template's CSV as Excel's « CSV UTF-8 » saves it from a French locale:
    BOM, « ; », decimal commas, CRLF; 2 % of the rates with « % », 1 % of the prices
    with a thousands space and « € »."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in articles:
        style = row["style"]
        price = f"{row['price']:.2f}".replace(".", ",")
        if style < 0.01:
            price = f"{row['price']:,.2f} €".replace(",", " ").replace(".", ",")
        rate = _rate_text(row["rate"]) + (" %" if style > 0.98 else "")
        writer.writerow([row["reference"], row["label"], row["nature"], price, rate,
                         row["category"] or "", row["account"] or ""])
    Path(path).write_bytes(codecs.BOM_UTF8 + text.getvalue().encode("utf-8"))


# --------------------------------------------------------------------------- world

def prepare_client(app, timer, seed):
    """The client's plan (pcg + sub-accounts), categories and 200 articles; returns
    the facts the runs need (ids below which rows are kept by the resets)."""
    from sqlalchemy import func, insert, select

    from app.extensions import db
    from app.models import AccountingPlan, Article, ArticleCategory, Client, PlanAccount
    from app.plans.copying import apply_plan
    from app.plans.defaults import sync_default_plans

    world = _world(app, timer)
    client_id = world["client_id"]
    rng = random.Random(seed + 1)
    with app.app_context():
        session = db.session
        with timer("plan pcg appliqué (apply_plan) + catégories + articles existants"):
            sync_default_plans(session)
            session.flush()
            pcg = session.scalars(select(AccountingPlan).where(
                AccountingPlan.code == "pcg")).one()
            own = apply_plan(session, pcg, session.get(Client, client_id))
            for number, label in SUB_ACCOUNTS:
                session.add(PlanAccount(plan_id=own.id, number=number, label=label,
                                        kind="sales"))
            # Through the ORM, as the screen would: versioned.
            for name, account in EXISTING_CATEGORIES:
                session.add(ArticleCategory(client_id=client_id, name=name, account=account))
            session.flush()
            session.execute(insert(Article), [
                {"client_id": client_id, "reference": f"ANC-{index:04d}",
                 "label": f"Article existant n° {index}", "nature": "goods",
                 "unit_price_ht": Decimal(rng.randint(100, 99999)) / 100,
                 "vat_rate": Decimal("20")} for index in range(1, EXISTING_ARTICLES + 1)])
            session.commit()
            facts = {
                "client_id": client_id,
                "max_article": session.scalar(select(func.max(Article.id)).where(
                    Article.client_id == client_id)),
                "max_category": session.scalar(select(func.max(ArticleCategory.id)).where(
                    ArticleCategory.client_id == client_id)),
                "plan_accounts": session.scalar(select(func.count()).select_from(PlanAccount)
                                                .where(PlanAccount.plan_id == own.id)),
            }
    return facts


def reset_imports(app, facts):
    """Deletes what the imports wrote (articles and categories beyond the client's
    own, their version rows, the import records, the benchmark's transactions)."""
    from sqlalchemy import delete
    from sqlalchemy_continuum import version_class

    from app.extensions import db
    from app.models import Article, ArticleCategory
    from app.models.imports import ImportRecord
    from app.models.versioning import transaction_class

    client_id = facts["client_id"]
    with app.app_context():
        with db.engine.begin() as connection:
            for model, keep in ((Article, facts["max_article"]),
                                (ArticleCategory, facts["max_category"])):
                for table in (version_class(model).__table__, model.__table__):
                    connection.execute(delete(table).where(table.c.client_id == client_id,
                                                           table.c.id > keep))
            record = ImportRecord.__table__
            connection.execute(delete(record).where(record.c.client_id == client_id))
            transaction = transaction_class().__table__
            connection.execute(delete(transaction).where(transaction.c.user_name == USER_NAME))
    _vacuum(app, ("article", "article_version", "article_category",
                  "article_category_version", "import_record", "accounting_transaction"))


def article_counts(app, client_id):
    from sqlalchemy import func, select
    from sqlalchemy_continuum import version_class

    from app.extensions import db
    from app.models import Article, ArticleCategory

    with app.app_context():
        with db.engine.connect() as connection:
            def count(table):
                return connection.execute(select(func.count()).select_from(table).where(
                    table.c.client_id == client_id)).scalar()
            return {"articles": count(Article.__table__),
                    "categories": count(ArticleCategory.__table__),
                    "article_versions": count(version_class(Article).__table__)}


def database_floor(app, facts, rows, runs):
    """What the database alone takes to write `rows` articles and their history
    rows when it makes them itself (generate_series: no data sent, no
    parameter, no Python): the INSERT with its indexes and foreign-key checks,
    then the version rows, in a transaction rolled back. Median of `runs`
    seconds and the split {insert, history}; None on SQLite (no generate_series)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return None
        inserts, histories = [], []
        for _ in range(runs):
            with db.engine.connect() as connection:
                transaction = connection.begin()
                started = time.perf_counter()
                connection.execute(text(
                    "INSERT INTO article (client_id, reference, label, nature, unit_price_ht, "
                    "vat_rate, category_id, account) "
                    "SELECT :client, 'PLANCHER-' || g, 'Article plancher n° ' || g, "
                    "CASE WHEN g % 2 = 0 THEN 'goods' ELSE 'services' END, "
                    "(g % 10000) / 100.0, 20, :category, NULL "
                    "FROM generate_series(1, :rows) AS g RETURNING id"),
                    {"client": facts["client_id"], "category": facts["max_category"],
                     "rows": rows}).all()
                inserted = time.perf_counter()
                transaction_id = connection.execute(text(
                    "INSERT INTO accounting_transaction (issued_at, user_name) "
                    "VALUES (now(), 'plancher') RETURNING id")).scalar_one()
                connection.execute(text(
                    "INSERT INTO article_version (id, label, account, client_id, "
                    "transaction_id, operation_type) SELECT id, label, account, client_id, "
                    ":transaction, 0 FROM article WHERE client_id = :client AND id > :above"),
                    {"transaction": transaction_id, "client": facts["client_id"],
                     "above": facts["max_article"]})
                finished = time.perf_counter()
                transaction.rollback()
            inserts.append(inserted - started)
            histories.append(finished - inserted)
        return {"seconds": statistics.median(i + h for i, h in zip(inserts, histories)),
                "insert": statistics.median(inserts), "history": statistics.median(histories)}


# --------------------------------------------------------------------------- subprocess

def bare_read(args):
    """Calamine alone on the XLSX bytes; the csv module alone on the CSV."""
    import gc

    from python_calamine import CalamineWorkbook

    answer = {}
    if args.xlsx:
        data = Path(args.xlsx).read_bytes()

        def read_xlsx():
            began = time.perf_counter()
            rows = CalamineWorkbook.from_filelike(io.BytesIO(data)) \
                .get_sheet_by_index(0).to_python()
            return time.perf_counter() - began, len(rows)

        read_xlsx()                                  # warm-up
        gc.collect()
        reads = [read_xlsx() for _ in range(args.runs)]
        answer["xlsx"] = {"seconds": [seconds for seconds, _ in reads], "rows": reads[0][1],
                          "bytes": len(data)}
        answer["xlsx_peak"] = _rss_mb()[1]
    if args.csv:
        data = Path(args.csv).read_bytes()

        def read_csv():
            began = time.perf_counter()
            text = data.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
            return time.perf_counter() - began, len(rows)

        read_csv()
        gc.collect()
        reads = [read_csv() for _ in range(args.runs)]
        answer["csv"] = {"seconds": [seconds for seconds, _ in reads], "rows": reads[0][1],
                         "bytes": len(data)}
    return answer


class _Stages:
    """Times the functions run_import calls, and the statements each one sends.

    A statement is one cursor execute, in three styles (SQLAlchemy's ExecuteStyle):
    a plain execute; an « insertmanyvalues » batch (one multi-row INSERT … VALUES
    (…), (…) … RETURNING of up to 1,000 rows: the event fires once per batch); an
    executemany (psycopg 3 sends its parameter sets in pipeline mode: one
    execution per set on the server, without waiting for each answer). `rows` is
    the cursor's rowcount (rows inserted, updated or returned)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.stage = "reste"
        self.seconds = defaultdict(float)
        # stage → [executes, insertmanyvalues batches, executemany, parameter sets of
        # the executemany, rows, seconds]
        self.statements = defaultdict(lambda: [0, 0, 0, 0, 0, 0.0])
        self.heads = defaultdict(lambda: [0, 0, 0.0])            # executes, rows, seconds
        self.counting = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def wrap(self, owner, name, stage):
        original = getattr(owner, name)
        stages = self

        def wrapper(*args, **kwargs):
            outer, stages.stage = stages.stage, stage
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                stages.seconds[stage] += time.perf_counter() - began
                stages.stage = outer
        setattr(owner, name, wrapper)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["import_scale_start"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info.pop("import_scale_start", time.perf_counter())
        if not self.counting:
            return
        style = getattr(getattr(context, "execute_style", None), "name", "EXECUTE")
        rows = max(cursor.rowcount or 0, 0)
        row = self.statements[self.stage]
        row[0] += 1
        if style == "INSERTMANYVALUES":
            row[1] += 1
        elif executemany:
            row[2] += 1
            row[3] += len(parameters)
        row[4] += rows
        row[5] += elapsed
        head = " ".join(statement.split())
        if head.startswith("INSERT") and " VALUES " in head:
            head = head[:head.index(" VALUES ") + 8] + "…"
        tag = {"INSERTMANYVALUES": " [insertmanyvalues]",
               "EXECUTEMANY": " [executemany]"}.get(style, "")
        entry = self.heads[self.stage + " | " + head[:110] + tag]
        entry[0] += 1
        entry[1] += rows
        entry[2] += elapsed


def measure_import(args):
    """Runs in the subprocess: one import (create or update), answered as JSON."""
    started = time.perf_counter()
    app = build_app(args.database_url)
    from app.extensions import db
    from app.imports import service
    from app.imports.reading import Limits
    from app.imports.service import ImportRefused, run_import

    from sqlalchemy import select

    update = args.what.endswith("update")
    path = Path(args.xlsx or args.csv)
    answer = {}
    with app.app_context():
        from flask_babel import gettext

        config = app.config
        limits = Limits(max_bytes=max(config["IMPORT_MAX_BYTES"], args.max_bytes),
                        max_rows=config["IMPORT_MAX_ROWS"],
                        max_uncompressed=config["IMPORT_MAX_UNCOMPRESSED"])
        session = db.session
        stages = _Stages(db.engine)
        for owner, name, stage in ((service, "_lock_client", "verrou"),
                                   (service, "read_file", "lecture"),
                                   (service, "build_context", "contexte"),
                                   (service, "validate", "validation"),
                                   (service._Writer, "write_articles", "écriture")):
            stages.wrap(owner, name, stage)
        data = path.read_bytes()
        # A server's connection is pooled and warm: not opened inside the import.
        session.execute(select(1))
        session.commit()
        answer["import_seconds"] = time.perf_counter() - started
        answer["baseline_rss"], answer["baseline_peak"] = _rss_mb()
        profiler = None
        if args.what.startswith("profile"):
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        stages.counting = True
        began = time.perf_counter()
        try:
            outcome = run_import(session, args.client_id, "articles", data, path.name,
                                 update_existing=update, user_id=None, user_name=USER_NAME,
                                 gettext=gettext, limits=limits)
        except ImportRefused as refused:
            session.rollback()
            problems = refused.outcome.plan.problems
            sys.exit("\n".join([refused.translate(gettext)] + [
                f"  - ligne {p.line}, « {p.column} » : {p.value!r} — {p.reason}"
                for p in problems[:20]]))
        answer["run_import"] = time.perf_counter() - began
        stages.counting = False
        committed = time.perf_counter()
        session.commit()
        answer["commit"] = time.perf_counter() - committed
        if profiler is not None:
            profiler.disable()
        answer["rss"], answer["peak_rss"] = _rss_mb()
        answer["stages"] = dict(stages.seconds)
        answer["statements"] = {stage: row for stage, row in stages.statements.items()}
        answer["heads"] = sorted(([head, *row] for head, row in stages.heads.items()),
                                 key=lambda row: -row[3])
        answer.update(total=outcome.total, created=outcome.created, updated=outcome.updated,
                      rejected=outcome.rejected, detected=outcome.table.detected,
                      new_categories=len(outcome.plan.new_categories),
                      dialect=db.engine.dialect.name)
        if profiler is not None:
            import pstats
            for order in ("cumulative", "tottime"):
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order) \
                    .print_stats(args.profile)
                body = text.getvalue()
                answer[f"profile_{order}"] = body[body.find("   ncalls"):].rstrip()
    return answer


def measure_only(args):
    answer = bare_read(args) if args.what == "bare" else measure_import(args)
    print(MARK + json.dumps(answer, default=str), flush=True)


def run_child(args, url, what, client_id=0, xlsx=None, csv_path=None):
    command = [sys.executable, str(Path(__file__).resolve()), "--measure-only",
               "--database-url", url, "--what", what, "--client-id", str(client_id),
               "--runs", str(args.runs), "--profile", str(args.profile or 25),
               "--max-bytes", str(args.max_bytes)]
    if xlsx:
        command += ["--xlsx", str(xlsx)]
    if csv_path:
        command += ["--csv", str(csv_path)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    answers = [line[len(MARK):] for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode or not answers:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
        sys.exit(f"The measuring subprocess ({what}) failed ({done.returncode}).")
    return json.loads(answers[-1])


# --------------------------------------------------------------------------- report

STAGES = ("verrou", "lecture", "contexte", "validation", "écriture", "reste")


def _seconds(values):
    return ", ".join(f"{value:.2f}" for value in values)


def _number(value):
    return f"{value:,.0f}".replace(",", " ")


def _styles(batches, many, sets):
    return (f"dont {batches} INSERT multi-lignes (insertmanyvalues) et {many} "
            f"executemany de {_number(sets)} jeux de paramètres")


def verdict(met):
    return "objectif atteint" if met else "objectif manqué"


def report(label, runs, bare_xlsx, bare_csv, counts):
    """Prints one format and path (create or update); returns its summary."""
    totals = [run["run_import"] for run in runs]
    total = statistics.median(totals)
    commit = statistics.median(run["commit"] for run in runs)
    last = runs[-1]
    rows = last["total"]
    detected = last["detected"]
    print(f"== {label} — {_number(rows)} lignes ; détecté : {detected.get('format')}"
          + (f", {detected.get('encoding')}, séparateur « {detected.get('separator')} », "
             f"décimale « {detected.get('decimal')} »" if detected.get("format") == "csv"
             else ""))
    print(f"   résultat : {_number(last['created'])} créés, {_number(last['updated'])} mis à "
          f"jour, {last['rejected']} refusés, {last['new_categories']} catégories créées ; "
          f"en base après le run : {_number(counts['articles'])} articles, "
          f"{counts['categories']} catégories, {_number(counts['article_versions'])} "
          "versions d'articles")
    print(f"   run_import : {total:.2f} s (médiane de {len(runs)} : {_seconds(totals)}) ; "
          f"commit {commit:.2f} s ; {_number(rows / total)} lignes/s")
    for stage in STAGES:
        values = []
        for run in runs:
            if stage == "reste":
                values.append(run["run_import"] - sum(run["stages"].values()))
            else:
                values.append(run["stages"].get(stage, 0.0))
        executes, batches, many, sets, touched, sql = last["statements"].get(
            stage, [0, 0, 0, 0, 0, 0.0])
        sql_text = (f" ; {executes} envois SQL, {_number(touched)} lignes, "
                    f"{sql:.2f} s dans SQL"
                    if executes else " ; aucune requête")
        print(f"     {stage:<10} {statistics.median(values):6.2f} s "
              f"({_seconds(values)}){sql_text}")
    totals_sql = [sum(values) for values in zip(*last["statements"].values())]
    executes, batches, many, sets, touched, sql = totals_sql
    print(f"   SQL pendant run_import (dernier run) : {executes} envois "
          f"({_styles(batches, many, sets)}), {sql:.2f} s dans SQL ; "
          f"{executes / max(rows, 1) * 5000:.1f} envois par tranche de 5 000 lignes")
    for head, count, head_rows, seconds in last["heads"][:8]:
        print(f"     {seconds:6.2f} s  {count:>4} × ({_number(head_rows):>7} lignes)  {head}")
    peak = max(run["peak_rss"] for run in runs)
    print(f"   mémoire : pic RSS du processus {peak:.0f} Mo ; avant l'import "
          f"{last['baseline_peak']:.0f} Mo (app + fichier) ; import seul "
          f"+{peak - last['baseline_peak']:.0f} Mo")
    ratio = total / bare_xlsx
    print(f"   rapport run_import / lecture calamine seule du XLSX ({bare_xlsx:.2f} s) : "
          f"{ratio:.2f} — {verdict(ratio <= AIM_RATIO)} (≤ {AIM_RATIO:g})"
          + f" ; avec le commit : {(total + commit) / bare_xlsx:.2f}")
    engine_only = statistics.median(
        sum(run["stages"].get(stage, 0.0) for stage in ("lecture", "contexte", "validation"))
        for run in runs)
    print(f"   hors écriture (lecture + contexte + validation, {engine_only:.2f} s) : "
          f"{engine_only / bare_xlsx:.2f} × la lecture calamine seule")
    if bare_csv is not None:
        print(f"   pour mémoire, rapport à la lecture csv seule du CSV ({bare_csv:.2f} s) : "
              f"{total / bare_csv:.1f}")
    return {"total": total, "ratio": ratio, "statements": executes, "peak": peak}


def print_profile(label, profiled, lines):
    for order in ("cumulative", "tottime"):
        print(f"   cProfile {label} (run_import {profiled['run_import']:.1f} s sous le "
              f"profileur), {lines} premières fonctions, tri {order} :")
        for line in profiled[f"profile_{order}"].splitlines():
            print("     " + line)


# --------------------------------------------------------------------------- main

def _version(distribution):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


def code_digest():
    """SHA-256 (12 digits) of app/imports/*.py: which code the figures are of (the
    subprocesses import it afresh: a change during the run would mix versions)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parent.parent / "app" / "imports")
                       .glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3,
                        help="timed imports per format and path, and bare reads (median)")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--no-update", dest="update", action="store_false",
                        help="skip the update path (the same file, update_existing=True)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true", help="temporary SQLite file")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="one more create and update per format under cProfile: "
                             "print the N top functions")
    # Used by the script when it runs itself in a subprocess.
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="create", help=argparse.SUPPRESS,
                        choices=("bare", "create", "update", "profile-create",
                                 "profile-update"))
    parser.add_argument("--client-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--xlsx", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--max-bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure_only(args)
        return

    run_on_database(args, run)


def run(args, url, label, started):
    formats = [name.strip() for name in args.formats.split(",") if name.strip()]
    app = build_app(url)
    timer = Step()
    folder = Path(tempfile.mkdtemp(prefix="passerelle-import-scale-"))
    try:
        measure_all(args, url, label, started, app, timer, folder, formats)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure_all(args, url, label, started, app, timer, folder, formats):
    import sqlalchemy

    from app.extensions import db

    with timer(f"{_number(args.rows)} articles générés"):
        articles = article_rows(args.rows, args.seed)
    xlsx, csv_path = folder / "articles.xlsx", folder / "articles.csv"
    with timer("XLSX écrit (openpyxl write_only)"):
        write_xlsx(articles, xlsx)
    with timer("CSV écrit"):
        write_csv(articles, csv_path)
    del articles
    facts = prepare_client(app, timer, args.seed)

    with app.app_context():
        engine = db.engine
        server_version = ""
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                server_version = connection.exec_driver_sql("SHOW server_version").scalar()
        dialect = engine.dialect.name
        config = app.config
        limits = (config["IMPORT_MAX_BYTES"], config["IMPORT_MAX_ROWS"],
                  config["IMPORT_MAX_UNCOMPRESSED"])
    import psycopg
    print(f"Passerelle, import d'articles à grande échelle — {dt.date.today().isoformat()}, "
          f"{os.cpu_count()} CPU, Python {platform.python_version()}, "
          f"SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__} "
          f"(libpq {psycopg.pq.version()}, pipeline "
          f"{'oui' if psycopg.Pipeline.is_supported() else 'non'}), python-calamine "
          f"{_version('python-calamine')}, openpyxl {_version('openpyxl')}")
    code = code_digest()
    print(f"Base : {label} {dialect} {server_version}".rstrip() + f" ; runs : {args.runs} ; "
          f"code app/imports/*.py : sha256 {code}")
    print(f"Limites de l'app : {limits[0] / 1e6:.1f} Mo, {_number(limits[1])} lignes, "
          f"{limits[2] / 1e6:.0f} Mo décompressés")
    print(f"Fichiers : XLSX {xlsx.stat().st_size / 1e6:.2f} Mo, CSV "
          f"{csv_path.stat().st_size / 1e6:.2f} Mo ; dossier : plan à "
          f"{facts['plan_accounts']} comptes, {len(EXISTING_CATEGORIES)} catégories et "
          f"{EXISTING_ARTICLES} articles existants")
    for step, seconds in timer.steps:
        print(f"  {seconds:7.1f} s  {step}")
    for path in (xlsx, csv_path):
        size = path.stat().st_size
        if size > limits[0]:
            # Measured anyway, with the limit raised for the run: the app as configured
            # would refuse this file as a whole (FileRefused, « dépasse la taille
            # maximale »).
            args.max_bytes = max(args.max_bytes, size)
            print(f"ATTENTION : {path.name} ({size / 1e6:.2f} Mo) dépasse IMPORT_MAX_BYTES "
                  f"({limits[0] / 1e6:.1f} Mo) : l'app le refuserait en entier ; limite "
                  f"portée à {size / 1e6:.2f} Mo pour la mesure.")
    print(f"Charge avant mesure : " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print()

    bare = run_child(args, url, "bare", xlsx=xlsx, csv_path=csv_path)
    bare_xlsx = statistics.median(bare["xlsx"]["seconds"])
    bare_csv = statistics.median(bare["csv"]["seconds"])
    print(f"Lecture seule, calamine (XLSX, {bare['xlsx']['rows']} lignes avec l'en-tête) : "
          f"{bare_xlsx:.2f} s (médiane de {args.runs} : {_seconds(bare['xlsx']['seconds'])}) ; "
          f"pic RSS {bare['xlsx_peak']:.0f} Mo")
    print(f"Lecture seule, csv (décodage + csv.reader → liste) : {bare_csv:.2f} s "
          f"(médiane de {args.runs} : {_seconds(bare['csv']['seconds'])})")
    floor = database_floor(app, facts, args.rows, args.runs)
    if floor is not None:
        print(f"Plancher de la base : {_number(args.rows)} articles et leur historique écrits "
              f"par PostgreSQL lui-même (generate_series, rien d'envoyé), annulés : "
              f"{floor['seconds']:.2f} s (INSERT avec index et clés étrangères "
              f"{floor['insert']:.2f} s, historique {floor['history']:.2f} s), soit "
              f"{floor['seconds'] / bare_xlsx:.2f} × la lecture calamine seule ; un import "
              f"qui lit puis écrit ne peut pas descendre sous "
              f"{(bare_xlsx + floor['seconds']) / bare_xlsx:.2f} ×")
    print()

    files = {"xlsx": {"xlsx": xlsx}, "csv": {"csv_path": csv_path}}
    summary = []
    for name in formats:
        creates, updates = [], []
        counts = {}
        for _ in range(args.runs):
            reset_imports(app, facts)
            creates.append(run_child(args, url, "create", facts["client_id"], **files[name]))
            counts["create"] = article_counts(app, facts["client_id"])
            if args.update:
                updates.append(run_child(args, url, "update", facts["client_id"],
                                         **files[name]))
                counts["update"] = article_counts(app, facts["client_id"])
        other_csv = bare_csv if name == "csv" else None
        summary.append((f"{name.upper()}, création", report(
            f"{name.upper()}, création (update_existing=False)", creates, bare_xlsx,
            other_csv, counts["create"])))
        print()
        if args.update:
            summary.append((f"{name.upper()}, mise à jour", report(
                f"{name.upper()}, mise à jour du même fichier (update_existing=True)", updates,
                bare_xlsx, other_csv, counts["update"])))
            print()
        if args.profile:
            reset_imports(app, facts)
            print_profile(f"{name.upper()} création", run_child(
                args, url, "profile-create", facts["client_id"], **files[name]), args.profile)
            print()
            if args.update:
                print_profile(f"{name.upper()} mise à jour", run_child(
                    args, url, "profile-update", facts["client_id"], **files[name]),
                    args.profile)
                print()
    reset_imports(app, facts)

    print(f"Objectif : import entier ≤ {AIM_RATIO:g} × lecture calamine seule "
          f"({bare_xlsx:.2f} s), sans aller-retour SQL par ligne :")
    for tag, result in summary:
        print(f"  {tag} : {result['total']:.2f} s, rapport {result['ratio']:.2f} — "
              f"{verdict(result['ratio'] <= AIM_RATIO)} ; {result['statements']} envois SQL ; "
              f"pic RSS {result['peak']:.0f} Mo")
    if code_digest() != code:
        print(f"ATTENTION : app/imports/*.py a changé pendant la mesure (sha256 {code} → "
              f"{code_digest()}) : les runs ne mesurent pas tous le même code.")
    print()
    print(f"Durée totale : {time.perf_counter() - started:.0f} s ; charge à la fin : "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
