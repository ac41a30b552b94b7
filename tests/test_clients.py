"""The first client list and its API: fields, validation, formats, OpenAPI."""
import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client
from app.validators import RuleError, clean_dossier_code, clean_siren

API_FIELDS = {"id", "name", "siren", "email", "pack", "dossier_code", "dossier_label",
              "created_at", "last_login_at"}


def client_row(app, client_id):
    with app.app_context():
        row = db.session.get(Client, client_id)
        values = {c: getattr(row, c) for c in ("name", "siren", "dossier_code", "last_login_at")}
        db.session.remove()
        return values


def text_of(page):
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# Pure rules -------------------------------------------------------------------------

def test_clean_siren_accepts_spaces_and_checks_the_luhn_key():
    assert clean_siren("732 829 320") == "732829320"
    assert clean_siren("") is None
    with pytest.raises(RuleError, match="clé de contrôle"):
        clean_siren("732829321")
    with pytest.raises(RuleError, match="9 chiffres"):
        clean_siren("12345")


def test_clean_dossier_code_refuses_accents_and_spaces():
    assert clean_dossier_code(" CLI-001 ") == "CLI-001"
    for bad in ("é001", "A 01", "X" * 21):
        with pytest.raises(RuleError):
            clean_dossier_code(bad)


# Screens ----------------------------------------------------------------------------

def test_list_shows_french_formats_and_the_missing_dossier_badge(app, world, browser):
    page = text_of(browser("collab_a").get("/clientview/list/").text)
    assert "732\u00a0829\u00a0320" in page  # SIREN in groups of three
    assert "dossier non relié" in page      # a2 has no dossier number
    today = dt.date.today().strftime("%d/%m/%Y")
    assert today in page                    # created today, shown as JJ/MM/AAAA
    assert "jamais" in page                 # never connected


def test_list_is_sorted_newest_first_by_default(app, world, browser):
    with app.app_context():
        a1 = db.session.get(Client, world.a1)
        a1.created_at = dt.datetime(2020, 1, 1)
        db.session.commit()
        db.session.remove()
    page = browser("collab_a").get("/clientview/list/").text
    assert page.index("Alpha Deux SAS") < page.index("Alpha Un SARL")


def test_search_by_pack_and_by_collaborator(app, world, browser):
    user = browser("collab_a")
    by_pack = user.get("/clientview/list/?pack=Premium").text
    assert "Alpha Deux SAS" in by_pack and "Alpha Un SARL" not in by_pack
    restricted_id = world.users["restricted_a"]
    by_collaborator = user.get(f"/clientview/list/?collaborator={restricted_id}").text
    assert "Alpha Un SARL" in by_collaborator and "Alpha Deux SAS" not in by_collaborator


def test_invalid_siren_is_refused_with_a_french_message(app, world, browser):
    user = browser("collab_a")
    response = user.post(f"/clientview/edit/{world.a2}", {
        "name": "Alpha Deux SAS", "siren": "552100555", "email": "deux@alpha.fr",
        "pack": "Premium"}, csrf_from=f"/clientview/edit/{world.a2}")
    assert response.status_code == 200  # the form again, with the error
    assert "clé de contrôle incorrecte" in html.unescape(response.text)
    assert client_row(app, world.a2)["siren"] == "552100554"


def test_dossier_code_with_forbidden_characters_is_refused(app, world, browser):
    user = browser("collab_a")
    response = user.post(f"/clientview/edit/{world.a2}", {
        "name": "Alpha Deux SAS", "siren": "552100554", "email": "deux@alpha.fr",
        "pack": "Premium", "dossier_code": "dossier n°2"}, csrf_from=f"/clientview/edit/{world.a2}")
    assert "lettres sans accent" in html.unescape(response.text)
    assert client_row(app, world.a2)["dossier_code"] is None


def test_home_counts_only_what_the_user_may_see(app, world, browser):
    def stat(username):
        page = text_of(browser(username).get("/").text)
        return int(re.search(r"(\d+)\s+clients visibles", page).group(1))

    assert stat("collab_a") == 2
    assert stat("restricted_a") == 1
    assert stat("owner_b") == 1
    assert stat("admin") == 3


