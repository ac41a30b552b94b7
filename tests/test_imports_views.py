"""The « Imports » screens (app/views/imports.py) for every role, on both databases:
who may import into which dossier, the templates, the check → preview → confirm flow
that writes all the rows or none, the rejected rows, the uploads kept for their sender
only, and the history on the client sheet."""
import html
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from conftest import update_client
from app.extensions import db
from app.imports.columns import KINDS
from app.models import Article, ArticleCategory, Contact, ImportRecord, ImportUpload

CONTACTS_HEADER = ";".join(KINDS["contacts"].headers)
ARTICLES_HEADER = ";".join(KINDS["articles"].headers)
GOOD_CONTACTS = CONTACTS_HEADER + "\r\n" + "\r\n".join([
    "Société;Boulangerie Lefèvre;;3 place du Marché;;69002;Lyon;FR;compta@lefevre.fr;;"
    "732829320;FR44732829320;LEFEVRE",
    "Particulier;Martin;Élodie;5 avenue Foch;;75016;Paris;FR;elodie@example.fr;;;;",
]) + "\r\n"
BAD_ARTICLES = ARTICLES_HEADER + "\r\n" + "\r\n".join([
    "ART-1;Audit énergétique;service;450,00;20;Prestations;",
    "ART-2;Thermostat;produit;-3;20;Matériel;",
    "ART-3;Pose;service;80;7;Prestations;",
]) + "\r\n"
GOOD_ARTICLES = BAD_ARTICLES.replace(";-3;", ";3;").replace(";80;7;", ";80;10;")
PREVIEW_RE = re.compile(r"/imports/client/(\d+)/apercu/(\d+)\?token=([\w-]+)")


