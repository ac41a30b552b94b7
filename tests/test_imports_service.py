"""The database side of the imports (app/imports/service.py, issue 8): what the
validation knows of a dossier, the preview that writes nothing, the import that
writes every row in the caller's transaction or nothing, its record, the
history of the accounts it writes, the uploads kept between preview and
confirmation, and the number of SQL statements (no round trip per row).

Every file is built here (CSV text or an openpyxl workbook); both databases."""
import csv
import datetime as dt
import gc
import io
import re
import threading
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy_continuum import Operation, version_class

from app.extensions import db
from app.imports.columns import KINDS
from app.imports.reading import FileRefused, Limits
from app.imports.service import (
    ImportRefused, _Writer, build_context, client_vat_rates, load_upload, preview_import,
    purge_expired_uploads, run_import, store_upload,
)
from app.messages import TranslatableError
from app.models import AccountingPlan, Article, ArticleCategory, Client, Contact
from app.models.imports import IMPORT_STATUS_LABELS, ImportRecord, ImportUpload
from app.models.mixins import utcnow
from app.models.versioning import transaction_class
from app.plans.copying import apply_plan
from app.plans.history import plan_history
from conftest import article_label_refused

LIMITS = Limits()
NOW = dt.datetime(2026, 11, 30, 9, 0, 0)
OWNER_NAME = "Olivia Alpha"
COUNTED_TABLES = ("contact", "article", "article_category", "contact_version",
                  "article_version", "article_category_version", "accounting_transaction",
                  "import_record", "import_upload")
MAINLAND = {Decimal(rate) for rate in ("20.00", "10.00", "5.50", "2.10", "0.00")}
OVERSEAS = {Decimal(rate) for rate in ("8.50", "2.10", "1.05", "0.00")}


def identity(message, **params):
    return message % params if params else message


# Files ----------------------------------------------------------------------------------

def csv_bytes(kind_code, rows, separator=";", encoding="utf-8"):
    """A template CSV: the header row, then one line per dict (column key → text)."""
    kind = KINDS[kind_code]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(kind.headers)
    for row in rows:
        writer.writerow([row.get(key, "") for key in kind.keys])
    return out.getvalue().encode(encoding)


def xlsx_bytes(kind_code, rows):
    kind = KINDS[kind_code]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(kind.headers))
    for row in rows:
        sheet.append([row.get(key) for key in kind.keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def article(reference, label, price="10", rate="20", nature="service", category="",
            account=""):
    return {"reference": reference, "label": label, "nature": nature,
            "unit_price_ht": price, "vat_rate": rate, "category": category,
            "account": account}


def run(world, client_id, kind_code, rows=None, *, data=None, filename="import.csv",
        update=False, login="owner_a", user_name=OWNER_NAME, now=NOW):
    return run_import(db.session, client_id, kind_code,
                      data if data is not None else csv_bytes(kind_code, rows), filename,
                      update_existing=update, user_id=world.users[login],
                      user_name=user_name, gettext=identity, limits=LIMITS, now=now)


def just_now():
    """A time the history shows: it hides what is older than the client."""
    return utcnow().replace(microsecond=0)


def counts():
    return {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in COUNTED_TABLES}


def committed_counts():
    """The counts another connection sees: what was really committed."""
    with db.engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in COUNTED_TABLES}


def keep_refusal(refused):
    """What the screens and the CLI do with a refusal: roll back, keep the record."""
    db.session.rollback()
    db.session.add(db.session.merge(refused.record))
    db.session.commit()


class Statements:
    """The SQL statements sent to the database while the block runs."""

    def __init__(self):
        self.sent = []

    def _listen(self, connection, cursor, statement, parameters, context, executemany):
        self.sent.append(" ".join(statement.split()))

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._listen)

    def writes(self):
        return [s for s in self.sent if written_tables(s)]


def written_tables(statement: str) -> list:
    """« INSERT INTO t » / « UPDATE t » / « DELETE FROM t » of a statement, in
    order: a PostgreSQL create writes the rows and their history in one
    statement (WITH inserted AS (INSERT …) INSERT INTO …_version …)."""
    return [" ".join(match)
            for match in re.findall(r"\b(INSERT INTO|UPDATE|DELETE FROM) (\w+)\b", statement)]


@pytest.fixture
def ctx(app, world):
    with app.app_context():
        yield world
        db.session.rollback()
        db.session.remove()


def _client_plan(client_id):
    pcg = db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()
    plan = apply_plan(db.session, pcg, db.session.get(Client, client_id))
    db.session.commit()
    return plan


def _articles(client_id):
    return {a.reference or a.label: a for a in db.session.scalars(
        select(Article).where(Article.client_id == client_id).order_by(Article.id))}


def _contacts(client_id):
    return {c.siren or c.name: c for c in db.session.scalars(
        select(Contact).where(Contact.client_id == client_id).order_by(Contact.id))}


# What the validation knows of the dossier -----------------------------------------------

