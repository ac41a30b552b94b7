"""The client sheet (« fiche client ») and the per-client action screens
(app/views/client_sheet.py): switches, dossier number, access management, the
invoicing space and dashboard pins; each role's limits and the tenant rule."""
import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from conftest import update_client
from app.extensions import db
from app.models import Client, DashboardPin
from app.views.client_sheet import ClientSheetView


def text_of(page):
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def client_state(app, client_id):
    with app.app_context():
        client = db.session.get(Client, client_id)
        state = {
            "multi_vat": client.multi_vat,
            "client_can_edit_accounting": client.client_can_edit_accounting,
            "dossier_code": client.dossier_code,
            "dossier_label": client.dossier_label,
            "collaborators": {user.username for user in client.collaborators},
        }
        db.session.remove()
        return state


def pins(app):
    with app.app_context():
        rows = db.session.execute(select(DashboardPin.user_id, DashboardPin.client_id)).all()
        db.session.remove()
        return sorted(tuple(row) for row in rows)


def flashed(user, response):
    """Follow a redirect and return the text of the page it leads to."""
    assert response.status_code == 302, response.text[:300]
    return text_of(user.get(response.headers["Location"]).text)


# The sheet ----------------------------------------------------------------------------

def test_sheet_shows_the_header_and_the_four_tabs(app, world, browser):
    user = browser("collab_a")
    response = user.get(f"/clients/{world.a1}/")
    assert response.status_code == 200
    page = text_of(response.text)
    for expected in ("Alpha Un SARL", "732\u00a0829\u00a0320", "A001", "un@alpha.fr",
                     "Multi-TVA", "Accès aux paramètres comptables", "Restricted A", "Collab A",
                     "Accéder au compte", "Mettre à jour le numéro de dossier", "Gérer l'accès",
                     "Ajouter au dashboard", "Tableau de bord", "Informations", "Comptabilité",
                     "Imports", "jamais", "Non épinglé", dt.date.today().strftime("%d/%m/%Y")):
        assert expected in page, expected
    assert 'class="nav nav-tabs' in response.text
    # Switches are forms posting to the switch URL, with a CSRF token.
    assert f'action="/clients/{world.a1}/switch/multi_vat"' in response.text
    assert 'name="csrf_token"' in response.text
    # No plan applied yet, no import yet: say so plainly, with the way to import.
    assert "Aucun plan comptable appliqué" in page
    assert "Aucun import pour ce dossier pour l'instant." in page
    assert f'href="/imports/client/{world.a1}/"' in response.text


def test_sheet_of_a_client_without_dossier_shows_the_badge_and_the_link(app, world, browser):
    response = browser("collab_a").get(f"/clients/{world.a2}/")
    assert "dossier non relié" in text_of(response.text)
    assert f'href="/clients/{world.a2}/dossier"' in response.text


def test_informations_tab_uses_french_formats(app, world, browser):
    update_client(app, world.a1, created_at=dt.datetime(2026, 11, 27, 9, 30),
                  last_login_at=dt.datetime(2026, 11, 28, 14, 5), multi_vat=True)
    page = text_of(browser("collab_a").get(f"/clients/{world.a1}/").text)
    assert "27/11/2026" in page and "28/11/2026\u00a015:05" in page  # 14:05 UTC in Paris
    assert re.search(r"Multi-TVA\s+Oui", page)
    assert re.search(r"Accès aux paramètres comptables\s+Non", page)


ROUTES = [
    ("get", "/clients/{pk}/"),
    ("get", "/clients/{pk}/compte"),
    ("get", "/clients/{pk}/dossier"),
    ("post", "/clients/{pk}/dossier"),
    ("post", "/clients/{pk}/switch/multi_vat"),
    ("post", "/clients/{pk}/pin"),
    ("post", "/clients/{pk}/unpin"),
    ("get", "/clients/access?ids={pk}"),
    ("post", "/clients/access?ids={pk}"),
]


@pytest.mark.parametrize("username,target", [("owner_b", "a1"), ("restricted_a", "a2"),
                                             ("collab_a", "b1")])