def text_of(response):
    """The page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def counts(app, client_id):
    with app.app_context():
        result = {model.__name__: db.session.scalar(
            select(func.count()).select_from(model).where(model.client_id == client_id))
            for model in (Contact, Article, ArticleCategory, ImportRecord, ImportUpload)}
        db.session.remove()
    return result


def records(app, client_id):
    with app.app_context():
        rows = db.session.scalars(select(ImportRecord).where(
            ImportRecord.client_id == client_id).order_by(ImportRecord.id)).all()
        result = [(row.kind, row.file_name, row.status, row.rows_created, row.rows_updated,
                   row.rows_rejected, row.user_name) for row in rows]
        db.session.remove()
    return result


def check(user, client_id, kind, text, name="fichier.csv", update=False, encoding="utf-8"):
    """POSTs the file to « Vérifier le fichier » as the form does."""
    data = {"kind": kind, "file": (io.BytesIO(text.encode(encoding)), name),
            "csrf_token": user.csrf(f"/imports/client/{client_id}/")}
    if update:
        data["update_existing"] = "1"
    return user.client.post(f"/imports/client/{client_id}/verifier", data=data,
                            content_type="multipart/form-data")


def preview_of(response):
    """(path of the preview, upload id, token) from the redirect of a check."""
    assert response.status_code == 302, response.text[:800]
    match = PREVIEW_RE.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(0), int(match.group(2)), match.group(3)


def confirm(user, client_id, upload_id, token):
    return user.client.post(f"/imports/client/{client_id}/importer/{upload_id}", data={
        "token": token, "csrf_token": user.csrf(f"/imports/client/{client_id}/")})


# Who may import where ---------------------------------------------------------------

@pytest.mark.parametrize("login, target, status", [
    ("owner_a", "a1", 200), ("admin_a", "a2", 200), ("collab_a", "a2", 200),
    ("restricted_a", "a1", 200), ("restricted_a", "a2", 404),
    ("owner_b", "a1", 404), ("collab_b", "a2", 404), ("collab_b", "b1", 200),
    ("client_a1", "a1", 404), ("client_a1", "a2", 404),
])
def test_the_imports_page_exists_only_for_the_clients_the_user_may_import_into(
        world, browser, login, target, status):
    response = browser(login).get(f"/imports/client/{getattr(world, target)}/")
    assert response.status_code == status
    if status == 200:
        assert "Vérifier le fichier" in response.text
        assert "Clients facturés" in response.text and "Articles" in response.text


def test_the_client_user_imports_into_its_own_dossier_only_when_the_firm_allows_it(
        app, world, browser):
    user = browser("client_a1")
    assert user.get("/imports/mon-dossier").status_code == 404
    assert "/imports/mon-dossier" not in user.get("/espace/", follow_redirects=True).text
    update_client(app, world.a1, client_can_edit_accounting=True)
    assert "/imports/mon-dossier" in user.get("/espace/", follow_redirects=True).text
    response = user.get("/imports/mon-dossier")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/imports/client/{world.a1}/")
    page = user.get(f"/imports/client/{world.a1}/")
    assert page.status_code == 200 and "Liste clients" not in page.text
    assert user.get(f"/imports/client/{world.a2}/").status_code == 404
    preview, upload_id, token = preview_of(check(user, world.a1, "contacts", GOOD_CONTACTS))
    assert confirm(user, world.a1, upload_id, token).status_code == 302
    assert counts(app, world.a1)["Contact"] == 2
    assert records(app, world.a1)[0][6] == "Carla Client"


def test_staff_have_no_own_dossier_entry(world, browser):
    assert browser("collab_a").get("/imports/mon-dossier").status_code == 404


def test_a_hidden_client_is_refused_on_every_import_route_and_nothing_is_written(
        app, world, browser):
    owner_a = browser("owner_a")
    _, upload_id, token = preview_of(check(owner_a, world.a2, "articles", GOOD_ARTICLES))
    before = counts(app, world.a2)
    intruder = browser("restricted_a")
    csrf = intruder.csrf(f"/imports/client/{world.a1}/")
    base = f"/imports/client/{world.a2}"
    for path in (f"{base}/", f"{base}/modele/articles.xlsx", f"{base}/modele/contacts.csv",
                 f"{base}/apercu/{upload_id}?token={token}",
                 f"{base}/apercu/{upload_id}/lignes-refusees.xlsx?token={token}"):
        assert intruder.get(path).status_code == 404, path
    for path in (f"{base}/importer/{upload_id}", f"{base}/annuler/{upload_id}"):
        assert intruder.client.post(path, data={"token": token, "csrf_token": csrf}
                                    ).status_code == 404, path
    response = intruder.client.post(f"{base}/verifier", data={
        "kind": "articles", "csrf_token": csrf,
        "file": (io.BytesIO(GOOD_ARTICLES.encode()), "a.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 404
    assert counts(app, world.a2) == before


def test_an_upload_is_its_senders_only_and_needs_its_token(app, world, browser):
    collab = browser("collab_a")
    _, upload_id, token = preview_of(check(collab, world.a2, "articles", GOOD_ARTICLES))
    base = f"/imports/client/{world.a2}"
    assert collab.get(f"{base}/apercu/{upload_id}?token={token}").status_code == 200
    assert collab.get(f"{base}/apercu/{upload_id}?token=x{token[1:]}").status_code == 404
    assert collab.get(f"{base}/apercu/{upload_id}").status_code == 404
    # Same cabinet, same client visible, but not the sender.
    colleague = browser("admin_a")
    assert colleague.get(f"{base}/apercu/{upload_id}?token={token}").status_code == 404
    assert confirm(colleague, world.a2, upload_id, token).status_code == 404
    # The upload named under another client of the same sender.
    assert collab.get(f"/imports/client/{world.a1}/apercu/{upload_id}?token={token}"
                      ).status_code == 404
    assert counts(app, world.a2)["Article"] == 0


# Templates --------------------------------------------------------------------------

def test_the_templates_download_in_xlsx_with_their_manual_and_in_csv(world, browser):
    user = browser("collab_a")
    response = user.get(f"/imports/client/{world.a1}/modele/articles.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Articles", "Mode d'emploi"]
    header = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True))
    assert header == KINDS["articles"].headers
    manual = "\n".join(str(cell) for row in workbook["Mode d'emploi"].iter_rows(values_only=True)
                       for cell in row if cell)
    for column in KINDS["articles"].columns:
        assert column.header in manual
    assert "produit" in manual and "service" in manual and "20" in manual

    csv = user.get(f"/imports/client/{world.a1}/modele/contacts.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.data.decode("utf-8-sig")
    assert text.splitlines()[0] == CONTACTS_HEADER
    assert len(text.splitlines()) >= 2
    assert user.get(f"/imports/client/{world.a1}/modele/contacts.pdf").status_code == 404
    assert user.get(f"/imports/client/{world.a1}/modele/factures.csv").status_code == 404


# Check, preview, confirm ------------------------------------------------------------

def test_a_file_with_problems_is_previewed_with_each_problem_and_cannot_be_imported(
        app, world, browser):
    user = browser("collab_a")
    path, upload_id, token = preview_of(check(user, world.a2, "articles", BAD_ARTICLES,
                                              name="articles mars.csv"))
    page = user.get(path)
    assert page.status_code == 200
    text = text_of(page)
    assert "2 problèmes empêchent l'import" in text
    assert "Prix unitaire HT" in text and "Taux de TVA" in text
    assert "« -3 » n'est pas un prix valide : il doit être positif ou nul." in text
    assert re.search(r'<button type="submit" class="btn btn-primary" disabled', page.text)

    report = user.get(f"/imports/client/{world.a2}/apercu/{upload_id}/lignes-refusees.xlsx"
                      f"?token={token}")
    assert report.status_code == 200
    assert "articles mars-lignes-refusees.xlsx" in report.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(report.data)).worksheets[0].iter_rows(values_only=True))
    assert [row[-2] for row in rows[1:]] == [3, 4]
    assert "Prix unitaire HT" in rows[1][-1] and "Taux de TVA" in rows[2][-1]

    before = counts(app, world.a2)
    refused = confirm(user, world.a2, upload_id, token)
    assert refused.status_code == 409
    assert "Rien n'a été importé" in text_of(refused)
    after = counts(app, world.a2)
    assert after["Article"] == before["Article"] == 0
    assert after["ArticleCategory"] == 0
    assert records(app, world.a2) == [("articles", "articles mars.csv", "refused", 0, 0, 2,
                                       "Collab A")]


def test_a_valid_file_is_previewed_then_imported_in_full_and_recorded(app, world, browser):
    user = browser("collab_a")
    path, upload_id, token = preview_of(check(user, world.a2, "articles", GOOD_ARTICLES))
    page = user.get(path)
    assert "Toutes les lignes sont valides" in text_of(page)
    assert page.text.count('<span class="label label-success">création</span>') == 3
    assert "Catégories créées : Prestations, Matériel." in text_of(page)
    assert counts(app, world.a2)["Article"] == 0  # the preview writes nothing

    done = confirm(user, world.a2, upload_id, token)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/imports/client/{world.a2}/")
    index = user.get(f"/imports/client/{world.a2}/")
    assert "Import terminé : 3 créé(s), 0 mis à jour." in text_of(index)
    assert "importé" in index.text and "fichier.csv" in index.text
    after = counts(app, world.a2)
    assert (after["Article"], after["ArticleCategory"], after["ImportUpload"]) == (3, 2, 0)
    assert records(app, world.a2) == [("articles", "fichier.csv", "imported", 3, 0, 0,
                                       "Collab A")]
    # The upload is gone: confirming again finds nothing.
    assert confirm(user, world.a2, upload_id, token).status_code == 404

    sheet = user.get(f"/clients/{world.a2}/?onglet=imports")
    assert "Derniers imports" in text_of(sheet) and "3 créé(s), 0 mis à jour" in text_of(sheet)


def test_the_same_file_again_reports_duplicates_unless_asked_to_update(app, world, browser):
    user = browser("collab_a")
    _, upload_id, token = preview_of(check(user, world.a1, "contacts", GOOD_CONTACTS))
    confirm(user, world.a1, upload_id, token)
    path, upload_id, token = preview_of(check(user, world.a1, "contacts", GOOD_CONTACTS))
    page = user.get(path)
    assert "2 problèmes empêchent l'import" in text_of(page)
    assert "déjà un client facturé avec le SIREN" in text_of(page)

    changed = GOOD_CONTACTS.replace("compta@lefevre.fr", "factures@lefevre.fr")
    path, upload_id, token = preview_of(check(user, world.a1, "contacts", changed, update=True))
    assert user.get(path).text.count('<span class="label label-info">mise à jour</span>') == 2
    assert confirm(user, world.a1, upload_id, token).status_code == 302
    with app.app_context():
        emails = sorted(db.session.scalars(select(Contact.email).where(
            Contact.client_id == world.a1)))
        db.session.remove()
    assert emails == ["elodie@example.fr", "factures@lefevre.fr"]
    assert [row[2:5] for row in records(app, world.a1)] == [
        ("imported", 2, 0), ("imported", 0, 2)]


@pytest.mark.parametrize("content, name, message", [
    (ARTICLES_HEADER.replace("Nature;Prix unitaire HT", "Prix unitaire HT;Nature") + "\r\n"
     "A;B;service;1;20;;\r\n", "inverse.csv",
     "la colonne 3 (C) est « Prix unitaire HT » alors que le modèle attend « Nature »"),
    (ARTICLES_HEADER + "\r\n", "vide.csv",
     "Le fichier ne contient que la ligne d'en-têtes"),
    ("%PDF-1.4 pas un tableur", "articles.xlsx", "est un document PDF"),
    (CONTACTS_HEADER + "\r\nSociété;X;;;;;;;;;;;\r\n", "contacts.csv",
     "Ce fichier suit le modèle « Clients facturés », pas celui des « Articles »"),
])
def test_a_refused_file_stays_on_the_imports_page_with_its_french_message(
        app, world, browser, content, name, message):
    user = browser("collab_a")
    response = check(user, world.a2, "articles", content, name=name)
    assert response.status_code == 400
    assert message in text_of(response)
    assert counts(app, world.a2) == {"Contact": 0, "Article": 0, "ArticleCategory": 0,
                                     "ImportRecord": 0, "ImportUpload": 0}


def test_a_file_larger_than_the_limit_is_refused_with_its_size(app, world, browser,
                                                                monkeypatch):
    user = browser("collab_a")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 200_000)
    response = check(user, world.a2, "articles", GOOD_ARTICLES + "x" * 300_000)
    assert response.status_code == 400
    assert "Le fichier dépasse la taille maximale de 200 ko : découpez-le en plusieurs fichiers." in text_of(response)
    assert counts(app, world.a2)["ImportUpload"] == 0


@pytest.mark.parametrize("limit, said", [(16_000_000, "16 Mo"), (2_500_000, "2,5 Mo"),
                                          (5_000, "5 ko")])
def test_the_page_states_the_size_limit_in_the_unit_of_its_refusal(app, world, browser,
                                                                   monkeypatch, limit, said):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", limit)
    page = text_of(browser("collab_a").get(f"/imports/client/{world.a2}/"))
    assert f"virgule), {said} et 100 000 lignes au plus." in page.replace("\u202f", " ")


def test_a_request_beyond_the_server_limit_gets_the_french_error_page(app, world, browser,
                                                                      monkeypatch):
    user = browser("collab_a")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 5_000)
    response = check(user, world.a2, "articles", GOOD_ARTICLES + "x" * 10_000)
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.text


def test_no_file_chosen_and_an_unknown_kind(world, browser):
    user = browser("collab_a")
    csrf = user.csrf(f"/imports/client/{world.a2}/")
    response = user.client.post(f"/imports/client/{world.a2}/verifier",
                                data={"kind": "articles", "csrf_token": csrf})
    assert response.status_code == 400 and "Choisissez un fichier à importer." in text_of(response)
    response = user.client.post(f"/imports/client/{world.a2}/verifier", data={
        "kind": "factures", "csrf_token": csrf,
        "file": (io.BytesIO(b"x"), "x.csv")}, content_type="multipart/form-data")
    assert response.status_code == 404


def test_posting_without_the_csrf_token_is_refused(app, world, browser):
    user = browser("collab_a")
    response = user.client.post(f"/imports/client/{world.a2}/verifier", data={
        "kind": "articles", "file": (io.BytesIO(GOOD_ARTICLES.encode()), "a.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert counts(app, world.a2)["ImportUpload"] == 0


def test_cancelling_drops_the_upload_and_writes_nothing(app, world, browser):
    user = browser("collab_a")
    _, upload_id, token = preview_of(check(user, world.a2, "articles", GOOD_ARTICLES))
    assert counts(app, world.a2)["ImportUpload"] == 1
    response = user.client.post(f"/imports/client/{world.a2}/annuler/{upload_id}", data={
        "token": token, "csrf_token": user.csrf(f"/imports/client/{world.a2}/")})
    assert response.status_code == 302
    assert counts(app, world.a2) == {"Contact": 0, "Article": 0, "ArticleCategory": 0,
                                     "ImportRecord": 0, "ImportUpload": 0}


@pytest.mark.parametrize("language, too_big_said, too_long_said", [
    ("fr", "taille maximale de 2,5 Mo :", "la limite est de 1 200 par import"),
    ("en", "maximum size of 2.5 MB:", "the limit is 1,200 per import")])
def test_the_numbers_of_a_refusal_are_written_in_the_users_language(
        app, world, browser, monkeypatch, language, too_big_said, too_long_said):
    user = browser("collab_a")
    user.get(f"/lang/{language}")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 2_500_000)
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 1_200)
    too_big = check(user, world.a2, "articles", GOOD_ARTICLES + "x" * 2_600_000)
    too_long = check(user, world.a2, "articles", ARTICLES_HEADER + "\r\n"
                     + "ART;Pose;service;80;20;;\r\n" * 1_300)
    assert too_big_said in text_of(too_big).replace("\u202f", " ")
    assert too_long_said in text_of(too_long).replace("\u202f", " ")
    assert counts(app, world.a2)["ImportUpload"] == 0


def test_the_screens_speak_english_when_asked(world, browser):
    user = browser("collab_a")
    user.get("/lang/en")
    page = user.get(f"/imports/client/{world.a2}/")
    assert "Check the file" in page.text
    assert "Vérifier le fichier" not in page.text
