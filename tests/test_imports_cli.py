"""`flask import-data` (app/cli.py): a client's contacts or articles imported from
the command line, the report printed in French, a non-zero exit and nothing
written when the file is refused, the refused attempt recorded. Both databases."""
import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.imports.columns import KINDS
from app.models import Article, Contact
from app.models.imports import IMPORT_STATUS_LABELS, ImportRecord
from conftest import article_label_refused, update_client


def csv_file(path, kind_code, rows, separator=";", encoding="utf-8"):
    kind = KINDS[kind_code]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(kind.headers)
    for row in rows:
        writer.writerow([row.get(key, "") for key in kind.keys])
    path.write_bytes(out.getvalue().encode(encoding))
    return str(path)


def article(reference, label, price="10", rate="20", nature="service", category=""):
    return {"reference": reference, "label": label, "nature": nature,
            "unit_price_ht": price, "vat_rate": rate, "category": category}


CONTACTS = [
    {"is_company": "Société", "name": "Dupont Rénovation", "postcode": "69003",
     "city": "Lyon", "siren": "732829320", "auxiliary_account": "DUPONT"},
    {"is_company": "Particulier", "name": "Martin", "first_name": "Claire",
     "postcode": "75016", "city": "Paris"},
]


@pytest.fixture
def invoke(app, world):
    runner = app.test_cli_runner()

    def call(*args):
        return runner.invoke(args=["import-data", *args])
    return call


def _records(app, client_id):
    with app.app_context():
        records = db.session.scalars(select(ImportRecord).where(
            ImportRecord.client_id == client_id).order_by(ImportRecord.id)).all()
        db.session.expunge_all()
        return records


def _count(app, model, client_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)
                                 .where(model.client_id == client_id))


def test_imports_a_good_csv_and_prints_the_report(app, world, invoke, tmp_path):
    path = csv_file(tmp_path / "contacts.csv", "contacts", CONTACTS)
    result = invoke("--client", "A001", "--kind", "contacts", "--file", path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Fichier « contacts.csv » : CSV, encodage UTF-8, séparateur « ; ».",
        "Lignes lues : 2.",
        "Import terminé dans le dossier A001 (« Alpha Un SARL ») : 2 créé(s), 0 mis à jour, "
        "0 refusé(s).",
    ]
    with app.app_context():
        contacts = db.session.scalars(select(Contact).where(Contact.client_id == world.a1)
                                      .order_by(Contact.id)).all()
        assert [(c.name, c.is_company, c.auxiliary_account) for c in contacts] == [
            ("Dupont Rénovation", True, "DUPONT"), ("Martin", False, None)]
    (record,) = _records(app, world.a1)
    assert (record.kind, record.file_name, record.status, record.user_id, record.user_name,
            record.rows_total, record.rows_created, record.rows_updated, record.rows_rejected,
            record.update_existing, record.detected_format, record.detected_separator) == (
        "contacts", "contacts.csv", "imported", None, "Ligne de commande", 2, 2, 0, 0, False,
        "csv", ";")
    assert _count(app, Contact, world.b1) == 0