def test_build_context_of_contacts_is_the_clients_own_the_oldest_first(ctx):
    world = ctx
    dupont = Contact(client_id=world.a1, name="Dupont Rénovation", siren="732829320",
                     auxiliary_account="DUPONT")
    martin = Contact(client_id=world.a1, name="Martin", first_name="Claire", postcode="75016",
                     is_company=False)
    db.session.add_all([dupont, martin])
    db.session.flush()
    # Same person typed again on a screen, later: the oldest one is the one updated.
    again = Contact(client_id=world.a1, name="MARTIN", first_name="claire", postcode="75 016",
                    is_company=False, auxiliary_account="MARTIN2")
    other = Contact(client_id=world.b1, name="Bêta client", siren="443061841",
                    auxiliary_account="BETA")
    db.session.add_all([again, other])
    db.session.commit()

    context = build_context(db.session, world.a1, "contacts", update_existing=True)
    assert context.existing == {("siren", "732829320"): dupont.id,
                                ("name", "martin", "claire", "75016"): martin.id}
    assert context.auxiliary_accounts == {"DUPONT": dupont.id, "MARTIN2": again.id}
    assert context.update_existing is True
    assert build_context(db.session, world.b1, "contacts", update_existing=False).existing == {
        ("siren", "443061841"): other.id}
    with pytest.raises(TranslatableError) as unknown:
        build_context(db.session, world.a1, "factures", update_existing=False)
    assert str(unknown.value) == "Type d'import inconnu : « factures » (contacts ou articles)."


def test_build_context_of_articles_rates_categories_and_plan(ctx):
    world = ctx
    materiel = ArticleCategory(client_id=world.a1, name="Matériel")
    db.session.add(materiel)
    db.session.flush()
    audit = Article(client_id=world.a1, reference="ART-001", label="Audit", nature="services",
                    unit_price_ht=Decimal("450"), vat_rate=Decimal("7"))
    thermostat = Article(client_id=world.a1, label="Thermostat connecté", nature="goods",
                         unit_price_ht=Decimal("129.9"), vat_rate=Decimal("20"),
                         category_id=materiel.id)
    foreign = Article(client_id=world.b1, reference="ART-001", label="Autre", nature="goods",
                      unit_price_ht=Decimal("1"), vat_rate=Decimal("3"))
    db.session.add_all([audit, thermostat, foreign, ArticleCategory(client_id=world.b1,
                                                                    name="Prestations")])
    db.session.commit()

    context = build_context(db.session, world.a1, "articles", update_existing=False)
    assert context.existing == {("reference", "art-001"): audit.id,
                                ("label", "thermostat connecte"): thermostat.id}
    assert context.categories == {"materiel": materiel.id}
    # No plan of its own: every French rate, and the rates its articles already use.
    assert context.vat_rates == MAINLAND | OVERSEAS | {Decimal("7.00")}
    assert context.plan_accounts is None and context.account_length is None
    assert client_vat_rates(db.session, world.b1) == MAINLAND | OVERSEAS | {Decimal("3.00")}

    plan = _client_plan(world.a1)
    context = build_context(db.session, world.a1, "articles", update_existing=False)
    # Its own plan: exactly the rates the article form offers.
    assert context.vat_rates == MAINLAND
    assert {"706", "707"} <= context.plan_accounts
    assert context.account_length == plan.account_length == 8


# Preview --------------------------------------------------------------------------------

def test_preview_validates_and_writes_nothing(ctx):
    world = ctx
    db.session.add(Article(client_id=world.a1, reference="R1", label="Existant",
                           nature="goods", unit_price_ht=Decimal("1"), vat_rate=Decimal("20")))
    db.session.commit()
    before = counts()
    data = csv_bytes("articles", [article("R1", "Existant"), article("R2", "Nouveau",
                                                                    category="Neuve")])
    with Statements() as statements:
        outcome = preview_import(db.session, db.session.get(Client, world.a1), "articles", data,
                                 "a.csv", update_existing=True, gettext=identity, limits=LIMITS)
    assert statements.writes() == []
    assert not db.session.new and not db.session.dirty
    assert (outcome.ok, outcome.total, outcome.created, outcome.updated) == (True, 2, 1, 1)
    assert outcome.plan.new_categories == ["Neuve"]
    assert outcome.table.detected["format"] == "csv"
    db.session.commit()
    assert counts() == before == committed_counts()

    with pytest.raises(FileRefused) as refused:
        preview_import(db.session, world.a1, "articles", b"", "a.csv", update_existing=False,
                       gettext=identity, limits=LIMITS)
    assert refused.value.message == "Le fichier est vide : il n'y a rien à importer."


# Import ---------------------------------------------------------------------------------

def test_run_import_creates_contacts(ctx):
    world = ctx
    rows = [
        {"is_company": "Société", "name": "Dupont Rénovation", "address_line1": "12 rue des Lilas",
         "postcode": "69003", "city": "Lyon", "email": "Contact@Dupont-Renovation.fr",
         "siren": "732 829 320", "vat_number": "FR44732829320", "auxiliary_account": "dupont"},
        {"is_company": "Particulier", "name": "Martin", "first_name": "Claire",
         "postcode": "75016", "city": "Paris", "country": "Belgique", "phone": "06 12 34 56 78"},
    ]
    outcome = run(world, world.a1, "contacts", rows, filename="clients.csv")
    db.session.commit()
    assert (outcome.created, outcome.updated, outcome.rejected) == (2, 0, 0)
    contacts = _contacts(world.a1)
    dupont, martin = contacts["732829320"], contacts["Martin"]
    assert (dupont.is_company, dupont.name, dupont.country, dupont.auxiliary_account,
            dupont.vat_number, dupont.email, dupont.city) == (
        True, "Dupont Rénovation", "FR", "DUPONT", "FR44732829320",
        "Contact@dupont-renovation.fr", "Lyon")
    assert (martin.is_company, martin.first_name, martin.country, martin.siren,
            martin.phone) == (False, "Claire", "BE", None, "06 12 34 56 78")
    assert dupont.created_at is not None
    assert _contacts(world.b1) == {}


