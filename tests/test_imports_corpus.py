"""Every file of the corpus (tests/import_corpus, its README) sent to
app.imports.service.run_import for a client of cabinet A with the « pcg » plan,
on SQLite and on PostgreSQL: a bad file raises FileRefused or ImportRefused
with its exact message(s) and writes nothing — contact, article,
article_category, their history tables and import_record are counted before
and after, in the import's own transaction and after it —; a good file writes
exactly its records. Then the same file sent twice: refused by default, an
update when asked."""
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy_continuum import version_class

from app.extensions import db
from app.imports.reading import FileRefused, Limits
from app.imports.service import ImportRefused, run_import
from app.imports.validation import problem_sentence
from app.models import AccountingPlan, Article, ArticleCategory, Client, Contact
from app.models.imports import ImportRecord
from app.models.versioning import transaction_class
from app.plans.copying import apply_plan
from conftest import seed_world, wipe
from import_corpus.build_corpus import BY_NAME, CORPUS, FIELDS, corpus_bytes

MODELS = {"contacts": Contact, "articles": Article}


def gettext(msgid):
    return msgid


def _apply_pcg(app, client_id):
    with app.app_context():
        pcg = db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()
        apply_plan(db.session, pcg, db.session.get(Client, client_id))
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="module")
def corpus_world(app):
    """The two cabinets of tests/conftest.py, a1 with the « pcg » plan: seeded once
    per database for the whole corpus, as every test rolls its import back."""
    wipe(app)
    world = seed_world(app)
    _apply_pcg(app, world.a1)
    return world


@pytest.fixture
def dossier(app, world):
    """A fresh world (tests/conftest.py) whose client a1 has the « pcg » plan."""
    _apply_pcg(app, world.a1)
    return world


def _tables():
    tables = [Contact, Article, ArticleCategory, ImportRecord, transaction_class()]
    return [model.__table__ for model in tables] + [
        version_class(model).__table__ for model in (Contact, Article, ArticleCategory)]


def counts(session):
    return {table.name: session.scalar(select(func.count()).select_from(table)
                                       .execution_options(skip_tenant_scope=True))
            for table in _tables()}


def _run(session, client_id, case, update_existing=False, data=None):
    return run_import(session, client_id, case.kind,
                      corpus_bytes(case) if data is None else data, case.name,
                      update_existing=update_existing, user_id=None, user_name="Corpus",
                      gettext=gettext, limits=Limits())


def stored_rows(session, kind, client_id):
    """The client's records, oldest first, as `Case.rows` lists them."""
    if kind == "contacts":
        return [tuple(getattr(contact, name) for name in FIELDS["contacts"]) for contact in
                session.scalars(select(Contact).where(Contact.client_id == client_id)
                                .order_by(Contact.id))]
    rows = []
    for article in session.scalars(select(Article).where(Article.client_id == client_id)
                                   .order_by(Article.id)):
        values = {name: getattr(article, name) for name in FIELDS["articles"]
                  if name != "category"}
        values["category"] = article.category.name if article.category else None
        # SQLite may give back a Numeric as a float-born Decimal: compare to the cent.
        for name in ("unit_price_ht", "vat_rate"):
            values[name] = D(str(values[name])).quantize(D("0.01"))
        rows.append(tuple(values[name] for name in FIELDS["articles"]))
    return rows


def _category_names(session, client_id):
    return [category.name for category in session.scalars(
        select(ArticleCategory).where(ArticleCategory.client_id == client_id)
        .order_by(ArticleCategory.id))]


@pytest.mark.parametrize("case", [case for case in CORPUS if not case.accepted],
                         ids=lambda case: case.name)
def test_each_bad_file_gives_its_message_and_writes_nothing(app, corpus_world, case):
    with app.app_context():
        session = db.session
        before = counts(session)
        try:
            if case.refusal:
                with pytest.raises(FileRefused) as caught:
                    _run(session, corpus_world.a1, case)
                assert caught.value.message == case.refusal
            else:
                with pytest.raises(ImportRefused) as caught:
                    _run(session, corpus_world.a1, case)
                refused = caught.value
                plan = refused.outcome.plan
                assert tuple(problem_sentence(problem, gettext) for problem in plan.problems) \
                    == case.problems
                lines, total = len(plan.rejected_lines), len(refused.outcome.table.rows)
                assert str(refused) == (
                    f"Import refusé : {lines} ligne(s) sur {total} comporte(nt) "
                    f"{len(case.problems)} problème(s). Rien n'a été écrit.")
                record = refused.record
                assert (record.status, record.rows_created, record.rows_rejected,
                        record.rows_total) == ("refused", 0, lines, total)
                assert record not in session
            # Nothing written in the import's own transaction…
            assert counts(session) == before
        finally:
            session.rollback()
        # … nor once it is over.
        assert counts(session) == before
        db.session.remove()


@pytest.mark.parametrize("case", [case for case in CORPUS if case.accepted],
                         ids=lambda case: case.name)
