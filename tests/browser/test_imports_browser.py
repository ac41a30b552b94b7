"""Importing articles as a collaborator does it, in Chromium (issue 8): download the
template, fill three rows (one wrong), upload, read the report, fix the row, import,
and find the three articles in the client's space; the same file again is refused,
each article already in the dossier."""
import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.demo import seed_demo
from app.extensions import db
from app.imports.columns import KINDS
from app.models import AccountingPlan, AppUser, Client
from app.plans.copying import apply_plan
from app.plans.defaults import sync_default_plans
from conftest import browser_login, wipe

pytestmark = pytest.mark.browser
PASSWORD = "Passerelle-2026"
ARTICLES = [
    {"reference": "IMP-001", "label": "Audit énergétique", "nature": "service",
     "unit_price_ht": "450,00", "vat_rate": "20", "category": "Prestations importées"},
    {"reference": "IMP-002", "label": "Thermostat connecté", "nature": "produit",
     "unit_price_ht": "129,90", "vat_rate": "20", "category": "Matériel importé"},
    {"reference": "IMP-003", "label": "Déplacement", "nature": "service",
     "unit_price_ht": "-35", "vat_rate": "20", "category": ""},
]


@pytest.fixture
def client_id(app):
    wipe(app)
    with app.app_context():
        seed_demo(app.appbuilder.sm, db.session, password=PASSWORD, seed=5, clients=12,
                  today=dt.date(2026, 11, 27), invoicing=False)
        sync_default_plans(db.session)
        # The first client of collaborateur's cabinet, with the PCG as its own plan: the
        # rates (20 % among them) and accounts the import checks are the client's.
        collaborateur = db.session.scalar(select(AppUser).where(
            AppUser.username == "collaborateur"))
        client = db.session.scalars(select(Client).where(
            Client.cabinet_id == collaborateur.cabinet_id).order_by(Client.id)).first()
        pcg = db.session.scalars(select(AccountingPlan).where(
            AccountingPlan.code == "pcg")).one()
        apply_plan(db.session, pcg, client)
        db.session.commit()
        found = client.id
        db.session.remove()
    assert found is not None
    return found


def fill_template(path, rows):
    """Replace the template's example rows by `rows`, each value under its header."""
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    keys = {column.header: column.key for column in KINDS["articles"].columns}
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append([row.get(keys.get(header), "") or None for header in headers])
    workbook.save(path)


def test_import_articles_fix_the_wrong_row_and_find_them(client_id, live_server, page,
                                                         screenshot, tmp_path):
    browser_login(page, live_server, "collaborateur", PASSWORD)
    page.goto(f"{live_server}/clients/{client_id}/?onglet=imports")
    page.click("text=Importer des contacts ou des articles")
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.click("#import-articles a:has-text('XLSX')")
    template = tmp_path / "articles.xlsx"
    download.value.save_as(template)
    assert load_workbook(template).sheetnames[1] == "Mode d'emploi"

    fill_template(template, ARTICLES)
    page.set_input_files("#file-articles", str(template))
    page.click("#import-articles button:has-text('Vérifier le fichier')")
    page.wait_for_load_state()
    problems = page.locator("table.import-problems tbody tr")
    assert problems.count() == 1
    assert "4" == problems.first.locator("td").first.inner_text().strip()
    assert "Prix unitaire HT" in problems.first.inner_text()
    assert page.locator("button:has-text('Importer')").is_disabled()
    screenshot("imports-report")
    with page.expect_download() as download:
        page.click("text=Télécharger les lignes refusées")
    report = tmp_path / "refusees.xlsx"
    download.value.save_as(report)
    rejected = list(load_workbook(report).worksheets[0].iter_rows(values_only=True))
    assert rejected[0][-2:] == ("Ligne d'origine", "Motif du refus")
    assert len(rejected) == 2 and rejected[1][1] == "Déplacement" and rejected[1][-2] == 4
    assert "positif ou nul" in rejected[1][-1]

    fixed = [dict(row) for row in ARTICLES]
    fixed[2]["unit_price_ht"] = "35"
    fill_template(template, fixed)
    page.click("text=Abandonner et revenir aux imports")
    page.wait_for_load_state()
    page.set_input_files("#file-articles", str(template))
    page.click("#import-articles button:has-text('Vérifier le fichier')")
    page.wait_for_load_state()
    assert page.locator("table.import-problems").count() == 0
    assert page.locator(".import-count-create").inner_text().strip() == "3"
    assert page.locator("table.import-rows tbody tr").count() == 3
    screenshot("imports-preview-valid")
    page.click("button:has-text('Importer')")
    page.wait_for_load_state()
    assert "Import terminé : 3 créé(s), 0 mis à jour." in page.inner_text(".alert-success")
    screenshot("imports-done")

    page.goto(f"{live_server}/clients/{client_id}/compte")
    page.goto(f"{live_server}/espace/articles/list/?psize_ArticleView=100")
    listing = page.inner_text("body")
    for row in ARTICLES:
        assert row["label"] in listing, row["label"]
    screenshot("imports-articles-in-space")

    # The same file again: each article is already in the dossier, and the report shows
    # each reference whole beside its long reason (the value column was squeezed to a
    # letter: « IMP-00|1 »).
    page.goto(f"{live_server}/clients/{client_id}/?onglet=imports")
    page.click("text=Importer des contacts ou des articles")
    page.wait_for_load_state()
    page.set_input_files("#file-articles", str(template))
    page.click("#import-articles button:has-text('Vérifier le fichier')")
    page.wait_for_load_state()
    problems = page.locator("table.import-problems tbody tr")
    assert problems.count() == 3
    assert "Mettre à jour ceux qui existent déjà" in problems.first.inner_text()
    values = problems.locator("code.import-value")
    assert values.all_inner_texts() == ["IMP-001", "IMP-002", "IMP-003"]
    line_height = values.first.evaluate(
        "element => parseFloat(getComputedStyle(element).lineHeight)")
    assert all(values.nth(i).bounding_box()["height"] < 1.5 * line_height for i in range(3))
    screenshot("imports-report-same-file")