def test_run_import_creates_articles_with_decimal_prices_natures_and_categories(ctx):
    world = ctx
    prestations = ArticleCategory(client_id=world.a1, name="Prestations", account="706100")
    db.session.add(prestations)
    db.session.commit()
    rows = [
        article("ART-001", "Audit énergétique", "1 234,56", "20", "Prestation", "prestations"),
        article("ART-002", "Thermostat connecté", "129.9", "5,5", "produit", "Matériel"),
        article("ART-003", "Vanne", "12,50 €", "20 %", "Biens", "MATERIEL"),
        article("", "Câble", "0", "10", "marchandise", "  matériel "),
        article("ART-005", "Conseil", "80", "0", "service", ""),
    ]
    outcome = run(world, world.a1, "articles", rows, filename="articles.csv")
    record = outcome.record
    db.session.commit()
    assert (outcome.total, outcome.created, outcome.updated) == (5, 5, 0)

    # One category created, spelled as first met, whatever the case and accents.
    categories = db.session.scalars(select(ArticleCategory).where(
        ArticleCategory.client_id == world.a1).order_by(ArticleCategory.id)).all()
    assert [c.name for c in categories] == ["Prestations", "Matériel"]
    materiel = categories[1]
    articles = _articles(world.a1)
    expected = {
        "ART-001": (Decimal("1234.56"), Decimal("20.00"), "services", prestations.id),
        "ART-002": (Decimal("129.90"), Decimal("5.50"), "goods", materiel.id),
        "ART-003": (Decimal("12.50"), Decimal("20.00"), "goods", materiel.id),
        "Câble": (Decimal("0.00"), Decimal("10.00"), "goods", materiel.id),
        "ART-005": (Decimal("80.00"), Decimal("0.00"), "services", None),
    }
    for key, (price, rate, nature, category_id) in expected.items():
        item = articles[key]
        assert isinstance(item.unit_price_ht, Decimal)
        assert (item.unit_price_ht, Decimal(str(item.vat_rate)).quantize(Decimal("0.01")),
                item.nature, item.category_id) == (price, rate, nature, category_id), key
    assert articles["Câble"].reference is None
    assert articles["ART-001"].label == "Audit énergétique"

    # The record: who, when, which file, how many.
    (stored,) = db.session.scalars(select(ImportRecord)).all()
    assert stored.id == record.id
    assert (stored.client_id, stored.kind, stored.file_name, stored.created_at, stored.user_id,
            stored.user_name, stored.status, stored.rows_total, stored.rows_created,
            stored.rows_updated, stored.rows_rejected, stored.update_existing,
            stored.detected_format, stored.detected_encoding, stored.detected_separator) == (
        world.a1, "articles", "articles.csv", NOW, world.users["owner_a"], OWNER_NAME,
        "imported", 5, 5, 0, 0, False, "csv", "UTF-8", ";")
    assert stored.is_imported and IMPORT_STATUS_LABELS[stored.status] == "importé"


def test_run_import_reads_an_xlsx_workbook(ctx):
    world = ctx
    data = xlsx_bytes("articles", [
        {"reference": "X1", "label": "Audit", "nature": "service", "unit_price_ht": 129.9,
         "vat_rate": 20},
        {"reference": "X2", "label": "Pose", "nature": "service", "unit_price_ht": 1234.56,
         "vat_rate": 0.055},
    ])
    outcome = run(world, world.a1, "articles", data=data, filename="articles.xlsx")
    db.session.commit()
    assert outcome.record.detected_format == "xlsx"
    articles = _articles(world.a1)
    assert articles["X1"].unit_price_ht == Decimal("129.90")
    assert articles["X2"].unit_price_ht == Decimal("1234.56")
    assert Decimal(str(articles["X2"].vat_rate)) == Decimal("5.5")