def test_each_good_file_writes_its_records(app, corpus_world, case):
    client_id = corpus_world.a1
    with app.app_context():
        session = db.session
        before = counts(session)
        try:
            outcome = _run(session, client_id, case)
            session.flush()
            assert (outcome.created, outcome.updated, outcome.rejected) == (len(case.rows), 0, 0)
            assert stored_rows(session, case.kind, client_id) == list(case.rows)
            assert _category_names(session, client_id) == list(case.categories)
            record = outcome.record
            assert (record.status, record.rows_total, record.rows_created,
                    record.detected_format, record.detected_encoding,
                    record.detected_separator) == (
                "imported", len(case.rows), len(case.rows), case.detected["format"],
                case.detected["encoding"], case.detected["separator"])
            after = counts(session)
            model = MODELS[case.kind]
            assert after[model.__tablename__] - before[model.__tablename__] == len(case.rows)
            # Each record created is in the history of the accounting settings, once.
            version = version_class(model).__table__.name
            assert after[version] - before[version] == len(case.rows)
            assert after["article_category"] - before["article_category"] == \
                len(case.categories)
            assert after["import_record"] - before["import_record"] == 1
            assert after["accounting_transaction"] - before["accounting_transaction"] == 1
            # Nothing in the other dossiers.
            assert stored_rows(session, case.kind, corpus_world.a2) == []
        finally:
            session.rollback()
        assert counts(session) == before
        db.session.remove()


# The same file twice ----------------------------------------------------------------------

def test_a_file_sent_twice_is_refused_then_updates_when_asked(app, dossier):
    case = BY_NAME["good_contacts_windows1252.csv"]
    client_id = dossier.a1
    with app.app_context():
        session = db.session
        _run(session, client_id, case)
        session.commit()
        first = stored_rows(session, "contacts", client_id)
        ids = session.scalars(select(Contact.id).where(Contact.client_id == client_id)
                              .order_by(Contact.id)).all()
        before = counts(session)
        with pytest.raises(ImportRefused) as caught:
            _run(session, client_id, case)
        assert [problem_sentence(problem, gettext)
                for problem in caught.value.outcome.plan.problems] == [
            "Ligne 2, colonne « SIREN » : Le dossier a déjà un client facturé avec le SIREN "
            "542 051 180 : cochez « Mettre à jour ceux qui existent déjà » pour le modifier, "
            "ou retirez la ligne.",
            "Ligne 3, colonne « Nom ou raison sociale » : Le dossier a déjà un client facturé "
            "« Cœur » avec ce prénom et ce code postal : cochez « Mettre à jour ceux qui "
            "existent déjà » pour le modifier, ou retirez la ligne.",
            "Ligne 4, colonne « Nom ou raison sociale » : Le dossier a déjà un client facturé "
            "« Société Générale d'Études » avec ce prénom et ce code postal : cochez « Mettre à "
            "jour ceux qui existent déjà » pour le modifier, ou retirez la ligne.",
        ]
        session.rollback()
        assert counts(session) == before

        # Asked to update: the same three records, changed; an empty cell keeps its value.
        changed = corpus_bytes(case).replace(b"contact@lefevre.fr", b"compta@lefevre.fr") \
            .replace(b"Orl\xe9ans", b"")
        outcome = _run(session, client_id, case, update_existing=True, data=changed)
        assert (outcome.created, outcome.updated) == (0, 3)
        session.commit()
        assert session.scalars(select(Contact.id).where(Contact.client_id == client_id)
                               .order_by(Contact.id)).all() == ids
        now = stored_rows(session, "contacts", client_id)
        assert now[0] == first[0][:8] + ("compta@lefevre.fr",) + first[0][9:]
        assert now[1:] == first[1:]  # « Orléans » kept: the cell was empty
        after = counts(session)
        assert after["contact"] == before["contact"]
        assert after["import_record"] == before["import_record"] + 1
        db.session.remove()


def test_an_article_file_sent_twice_finds_its_categories(app, dossier):
    case = BY_NAME["good_articles_utf8_bom_semicolons.csv"]
    client_id = dossier.a1
    with app.app_context():
        session = db.session
        _run(session, client_id, case)
        session.commit()
        outcome = _run(session, client_id, case, update_existing=True)
        assert (outcome.created, outcome.updated, outcome.plan.new_categories) == (0, 5, [])
        session.commit()
        assert _category_names(session, client_id) == ["Prestations", "Matériel"]
        assert stored_rows(session, "articles", client_id) == list(case.rows)
        db.session.remove()


def test_a_client_without_a_plan_takes_the_default_plans_rates(app, world):
    """Without a plan of its own, the rates of the default plans are allowed
    (8,5 % is overseas), and no account is checked against a plan."""
    case = BY_NAME["good_articles_commas_points.csv"]
    data = corpus_bytes(case).replace(b",5.5,,706", b",8.5,,706999")
    with app.app_context():
        session = db.session
        outcome = _run(session, world.a1, case, data=data)
        session.commit()
        rows = stored_rows(session, "articles", world.a1)
        assert [(row[0], row[4], row[6]) for row in rows] == [
            ("REF-10", D("20.00"), "707000"), ("REF-11", D("10.00"), None),
            ("REF-12", D("8.50"), "706999")]
        assert outcome.created == 3
        db.session.remove()