@pytest.mark.parametrize("method,route", ROUTES, ids=[f"{m}:{r}" for m, r in ROUTES])
def test_a_client_the_user_may_not_see_answers_404(app, world, browser, username, target,
                                                   method, route):
    user = browser(username)
    path = route.format(pk=getattr(world, target))
    if method == "get":
        response = user.get(path)
    else:
        response = user.post(path, {"value": "1", "dossier_code": "Z9", "users": "1"},
                             csrf_from="/")
    expected = 403 if (username == "restricted_a" and "access" in route) else 404
    assert response.status_code == expected
    assert response.status_code != 404 or "Page introuvable" in response.text


def test_unknown_and_huge_ids_answer_404(app, world, browser):
    user = browser("collab_a")
    assert user.get("/clients/999999/").status_code == 404
    assert user.get(f"/clients/{2**63}/").status_code == 404
    assert user.get(f"/clients/access?ids={world.a1},{2**64}").status_code == 404
    assert user.get(f"/clients/access?ids={world.a1},abc").status_code == 404
    assert user.get(f"/clients/access?ids={world.a1},{world.b1}").status_code == 404


def test_client_user_and_visitor_are_refused(app, world, browser):
    client_user = browser("client_a1")
    assert client_user.get(f"/clients/{world.a1}/").status_code == 403
    assert client_user.get(f"/clients/{world.a1}/compte").status_code == 403
    assert client_user.post(f"/clients/{world.a1}/switch/multi_vat", {"value": "1"},
                            csrf_from="/espace/").status_code == 403
    visitor = browser()
    response = visitor.get(f"/clients/{world.a1}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client_state(app, world.a1)["multi_vat"] is False


def test_restricted_sees_no_access_button_on_an_assigned_client(app, world, browser):
    response = browser("restricted_a").get(f"/clients/{world.a1}/")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Gérer l'accès" not in page
    assert "Mettre à jour le numéro de dossier" in page


def test_without_edit_permission_switches_are_read_only(app, world, browser, monkeypatch):
    monkeypatch.setattr(ClientSheetView, "_can", lambda self, permission: False)
    response = browser("collab_a").get(f"/clients/{world.a1}/")
    assert "/switch/" not in response.text
    assert 'aria-readonly="true"' in response.text
    assert "Mettre à jour le numéro de dossier" not in text_of(response.text)


# Switches -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["multi_vat", "client_can_edit_accounting"])
def test_switch_turns_on_and_off(app, world, browser, name):
    user = browser("collab_a")
    path = f"/clients/{world.a1}/switch/{name}"
    response = user.post(path, {"value": "1"}, csrf_from=f"/clients/{world.a1}/")
    assert response.headers["Location"].endswith(f"/clients/{world.a1}/")
    assert client_state(app, world.a1)[name] is True
    page = flashed(user, response)
    assert "Alpha Un SARL" in page and ("activée" in page or "a désormais accès" in page)
    user.post(path, {"value": "0"}, csrf_from=f"/clients/{world.a1}/")
    assert client_state(app, world.a1)[name] is False


def test_switch_refuses_get_unknown_names_bad_values_and_missing_csrf(app, world, browser):
    user = browser("collab_a")
    before = client_state(app, world.a1)
    assert user.get(f"/clients/{world.a1}/switch/multi_vat?value=1").status_code == 405
    assert user.post(f"/clients/{world.a1}/switch/accountant_is_admin", {"value": "1"},
                     csrf_from="/").status_code == 404
    assert user.post(f"/clients/{world.a1}/switch/multi_vat", {"value": "oui"},
                     csrf_from="/").status_code == 400
    assert user.post(f"/clients/{world.a1}/switch/multi_vat", {"value": "1"}).status_code == 400
    assert client_state(app, world.a1) == before


def test_restricted_may_toggle_an_assigned_client(app, world, browser):
    user = browser("restricted_a")
    response = user.post(f"/clients/{world.a1}/switch/multi_vat", {"value": "1"}, csrf_from="/")
    assert response.status_code == 302
    assert client_state(app, world.a1)["multi_vat"] is True


# Dossier number -----------------------------------------------------------------------

def post_dossier(user, client_id, code, label=""):
    return user.post(f"/clients/{client_id}/dossier", {"dossier_code": code, "dossier_label": label},
                     csrf_from=f"/clients/{client_id}/dossier")


def test_dossier_form_is_prefilled(app, world, browser):
    response = browser("collab_a").get(f"/clients/{world.a1}/dossier")
    assert response.status_code == 200
    assert 'value="A001"' in response.text
    assert "Mettre à jour le numéro de dossier" in text_of(response.text)


@pytest.mark.parametrize("code,message", [
    ("", "Le numéro de dossier est obligatoire."),
    ("   ", "Le numéro de dossier est obligatoire."),
    ("dossier n°2", "lettres sans accent"),
    ("A001", "Ce numéro de dossier est déjà utilisé par « Alpha Un SARL »."),
    ("a001", "Ce numéro de dossier est déjà utilisé par « Alpha Un SARL »."),
])
def test_dossier_form_refuses_with_the_message_next_to_the_field(app, world, browser, code,
                                                                 message):
    response = post_dossier(browser("collab_a"), world.a2, code, "Libellé")
    assert response.status_code == 200
    assert message in html.unescape(response.text)
    assert "has-error" in response.text and "help-block" in response.text
    assert client_state(app, world.a2)["dossier_code"] is None
    assert client_state(app, world.a2)["dossier_label"] is None


def test_dossier_code_of_a_client_hidden_from_the_user_is_not_named(app, world, browser):
    update_client(app, world.a2, dossier_code="A002")
    response = post_dossier(browser("restricted_a"), world.a1, "A002")
    page = html.unescape(response.text)
    assert "déjà utilisé par un autre client du cabinet" in page
    assert "Alpha Deux SAS" not in page
    assert client_state(app, world.a1)["dossier_code"] == "A001"


def test_dossier_code_is_saved_and_may_repeat_in_another_cabinet(app, world, browser):
    user = browser("owner_b")
    response = post_dossier(user, world.b1, " A001 ", "  Dossier Bêta  ")
    assert response.headers["Location"].endswith(f"/clients/{world.b1}/")
    assert "Numéro de dossier de « Bêta Un EURL » enregistré : A001." in flashed(user, response)
    state = client_state(app, world.b1)
    assert (state["dossier_code"], state["dossier_label"]) == ("A001", "Dossier Bêta")
    # Keeping one's own code is not a duplicate.
    response = post_dossier(browser("collab_a"), world.a1, "A001", "Un")
    assert response.status_code == 302
    assert client_state(app, world.a1)["dossier_label"] == "Un"


# Access management --------------------------------------------------------------------

def access(user, ids, users, csrf_from="/", **extra):
    return user.post("/clients/access", {"ids": ids, "users": users, **extra}, csrf_from=csrf_from)


def test_access_screen_lists_the_cabinet_staff_and_prechecks_the_current_ones(app, world, browser):
    response = browser("collab_a").get(f"/clients/access?ids={world.a1}")
    assert response.status_code == 200
    page = text_of(response.text)
    for name, role in [("Olivia Alpha", "Propriétaire"), ("Admin A", "Administrateur"),
                       ("Collab A", "Collaborateur"), ("Restricted A", "Accès restreint")]:
        assert name in page and role in page
    for foreign in ("Bruno", "Collab B", "Carla", "Ada"):
        assert foreign not in page
    checked = set(re.findall(r'name="users" value="(\d+)"[^>]*checked', response.text))
    assert checked == {str(world.users["restricted_a"]), str(world.users["collab_a"])}
    assert "Remplacer l'accès" not in page  # one client: the set is replaced


def test_access_single_client_replaces_the_set(app, world, browser):
    user = browser("collab_a")
    response = access(user, str(world.a1), [world.users["admin_a"]])
    assert response.headers["Location"].endswith(f"/clients/{world.a1}/")
    assert "Accès mis à jour pour 1 client." in flashed(user, response)
    assert client_state(app, world.a1)["collaborators"] == {"admin_a"}
    # Unchecking everyone leaves the client unassigned.
    access(user, str(world.a1), [])
    assert client_state(app, world.a1)["collaborators"] == set()


def test_access_bulk_add_keeps_the_existing_collaborators(app, world, browser):
    user = browser("owner_a")
    page = user.get(f"/clients/access?ids={world.a1},{world.a2}")
    assert "Ajouter à l'accès existant" in text_of(page.text)
    assert "Remplacer l'accès" in text_of(page.text)
    response = access(user, f"{world.a1},{world.a2}", [world.users["admin_a"]], mode="add")
    assert "Accès mis à jour pour 2 clients." in flashed(user, response)
    assert client_state(app, world.a1)["collaborators"] == {"restricted_a", "collab_a", "admin_a"}
    assert client_state(app, world.a2)["collaborators"] == {"admin_a"}


def test_access_bulk_defaults_to_add(app, world, browser):
    access(browser("owner_a"), f"{world.a1},{world.a2}", [world.users["owner_a"]])
    assert client_state(app, world.a1)["collaborators"] == {"restricted_a", "collab_a", "owner_a"}


def test_access_bulk_replace(app, world, browser):
    user = browser("admin_a")
    access(user, f"{world.a1},{world.a2}", [world.users["owner_a"], world.users["collab_a"]],
           mode="replace")
    assert client_state(app, world.a1)["collaborators"] == {"owner_a", "collab_a"}
    assert client_state(app, world.a2)["collaborators"] == {"owner_a", "collab_a"}


@pytest.mark.parametrize("foreign", ["collab_b", "client_a1", "admin", "999999", "abc"])
def test_access_refuses_a_user_who_is_not_staff_of_the_cabinet(app, world, browser, foreign):
    user_id = world.users.get(foreign, foreign)
    response = access(browser("collab_a"), f"{world.a1},{world.a2}",
                      [world.users["admin_a"], user_id], mode="replace")
    assert response.status_code == 200
    assert "n'appartient pas à ce cabinet" in html.unescape(response.text)
    assert client_state(app, world.a1)["collaborators"] == {"restricted_a", "collab_a"}
    assert client_state(app, world.a2)["collaborators"] == set()


def test_access_is_refused_to_restricted_and_client_users(app, world, browser):
    restricted = browser("restricted_a")
    assert restricted.get(f"/clients/access?ids={world.a1}").status_code == 403
    assert access(restricted, str(world.a1), [world.users["restricted_a"]]).status_code == 403
    assert browser("client_a1").get(f"/clients/access?ids={world.a1}").status_code == 403
    assert client_state(app, world.a1)["collaborators"] == {"restricted_a", "collab_a"}


def test_access_redirects_to_a_relative_next_only(app, world, browser):
    user = browser("collab_a")
    response = access(user, str(world.a1), [world.users["collab_a"]], next="/clientview/list/")
    assert response.headers["Location"].endswith("/clientview/list/")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = access(user, str(world.a1), [world.users["collab_a"]], next=evil)
        assert "evil" not in response.headers["Location"]


def test_access_without_ids_goes_back_to_the_list(app, world, browser):
    response = browser("collab_a").get("/clients/access?ids=")
    assert response.status_code == 302 and "/clientview/list/" in response.headers["Location"]


def test_a_client_given_to_restricted_appears_in_their_list(app, world, browser):
    restricted = browser("restricted_a")
    assert "Alpha Deux SAS" not in restricted.get("/clientview/list/").text
    access(browser("collab_a"), str(world.a2), [world.users["restricted_a"]])
    assert "Alpha Deux SAS" in restricted.get("/clientview/list/").text
    assert restricted.get(f"/clients/{world.a2}/").status_code == 200


# Invoicing space ----------------------------------------------------------------------

def test_account_opens_the_space_read_only_unless_the_client_granted_admin_rights(
        app, world, browser):
    user = browser("collab_a")
    response = user.get(f"/clients/{world.a1}/compte")
    assert response.status_code == 302 and response.headers["Location"].endswith("/espace/")
    page = text_of(user.get("/espace/").text)
    assert "Vous êtes dans le compte de « Alpha Un SARL »" in page
    assert "Lecture seule" in page and "droits accordés par le client" not in page
    update_client(app, world.a1, accountant_is_admin=True)
    page = text_of(user.get("/espace/").text)
    assert "droits accordés par le client" in page and "Lecture seule :" not in page


# Dashboard pins -----------------------------------------------------------------------

def test_pin_and_unpin_are_idempotent_and_personal(app, world, browser):
    collab, admin = browser("collab_a"), browser("admin_a")
    collab_id, admin_id = world.users["collab_a"], world.users["admin_a"]
    admin.post(f"/clients/{world.a1}/pin", csrf_from="/")
    response = collab.post(f"/clients/{world.a1}/pin", csrf_from="/")
    assert response.headers["Location"].endswith(f"/clients/{world.a1}/")
    assert "épinglé à votre tableau de bord" in flashed(collab, response)
    response = collab.post(f"/clients/{world.a1}/pin", csrf_from="/")
    assert "était déjà sur votre tableau de bord" in flashed(collab, response)
    assert pins(app) == sorted([(collab_id, world.a1), (admin_id, world.a1)])
    sheet = text_of(collab.get(f"/clients/{world.a1}/").text)
    assert "Retirer du dashboard" in sheet and "Épinglé" in sheet

    response = collab.post(f"/clients/{world.a1}/unpin", {"next": "/clientview/list/"},
                           csrf_from="/")
    assert response.headers["Location"].endswith("/clientview/list/")
    collab.post(f"/clients/{world.a1}/unpin", csrf_from="/")
    assert pins(app) == [(admin_id, world.a1)]


def test_pin_refuses_get_and_missing_csrf(app, world, browser):
    user = browser("collab_a")
    assert user.get(f"/clients/{world.a1}/pin").status_code == 405
    assert user.post(f"/clients/{world.a1}/pin").status_code == 400
    assert pins(app) == []


def test_pin_ignores_an_absolute_next(app, world, browser):
    response = browser("restricted_a").post(f"/clients/{world.a1}/pin",
                                             {"next": "https://evil.example/"}, csrf_from="/")
    assert response.headers["Location"].endswith(f"/clients/{world.a1}/")
    assert pins(app) == [(world.users["restricted_a"], world.a1)]


# Platform admin and CSRF ----------------------------------------------------------------

def test_platform_admin_manages_access_cabinet_by_cabinet(app, world, browser):
    admin = browser("admin")
    sheet = text_of(admin.get(f"/clients/{world.b1}/").text)
    assert "Bêta Un EURL" in sheet and "Cabinet Bêta" in sheet
    page = text_of(admin.get(f"/clients/access?ids={world.b1}").text)
    assert "Bruno Bêta" in page and "Collab B" in page and "Collab A" not in page
    mixed = admin.get(f"/clients/access?ids={world.a1},{world.b1}")
    assert mixed.status_code == 200
    assert "cabinets différents" in html.unescape(mixed.text)
    assert 'name="users"' not in mixed.text
    response = access(admin, f"{world.a1},{world.b1}", [world.users["collab_b"]], mode="replace")
    assert response.status_code == 200
    assert client_state(app, world.b1)["collaborators"] == {"collab_b"}
    assert client_state(app, world.a1)["collaborators"] == {"restricted_a", "collab_a"}


def test_access_without_csrf_changes_nothing(app, world, browser):
    response = browser("collab_a").post("/clients/access", {"ids": str(world.a1),
                                                           "users": [world.users["admin_a"]]})
    assert response.status_code == 400
    assert client_state(app, world.a1)["collaborators"] == {"restricted_a", "collab_a"}


def test_bulk_add_without_anyone_checked_is_refused(app, world, browser):
    response = access(browser("collab_a"), f"{world.a1},{world.a2}", [], mode="add")
    assert response.status_code == 200
    assert "Choisissez au moins un collaborateur" in html.unescape(response.text)
    assert client_state(app, world.a1)["collaborators"] == {"restricted_a", "collab_a"}


def test_sheet_opens_on_the_tab_named_in_the_url(app, world, browser):
    page = browser("collab_a").get(f"/clients/{world.a1}/?onglet=informations").text
    assert re.search(r'class="tab-pane active"\s+id="onglet-informations"', page)
    page = browser("collab_a").get(f"/clients/{world.a1}/?onglet=nimporte").text
    assert re.search(r'class="tab-pane active"\s+id="onglet-tableau-de-bord"', page)