def test_default_refuses_duplicates_in_the_file_and_in_the_dossier(ctx):
    world = ctx
    db.session.add_all([
        Article(client_id=world.a1, reference="ART-001", label="Audit", nature="services",
                unit_price_ht=Decimal("450"), vat_rate=Decimal("20")),
        Article(client_id=world.a1, label="Thermostat", nature="goods",
                unit_price_ht=Decimal("99"), vat_rate=Decimal("20")),
        Contact(client_id=world.a1, name="Dupont", siren="732829320"),
    ])
    db.session.commit()
    before = counts()

    with pytest.raises(ImportRefused) as refused:
        run(world, world.a1, "articles", [
            article("art-001", "Audit bis"),           # line 2: exists (reference)
            article("", "THERMOSTAT"),                 # line 3: exists (designation)
            article("N-1", "Neuf", category="Neuve"),  # line 4: fine
            article("n-1", "Neuf encore"),             # line 5: twice in the file
            article("", "Câble"),                      # line 6: fine
            article("", "cable"),                      # line 7: twice in the file
        ])
    outcome = refused.value.outcome
    assert [(p.line, p.column, p.reason) for p in outcome.plan.problems] == [
        (2, "Référence", "Le dossier a déjà un article de référence « art-001 » : cochez "
                         "« Mettre à jour ceux qui existent déjà » pour le modifier, ou "
                         "retirez la ligne."),
        (3, "Désignation", "Le dossier a déjà un article « THERMOSTAT » sans référence : "
                           "cochez « Mettre à jour ceux qui existent déjà » pour le modifier, "
                           "ou retirez la ligne."),
        (5, "Référence", "Doublon : la référence « n-1 » figure déjà ligne 4."),
        (7, "Désignation", "Doublon : la désignation « cable », sans référence, figure déjà "
                           "ligne 6."),
    ]
    assert str(refused.value) == ("Import refusé : 4 ligne(s) sur 6 comporte(nt) 4 "
                                  "problème(s). Rien n'a été écrit.")
    # Nothing written, not even the categories; the record is not in the session.
    assert refused.value.record not in db.session
    assert db.session.scalar(select(func.count()).select_from(ArticleCategory)) == 0

    with pytest.raises(ImportRefused) as contacts:
        run(world, world.a1, "contacts", [{"name": "Dupont SA", "siren": "732829320"}])
    assert [(p.line, p.column) for p in contacts.value.outcome.plan.problems] == [(2, "SIREN")]
    assert contacts.value.outcome.plan.problems[0].reason.startswith(
        "Le dossier a déjà un client facturé avec le SIREN 732829320")
    db.session.rollback()
    assert counts() == before


def test_a_refused_import_writes_no_row_and_its_record_is_kept_after_rollback(ctx):
    world = ctx
    before = counts()
    with pytest.raises(ImportRefused) as refused:
        run(world, world.a1, "articles", [
            article("A", "Bon", category="Nouvelle"),
            article("B", "Mauvais prix", price="abc"),
            article("C", "Mauvaise nature", nature="logiciel", rate="19"),
        ], filename="catalogue.csv", update=True)
    record = refused.value.record
    assert (record.status, record.rows_total, record.rows_created, record.rows_updated,
            record.rows_rejected, record.update_existing, record.user_name) == (
        "refused", 3, 0, 0, 2, True, OWNER_NAME)
    keep_refusal(refused.value)
    after = committed_counts()
    assert after == {**before, "import_record": before["import_record"] + 1}
    (stored,) = db.session.scalars(select(ImportRecord)).all()
    assert (stored.client_id, stored.file_name, stored.status, stored.rows_rejected,
            stored.user_id, stored.created_at) == (
        world.a1, "catalogue.csv", "refused", 2, world.users["owner_a"], NOW)
    assert IMPORT_STATUS_LABELS[stored.status] == "refusé"
    reasons = [(p.line, p.column, p.reason) for p in refused.value.outcome.plan.problems]
    assert (3, "Prix unitaire HT", "« abc » n'est pas un prix valide : écrivez un nombre, par "
                                   "exemple 1234,56.") in reasons
    assert (4, "Nature", "« logiciel » n'est pas une nature : écrivez « produit » ou "
                         "« service ».") in reasons


def test_update_mode_updates_and_an_empty_cell_keeps_the_current_value(ctx):
    world = ctx
    materiel = ArticleCategory(client_id=world.a1, name="Matériel")
    db.session.add(materiel)
    db.session.flush()
    audit = Article(client_id=world.a1, reference="ART-001", label="Audit", nature="services",
                    unit_price_ht=Decimal("450"), vat_rate=Decimal("20"),
                    category_id=materiel.id, account="706000")
    dupont = Contact(client_id=world.a1, name="Dupont", siren="732829320", city="Lyon",
                     email="dupont@example.fr", auxiliary_account="DUPONT")
    db.session.add_all([audit, dupont])
    db.session.commit()

    outcome = run(world, world.a1, "articles", [
        article("art-001", "Audit complet", "500,5", "10", "service", "", ""),
        article("ART-002", "Nouveau", "1", "20", "produit", "matériel"),
    ], update=True)
    db.session.commit()
    assert (outcome.created, outcome.updated) == (1, 1)
    assert outcome.record.rows_updated == 1 and outcome.record.update_existing
    db.session.expire_all()
    audit = db.session.get(Article, audit.id)
    assert (audit.reference, audit.label, audit.unit_price_ht,
            Decimal(str(audit.vat_rate)), audit.category_id, audit.account) == (
        "art-001", "Audit complet", Decimal("500.50"), Decimal("10"), materiel.id, "706000")
    assert _articles(world.a1)["ART-002"].category_id == materiel.id

    outcome = run(world, world.a1, "contacts", [
        {"name": "Dupont & Fils", "siren": "732829320", "city": "Villeurbanne"},
    ], update=True)
    db.session.commit()
    assert (outcome.created, outcome.updated) == (0, 1)
    dupont = db.session.get(Contact, dupont.id)
    # Typed: changed; empty: kept (the type and the country too, no default forced).
    assert (dupont.name, dupont.city, dupont.email, dupont.auxiliary_account,
            dupont.is_company, dupont.country) == (
        "Dupont & Fils", "Villeurbanne", "dupont@example.fr", "DUPONT", True, "FR")
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1


# All or nothing -------------------------------------------------------------------------

REFUSED_LABEL = "Refusé par la base"