def test_imports_an_xlsx_workbook(app, world, invoke, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(list(KINDS["articles"].headers))
    book.active.append(["ART-001", "Audit énergétique", "service", 450, 20, "Prestations", None])
    book.save(tmp_path / "articles.xlsx")
    result = invoke("--client", "A001", "--kind", "articles", "--file",
                    str(tmp_path / "articles.xlsx"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Fichier « articles.xlsx » : classeur XLSX."
    with app.app_context():
        (item,) = db.session.scalars(select(Article)).all()
        assert (item.label, item.unit_price_ht, item.client_id) == (
            "Audit énergétique", Decimal("450.00"), world.a1)


def test_a_refused_file_exits_non_zero_writes_nothing_and_is_recorded(app, world, invoke,
                                                                       tmp_path):
    path = csv_file(tmp_path / "articles.csv", "articles", [
        article("A1", "Bon", category="Nouvelle"),
        article("A2", "Mauvais prix", price="abc"),
        article("A3", "Mauvaise nature", nature="logiciel"),
    ], separator="\t", encoding="cp1252")
    result = invoke("--client", "A001", "--kind", "articles", "--file", path)
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "Fichier « articles.csv » : CSV, encodage Windows-1252, séparateur « tabulation ».",
        "Lignes lues : 3.",
        "Ligne 3, colonne « Prix unitaire HT » : « abc » n'est pas un prix valide : écrivez "
        "un nombre, par exemple 1234,56.",
        "Ligne 4, colonne « Nature » : « logiciel » n'est pas une nature : écrivez « produit » "
        "ou « service ».",
        "Import refusé : 2 ligne(s) sur 3 comporte(nt) 2 problème(s). Rien n'a été écrit.",
    ]
    assert _count(app, Article, world.a1) == 0
    with app.app_context():
        from app.models import ArticleCategory

        assert db.session.scalar(select(func.count()).select_from(ArticleCategory)) == 0
    (record,) = _records(app, world.a1)
    assert (record.status, record.file_name, record.user_name, record.user_id,
            record.rows_total, record.rows_created, record.rows_rejected,
            record.detected_encoding, record.detected_separator) == (
        "refused", "articles.csv", "Ligne de commande", None, 3, 0, 2, "Windows-1252",
        "tabulation")
    assert IMPORT_STATUS_LABELS[record.status] == "refusé"


def test_at_most_two_hundred_problems_are_printed(app, world, invoke, tmp_path):
    path = csv_file(tmp_path / "articles.csv", "articles",
                    [article(f"R{n}", f"Article {n}", price="-1") for n in range(250)])
    result = invoke("--client", "A001", "--kind", "articles", "--file", path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    problems = [line for line in lines if line.startswith("Ligne ")]
    assert len(problems) == 200
    assert problems[0] == ("Ligne 2, colonne « Prix unitaire HT » : « -1 » n'est pas un prix "
                           "valide : il doit être positif ou nul.")
    assert lines[-2:] == [
        "… et 50 autre(s) problème(s).",
        "Import refusé : 250 ligne(s) sur 250 comporte(nt) 250 problème(s). Rien n'a été écrit."]
    assert _count(app, Article, world.a1) == 0


def test_update_option(app, world, invoke, tmp_path):
    with app.app_context():
        db.session.add(Article(client_id=world.a1, reference="ART-001", label="Audit",
                               nature="services", unit_price_ht=Decimal("450"),
                               vat_rate=Decimal("20"), account="706000"))
        db.session.commit()
    path = csv_file(tmp_path / "articles.csv", "articles", [
        article("ART-001", "Audit complet", price="500"), article("ART-002", "Pose")])
    refused = invoke("--client", "A001", "--kind", "articles", "--file", path)
    assert refused.exit_code == 1
    assert ("Ligne 2, colonne « Référence » : Le dossier a déjà un article de référence "
            "« ART-001 » : cochez « Mettre à jour ceux qui existent déjà » pour le modifier, "
            "ou retirez la ligne.") in refused.output.splitlines()
    assert _count(app, Article, world.a1) == 1

    done = invoke("--client", "A001", "--kind", "articles", "--file", path, "--update")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == (
        "Import terminé dans le dossier A001 (« Alpha Un SARL ») : 1 créé(s), 1 mis à jour, "
        "0 refusé(s).")
    with app.app_context():
        articles = {a.reference: a for a in db.session.scalars(select(Article))}
        assert (articles["ART-001"].label, articles["ART-001"].unit_price_ht,
                articles["ART-001"].account) == ("Audit complet", Decimal("500.00"), "706000")
        assert articles["ART-002"].client_id == world.a1
    assert [(r.status, r.update_existing, r.rows_updated) for r in _records(app, world.a1)] == [
        ("refused", False, 0), ("imported", True, 1)]


def test_unknown_or_ambiguous_dossier_code(app, world, invoke, tmp_path):
    path = csv_file(tmp_path / "contacts.csv", "contacts", CONTACTS)
    unknown = invoke("--client", "ZZZ", "--kind", "contacts", "--file", path)
    assert unknown.exit_code != 0
    assert "Aucun client avec le numéro de dossier « ZZZ »." in unknown.output

    # Dossier codes are unique within a cabinet only.
    update_client(app, world.b1, dossier_code="A001")
    ambiguous = invoke("--client", "A001", "--kind", "contacts", "--file", path)
    assert ambiguous.exit_code != 0
    assert ("Le numéro de dossier « A001 » existe dans plusieurs cabinets : précisez --cabinet "
            "(identifiant ou nom).") in ambiguous.output
    assert _count(app, Contact, world.a1) == _count(app, Contact, world.b1) == 0

    by_name = invoke("--client", "A001", "--cabinet", "Cabinet Bêta", "--kind", "contacts",
                     "--file", path)
    assert by_name.exit_code == 0, by_name.output
    assert "Import terminé dans le dossier A001 (« Bêta Un EURL ») : 2 créé(s)" in by_name.output
    assert (_count(app, Contact, world.a1), _count(app, Contact, world.b1)) == (0, 2)
    by_id = invoke("--client", "A001", "--cabinet", str(world.cabinet_a), "--kind", "contacts",
                   "--file", path)
    assert by_id.exit_code == 0, by_id.output
    assert (_count(app, Contact, world.a1), _count(app, Contact, world.b1)) == (2, 2)
    elsewhere = invoke("--client", "A001", "--cabinet", "Cabinet Gamma", "--kind", "contacts",
                       "--file", path)
    assert elsewhere.exit_code != 0
    assert ("Aucun client avec le numéro de dossier « A001 » dans le cabinet "
            "« Cabinet Gamma ».") in elsewhere.output


def test_a_file_refused_as_a_whole_and_a_missing_file(app, world, invoke, tmp_path):
    header_only = tmp_path / "vide.csv"
    header_only.write_text(";".join(KINDS["contacts"].headers) + "\r\n", encoding="utf-8")
    result = invoke("--client", "A001", "--kind", "contacts", "--file", str(header_only))
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Fichier « vide.csv » refusé : Le fichier ne contient que la ligne d'en-têtes : aucune "
        "ligne à importer. Rien n'a été écrit.")
    # The wrong template: the articles' file sent as contacts.
    path = csv_file(tmp_path / "articles.csv", "articles", [article("A", "B")])
    wrong = invoke("--client", "A001", "--kind", "contacts", "--file", path)
    assert wrong.exit_code == 1
    assert "Ce fichier suit le modèle « Articles », pas celui des « Clients facturés »" \
        in wrong.output
    missing = invoke("--client", "A001", "--kind", "contacts", "--file",
                     str(tmp_path / "absent.csv"))
    assert missing.exit_code != 0
    assert f"Fichier introuvable : « {tmp_path / 'absent.csv'} »." in missing.output
    # No row read: nothing written, nothing recorded.
    assert _records(app, world.a1) == []
    assert _count(app, Contact, world.a1) == 0


@pytest.fixture
def refusing_trigger(app, world):
    """A rule only the database knows: no article labelled « Refusé par la base »."""
    with app.app_context():
        engine = db.engine
    with article_label_refused(engine, app.config["TEST_BACKEND"], "Refusé par la base",
                               "INSERT"):
        yield


def test_a_write_the_database_refuses_leaves_nothing(app, world, invoke, tmp_path,
                                                      refusing_trigger):
    rows = [article(f"R{n}", f"Article {n}", category="Nouvelle") for n in range(1, 1500)]
    rows.append(article("R1500", "Refusé par la base"))
    path = csv_file(tmp_path / "articles.csv", "articles", rows)
    with app.app_context():
        transactions = db.session.execute(text("SELECT count(*) FROM accounting_transaction")
                                          ).scalar_one()
    result = invoke("--client", "A001", "--kind", "articles", "--file", path)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Rien n'a été importé : le dossier a changé pendant l'import (un même enregistrement "
        "a été créé entre-temps). Relancez l'import.")
    with app.app_context():
        from app.models import ArticleCategory

        assert db.session.scalar(select(func.count()).select_from(ArticleCategory)) == 0
        assert db.session.execute(text("SELECT count(*) FROM accounting_transaction")
                                  ).scalar_one() == transactions
    assert _count(app, Article, world.a1) == 0
    assert _records(app, world.a1) == []