def test_unknown_page_is_a_french_404(app, world, browser):
    response = browser("collab_a").get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.text


# API --------------------------------------------------------------------------------

def test_api_list_and_show_expose_the_integration_fields(app, world, api):
    client = api("collab_a")
    listed = client.get("/api/v1/client/").json["result"]
    assert {row["name"] for row in listed} == {"Alpha Un SARL", "Alpha Deux SAS"}
    assert all(API_FIELDS <= set(row) for row in listed)
    shown = client.get(f"/api/v1/client/{world.a1}").json
    assert API_FIELDS - {"id"} <= set(shown["result"])
    assert shown["id"] == world.a1 and shown["result"]["dossier_code"] == "A001"


def test_api_refuses_an_invalid_siren_in_french(app, world, api):
    response = api("collab_a").put(f"/api/v1/client/{world.a2}", json={"siren": "552100555"})
    assert response.status_code == 422
    assert "clé de contrôle" in response.text.encode().decode("unicode_escape") or \
        "clé de contrôle" in str(response.json)
    assert client_row(app, world.a2)["siren"] == "552100554"


def test_api_post_creates_a_client_in_the_users_cabinet(app, world, api):
    response = api("owner_a").post("/api/v1/client/", json={
        "name": "Nouvelle SARL", "email": "nouvelle@alpha.fr", "pack": "Standard",
        "siren": "443061841"})
    assert response.status_code == 201, response.text
    with app.app_context():
        created = db.session.scalar(select(Client).where(Client.name == "Nouvelle SARL"))
        assert created.cabinet_id == world.cabinet_a
        db.session.remove()


def test_openapi_declares_integer_ids_and_403(app, world, api):
    spec = api("collab_a").get("/api/v1/_openapi").json
    item = spec["paths"]["/api/v1/client/{pk}"]
    assert all(p["schema"]["type"] == "integer" for p in item["get"]["parameters"]
               if p.get("name") == "pk")
    for method in ("get", "put", "delete"):
        assert "403" in item[method]["responses"]
    created = spec["paths"]["/api/v1/client/"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["properties"]["id"]["type"] == "integer"


def test_client_user_login_updates_the_dossier_last_connection(app, world, browser):
    assert client_row(app, world.a1)["last_login_at"] is None
    browser("client_a1")
    last = client_row(app, world.a1)["last_login_at"]
    assert last is not None and abs(dt.datetime.utcnow() - last) < dt.timedelta(minutes=1)
    assert client_row(app, world.a2)["last_login_at"] is None


def test_times_are_shown_in_the_firms_time_zone(app):
    from app.formatting import format_datetime

    with app.test_request_context("/"):
        assert format_datetime(dt.datetime(2026, 7, 1, 12, 0)) == "01/07/2026\u00a014:00"  # summer
        assert format_datetime(dt.datetime(2026, 1, 1, 23, 30)) == "02/01/2026\u00a000:30"  # winter


def test_a_dossier_number_used_in_the_cabinet_is_refused_on_edit_and_api(app, world, browser, api):
    user = browser("collab_a")
    response = user.post(f"/clientview/edit/{world.a2}", {
        "name": "Alpha Deux SAS", "siren": "552100554", "email": "deux@alpha.fr",
        "pack": "Premium", "dossier_code": "a001"}, csrf_from=f"/clientview/edit/{world.a2}")
    assert response.status_code == 302
    assert "déjà utilisé" in html.unescape(user.get(response.headers["Location"]).text)
    assert client_row(app, world.a2)["dossier_code"] is None
    refused = api("collab_a").put(f"/api/v1/client/{world.a2}", json={"dossier_code": "A001"})
    assert refused.status_code == 422 and "déjà utilisé" in refused.json["message"]
    # Another cabinet may use the same number.
    accepted = api("owner_b").put(f"/api/v1/client/{world.b1}", json={"dossier_code": "A001"})
    assert accepted.status_code == 200