@pytest.fixture
def refusing_trigger(app, ctx):
    """A database rule the validation cannot see: the database refuses to give an
    article the label REFUSED_LABEL by an UPDATE (a CHECK violation)."""
    with article_label_refused(db.engine, app.config["TEST_BACKEND"], REFUSED_LABEL, "UPDATE"):
        try:
            yield
        finally:
            db.session.rollback()    # before the DROP, which waits for the session's locks


def test_a_failure_halfway_leaves_the_database_as_it_was(ctx, refusing_trigger):
    world = ctx
    db.session.add_all([
        Article(client_id=world.a1, reference="OLD-1", label="Ancien", nature="goods",
                unit_price_ht=Decimal("1"), vat_rate=Decimal("20"), account="707000"),
        Article(client_id=world.a1, reference="OLD-2", label="Ancien 2", nature="goods",
                unit_price_ht=Decimal("2"), vat_rate=Decimal("20")),
    ])
    db.session.commit()
    before = committed_counts()
    rows = [article(f"NEW-{n}", f"Nouveau {n}", category="Catégorie neuve", account="706000")
            for n in range(1, 1501)]
    rows += [article("OLD-1", "Ancien modifié", account="706000"),
             article("OLD-2", REFUSED_LABEL)]
    with Statements() as statements, pytest.raises(IntegrityError):
        run(world, world.a1, "articles", rows, update=True)
    db.session.rollback()

    # It failed halfway: categories, articles, their history and the transaction
    # were written before the UPDATE the database refused.
    writes = statements.writes()
    first_update = next(i for i, s in enumerate(writes) if "UPDATE article " in s)
    done_before = [table for s in writes[:first_update] for table in written_tables(s)]
    for expected in ("INSERT INTO article_category", "INSERT INTO accounting_transaction",
                     "INSERT INTO article_category_version", "INSERT INTO article",
                     "INSERT INTO article_version"):
        assert expected in done_before, done_before
    # 1,500 rows: multi-row INSERTs of 1,000 on SQLite, one INSERT from arrays on PostgreSQL.
    inserts = sum("INSERT INTO article (" in s for s in writes)
    assert inserts == 1 if db.engine.dialect.name == "postgresql" else inserts >= 2, writes

    assert committed_counts() == before
    assert counts() == before
    old = _articles(world.a1)["OLD-1"]
    assert (old.label, old.account) == ("Ancien", "707000")


def test_a_reference_committed_by_someone_else_meanwhile_writes_nothing(ctx):
    """Between the validation and the write, another session commits an article
    with a reference of the file: the database's unique constraint refuses the
    import, and none of its rows is written."""
    world = ctx
    before = committed_counts()
    done = []

    def commit_conflict(connection, cursor, statement, parameters, context, executemany):
        if done or "INSERT INTO article (" not in statement:
            return
        done.append(statement)
        with db.engine.connect() as other:
            other.execute(Article.__table__.insert().values(
                client_id=world.a1, reference="R-2", label="Créé ailleurs", nature="goods",
                unit_price_ht=Decimal("3"), vat_rate=Decimal("20")))
            other.commit()

    event.listen(db.engine, "before_cursor_execute", commit_conflict)
    try:
        with pytest.raises(IntegrityError):
            run(world, world.a1, "articles", [article(f"R-{n}", f"Article {n}")
                                              for n in range(1, 6)])
    finally:
        event.remove(db.engine, "before_cursor_execute", commit_conflict)
    db.session.rollback()
    assert done
    assert committed_counts() == {**before, "article": before["article"] + 1}
    assert [a.label for a in _articles(world.a1).values()] == ["Créé ailleurs"]


# History of the accounts ----------------------------------------------------------------

def test_imported_accounts_are_in_the_history_with_the_importer(ctx):
    world = ctx
    plan = _client_plan(world.a1)
    owner = world.users["owner_a"]
    at = just_now()
    outcome = run(world, world.a1, "articles", [
        article("A1", "Audit", account="706000", category="Études"),
        article("A2", "Pose", account="706000"),
        article("A3", "Sans compte"),
    ], now=at)
    run(world, world.a1, "contacts", [{"name": "Dupont Rénovation", "siren": "732829320",
                                       "auxiliary_account": "DUPONT"}], now=at)
    db.session.commit()
    assert outcome.record.status == "imported"
    ids = {a.reference: a.id for a in _articles(world.a1).values()}

    ArticleVersion = version_class(Article)
    Transaction = transaction_class()
    versions = db.session.execute(
        select(ArticleVersion.id, ArticleVersion.account, ArticleVersion.operation_type,
               Transaction.user_id, Transaction.user_name, Transaction.issued_at)
        .join(Transaction, Transaction.id == ArticleVersion.transaction_id)
        .order_by(ArticleVersion.id)).all()
    assert [tuple(v) for v in versions] == [
        (ids["A1"], "706000", Operation.INSERT, owner, OWNER_NAME, at),
        (ids["A2"], "706000", Operation.INSERT, owner, OWNER_NAME, at),
        (ids["A3"], None, Operation.INSERT, owner, OWNER_NAME, at)]
    (category_version,) = db.session.execute(select(version_class(ArticleCategory))).scalars()
    assert (category_version.name, category_version.operation_type,
            category_version.transaction.user_name) == ("Études", Operation.INSERT, OWNER_NAME)
    (contact_version,) = db.session.execute(select(version_class(Contact))).scalars()
    assert (contact_version.auxiliary_account, contact_version.name,
            contact_version.transaction.user_id) == ("DUPONT", "Dupont Rénovation", owner)

    entries = plan_history(db.session, db.session.get(AccountingPlan, plan.id), identity)
    client_data = [(e.section, e.record, e.field, e.old, e.new, e.operation, e.user, e.at)
                   for e in entries if e.section in ("Articles", "Clients",
                                                     "Catégories d'articles")]
    assert sorted(client_data) == [
        ("Articles", "Audit", "Compte de vente", None, "706000", "Création", OWNER_NAME, at),
        ("Articles", "Pose", "Compte de vente", None, "706000", "Création", OWNER_NAME, at),
        ("Clients", "Dupont Rénovation", "Compte auxiliaire", None, "DUPONT", "Création",
         OWNER_NAME, at),
    ]

    # A later change on a screen (an ORM flush) shows the imported value as the old one.
    audit = db.session.get(Article, ids["A1"])
    audit.account = "707000"
    db.session.commit()
    latest = plan_history(db.session, db.session.get(AccountingPlan, plan.id), identity)[0]
    assert (latest.record, latest.field, latest.old, latest.new, latest.operation) == (
        "Audit", "Compte de vente", "706000", "707000", "Modification")


def test_an_update_import_versions_the_accounts_it_changes_only(ctx):
    world = ctx
    plan = _client_plan(world.a1)
    db.session.add_all([
        Article(client_id=world.a1, reference="A1", label="Audit", nature="services",
                unit_price_ht=Decimal("1"), vat_rate=Decimal("20"), account="706000"),
        Article(client_id=world.a1, reference="A2", label="Pose", nature="services",
                unit_price_ht=Decimal("1"), vat_rate=Decimal("20"), account="706000"),
    ])
    db.session.commit()  # a flush: Continuum versions both (no user: a script)
    ArticleVersion = version_class(Article)
    assert db.session.scalar(select(func.count()).select_from(ArticleVersion)) == 2

    run(world, world.a1, "articles", [
        article("A1", "Audit", price="99", account="707000"),   # the account changes
        article("A2", "Pose", price="42", account=""),          # the price only: no version
    ], update=True, now=just_now())
    db.session.commit()
    updates = db.session.execute(select(ArticleVersion.id, ArticleVersion.account)
                                 .where(ArticleVersion.operation_type == Operation.UPDATE)
                                 ).all()
    a1 = _articles(world.a1)["A1"]
    assert [tuple(u) for u in updates] == [(a1.id, "707000")]
    assert _articles(world.a1)["A2"].unit_price_ht == Decimal("42.00")
    latest = plan_history(db.session, db.session.get(AccountingPlan, plan.id), identity)[0]
    assert (latest.record, latest.old, latest.new, latest.operation, latest.user) == (
        "Audit", "706000", "707000", "Modification", OWNER_NAME)


@pytest.mark.parametrize("account", ["706000", ""], ids=["same-account", "empty-cell"])
def test_an_update_import_that_changes_no_account_writes_no_history(ctx, account):
    """The price changes, the account stays (typed again, or its cell left
    empty: the value is kept): no version row, and no transaction either —
    Continuum writes none for a flush that versions nothing."""
    world = ctx
    _client_plan(world.a1)
    db.session.add(Article(client_id=world.a1, reference="A1", label="Audit",
                           nature="services", unit_price_ht=Decimal("1"),
                           vat_rate=Decimal("20"), account="706000"))
    db.session.commit()
    before = committed_counts()
    outcome = run(world, world.a1, "articles", [article("A1", "Audit", price="99",
                                                        account=account)],
                  update=True, now=just_now())
    db.session.commit()
    assert outcome.updated == 1
    assert committed_counts() == {**before, "import_record": before["import_record"] + 1}
    stored = _articles(world.a1)["A1"]
    assert (stored.unit_price_ht, stored.account) == (Decimal("99.00"), "706000")


# Tenant isolation of the writes ---------------------------------------------------------

def test_an_import_into_one_client_never_touches_another_clients_rows(ctx):
    world = ctx
    theirs = Article(client_id=world.b1, reference="ART-001", label="Article de Bêta",
                     nature="goods", unit_price_ht=Decimal("5"), vat_rate=Decimal("20"),
                     account="707000")
    their_contact = Contact(client_id=world.b1, name="Client de Bêta", siren="732829320",
                            auxiliary_account="DUPONT")
    db.session.add_all([theirs, their_contact])
    db.session.commit()

    for update in (False, True):
        run(world, world.a1, "articles", [article("ART-001", f"Article d'Alpha {update}",
                                                  price="7", account="706000")],
            update=update)
        run(world, world.a1, "contacts", [{"name": f"Dupont {update}", "siren": "732829320",
                                           "auxiliary_account": "DUPONT"}], update=update)
        db.session.commit()
    db.session.expire_all()
    ours = _articles(world.a1)["ART-001"]
    assert (ours.label, ours.unit_price_ht) == ("Article d'Alpha True", Decimal("7.00"))
    assert _contacts(world.a1)["732829320"].name == "Dupont True"
    theirs = db.session.get(Article, theirs.id)
    assert (theirs.client_id, theirs.label, theirs.unit_price_ht, theirs.account) == (
        world.b1, "Article de Bêta", Decimal("5.00"), "707000")
    their_contact = db.session.get(Contact, their_contact.id)
    assert (their_contact.client_id, their_contact.name) == (world.b1, "Client de Bêta")

    # The writer updates by id within its client: a foreign id changes nothing and
    # writes no version of the other client's row.
    ArticleVersion = version_class(Article)
    versions = db.session.scalar(select(func.count()).select_from(ArticleVersion)
                                 .where(ArticleVersion.id == theirs.id))
    writer = _Writer(db.session, world.a1, world.users["owner_a"], OWNER_NAME, NOW)
    writer._update(Article, [(theirs.id, {"label": "Piraté", "account": "706000"})])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Article, theirs.id).label == "Article de Bêta"
    assert db.session.scalar(select(func.count()).select_from(ArticleVersion)
                             .where(ArticleVersion.id == theirs.id)) == versions


# Uploads --------------------------------------------------------------------------------

def test_store_and_load_an_upload_for_its_sender_only_until_it_expires(ctx):
    world = ctx
    owner, collab = world.users["owner_a"], world.users["collab_a"]
    ttl = dt.timedelta(minutes=60)
    upload = store_upload(db.session, world.a1, owner, "articles", "catalogue.xlsx",
                          b"PK\x03\x04 bytes", True, NOW, ttl)
    db.session.commit()
    assert len(upload.token) == 43 and upload.expires_at == NOW + ttl
    token, upload_id = upload.token, upload.id
    db.session.remove()

    loaded = load_upload(db.session, str(upload_id), token, owner, now=NOW)
    assert (loaded.id, loaded.client_id, loaded.kind, loaded.file_name, loaded.data,
            loaded.update_existing) == (upload_id, world.a1, "articles", "catalogue.xlsx",
                                        b"PK\x03\x04 bytes", True)
    almost = NOW + ttl - dt.timedelta(seconds=1)
    assert load_upload(db.session, upload_id, token, owner, now=almost) is not None
    refused = [
        load_upload(db.session, upload_id, token[:-1] + ("A" if token[-1] != "A" else "B"),
                    owner, now=NOW),                                      # wrong token
        load_upload(db.session, upload_id, "", owner, now=NOW),           # no token
        load_upload(db.session, upload_id, None, owner, now=NOW),
        load_upload(db.session, upload_id, token, collab, now=NOW),       # another user
        load_upload(db.session, upload_id, token, None, now=NOW),
        load_upload(db.session, upload_id, token, owner, now=NOW + ttl),  # expired
        load_upload(db.session, upload_id + 1000, token, owner, now=NOW),  # no such upload
        load_upload(db.session, "abc", token, owner, now=NOW),
        load_upload(db.session, None, token, owner, now=NOW),
        load_upload(db.session, upload_id, "é" * 43, owner, now=NOW),
    ]
    assert refused == [None] * len(refused)

    with pytest.raises(TranslatableError):
        store_upload(db.session, world.a1, owner, "factures", "x.csv", b"x", False, NOW, ttl)
    long_name = "n" * 300 + ".csv"
    kept = store_upload(db.session, world.a1, owner, "contacts", long_name, b"x", False, NOW,
                        ttl)
    assert len(kept.file_name) == 255 and kept.token != token


def test_purge_expired_uploads_of_every_client(ctx):
    world = ctx
    ttl = dt.timedelta(minutes=60)
    for client_id, login, created in [(world.a1, "owner_a", NOW - dt.timedelta(hours=3)),
                                      (world.b1, "owner_b", NOW - dt.timedelta(hours=2)),
                                      (world.a1, "collab_a", NOW - dt.timedelta(minutes=30)),
                                      (world.b1, "collab_b", NOW)]:
        store_upload(db.session, client_id, world.users[login], "contacts", "c.csv", b"x",
                     False, created, ttl)
    db.session.commit()
    assert purge_expired_uploads(db.session, NOW) == 2
    db.session.commit()
    left = db.session.execute(select(ImportUpload.client_id, ImportUpload.user_id)
                              .order_by(ImportUpload.id)).all()
    assert [tuple(row) for row in left] == [(world.a1, world.users["collab_a"]),
                                            (world.b1, world.users["collab_b"])]
    assert purge_expired_uploads(db.session, NOW) == 0
    assert purge_expired_uploads(db.session, NOW + ttl) == 2
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


# No round trip per row ------------------------------------------------------------------

def _article_rows(count, prefix, *, partial=False):
    """`count` articles; with `partial`, rows leave different optional cells empty
    (several sets of columns in one update)."""
    rows = []
    for n in range(count):
        row = article(f"{prefix}{n:05d}", f"Article {n}", price=f"{n},{n % 100:02d}",
                      rate=("20", "5,5", "10")[n % 3], nature=("service", "produit")[n % 2],
                      category=f"{prefix} catégorie {n % 7}",
                      account=("", "706000")[n % 2])
        if partial and n % 4 == 1:
            row["category"] = ""
        if partial and n % 4 == 2:
            row["account"] = ""
        rows.append(row)
    return rows


def _contact_rows(count, prefix, shift=0):
    """`count` contacts whose optional cells are empty here and there, in many
    different patterns (`shift` moves them: an update leaves others empty)."""
    rows = []
    for n in range(count):
        m = n + shift
        rows.append({
            "is_company": ("", "Société", "Particulier")[m % 3],
            # The key (name, first name, postcode) stays; the other cells move.
            "name": f"Client {prefix}{n:05d}", "first_name": f"Prénom {n}" if n % 4 else "",
            "address_line1": f"{n} rue du Port" if m % 2 else "",
            "address_line2": "Bâtiment B" if m % 5 == 0 else "",
            "postcode": f"{69000 + n % 10}" if n % 6 else "", "city": "Lyon" if m % 7 else "",
            "email": f"client{n}@example.fr" if m % 3 else "",
            "phone": "04 72 00 00 00" if m % 8 else "",
            "auxiliary_account": f"{prefix}{n:05d}" if m % 9 else ""})
    return rows


def _statements_of(world, rows, update, kind_code="articles"):
    data = csv_bytes(kind_code, rows)
    with Statements() as statements:
        outcome = run(world, world.a1, kind_code, data=data, update=update)
    db.session.commit()
    assert outcome.ok
    return len(statements.sent), outcome


def _more_inserts_for_2000_rows() -> int:
    """SQLite: a multi-row INSERT per 1,000 rows (SQLAlchemy's insertmanyvalues), so
    one more for 2,000 rows than for 200. PostgreSQL: one INSERT from arrays."""
    return 0 if db.engine.dialect.name == "postgresql" else 1


def test_the_number_of_statements_does_not_grow_with_the_rows(ctx):
    world = ctx
    _client_plan(world.a1)
    created = {}
    updated = {}
    for count, prefix in ((200, "S"), (2000, "L")):
        created[count], outcome = _statements_of(world, _article_rows(count, prefix), False)
        assert outcome.created == count
        # The same rows again, updated, some cells left empty.
        rows = _article_rows(count, prefix, partial=True)
        for row in rows:
            row["label"] += " (modifié)"
        updated[count], outcome = _statements_of(world, rows, True)
        assert outcome.updated == count
    # Everything is a fixed number of statements per chunk (5,000 rows; 50,000 on
    # PostgreSQL); a statement per row would add 1,800.
    assert created[200] <= 16, created
    assert created[2000] - created[200] == _more_inserts_for_2000_rows(), created
    assert updated[200] <= 16, updated
    assert updated[2000] == updated[200], updated
    assert db.session.scalar(select(func.count()).select_from(Article)) == 2200
    assert db.session.scalar(select(func.count()).select_from(ArticleCategory)) == 14


def test_contacts_with_scattered_empty_cells_take_no_more_statements(ctx):
    world = ctx
    created = {}
    updated = {}
    for count, prefix in ((200, "S"), (2000, "L")):
        created[count], outcome = _statements_of(world, _contact_rows(count, prefix), False,
                                                 "contacts")
        assert outcome.created == count
        updated[count], outcome = _statements_of(world, _contact_rows(count, prefix, 5), True,
                                                 "contacts")
        assert outcome.updated == count
    assert created[200] <= 12, created
    assert created[2000] - created[200] == _more_inserts_for_2000_rows(), created
    assert updated[200] <= 12, updated
    assert updated[2000] == updated[200], updated
    # Empty cells kept the values of the first import; typed ones replaced them.
    contacts = {c.name: c for c in db.session.scalars(select(Contact))}
    assert len(contacts) == 2200
    first, again = _contact_rows(2000, "L")[1234], _contact_rows(2000, "L", 5)[1234]
    stored = contacts["Client L01234"]
    for key in ("address_line1", "address_line2", "city", "email", "phone",
                "auxiliary_account"):
        assert getattr(stored, key) == (again[key] or first[key] or None), key


# The cyclic garbage collector during an import ------------------------------------------

def _record_collector_state(monkeypatch, seen):
    """Each stage of the import notes whether the collector runs, then does its work."""
    from app.imports import service

    for owner, name in ((service, "read_file"), (service, "build_context"),
                        (service, "validate"), (service._Writer, "write_articles")):
        original = getattr(owner, name)

        def noted(*args, _original=original, _name=name, **kwargs):
            seen.append((_name, gc.isenabled()))
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, noted)


def test_the_collector_is_paused_while_an_import_runs_and_resumes_after(ctx, monkeypatch):
    world = ctx
    seen = []
    _record_collector_state(monkeypatch, seen)
    assert gc.isenabled()
    outcome = run(world, world.a1, "articles", [article("A", "Vis"), article("B", "Écrou")])
    assert outcome.created == 2
    assert seen == [("read_file", False), ("build_context", False), ("validate", False),
                    ("write_articles", False)]
    assert gc.isenabled()

    seen.clear()
    with pytest.raises(ImportRefused):
        run(world, world.a1, "articles", [article("C", "Clou", price="abc")])
    assert [stage for stage, _ in seen] == ["read_file", "build_context", "validate"]
    assert not any(running for _, running in seen)
    assert gc.isenabled()


def test_the_collector_resumes_when_the_last_of_overlapping_imports_ends():
    from app.imports.reading import paused_gc

    first_entered, second_entered, first_left = (threading.Event() for _ in range(3))
    states = {}

    def first():
        with paused_gc():
            first_entered.set()
            second_entered.wait(5)
        first_left.set()

    def second():
        first_entered.wait(5)
        with paused_gc():
            second_entered.set()
            first_left.wait(5)
            states["after the first ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert states == {"after the first ended": False}
    assert gc.isenabled()


def test_a_collector_turned_off_before_the_import_stays_off():
    from app.imports.reading import paused_gc

    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
