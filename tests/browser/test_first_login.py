"""A collaborator logs in, in French, and sees the cabinet's client list."""
import datetime as dt

import pytest

from app.demo import seed_demo
from app.extensions import db
from conftest import browser_login, wipe

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "Passerelle-2026"


@pytest.fixture
def demo(app):
    wipe(app)
    with app.app_context():
        return seed_demo(app.appbuilder.sm, db.session, password=DEMO_PASSWORD, seed=11,
                         clients=12, today=dt.date(2026, 11, 27))


def login(page, base_url, username):
    browser_login(page, base_url, username, DEMO_PASSWORD)


def test_collaborateur_logs_in_in_french_and_sees_the_client_list(
        demo, live_server, page, screenshot):
    page.goto(f"{live_server}/login/")
    assert page.locator("html").inner_text().count("Mot de passe") >= 1
    assert "Se connecter" in page.inner_text("body")

    login(page, live_server, "collaborateur")
    page.click("text=Clients")
    page.wait_for_load_state()

    assert page.title().startswith("Liste clients")
    body = page.inner_text("body")
    assert "Raison sociale" in body and "Dernière connexion" in body
    assert "9 clients" in body
    # 12 demo clients: 9 in the collaborator's cabinet, 3 in the other one.
    rows = page.locator("table.client-table tbody tr")
    assert rows.count() == 9
    assert "Record Count" not in body and "List" not in body.split()
    screenshot("client-list-collaborateur")


def test_restreint_sees_only_assigned_clients(demo, live_server, page, screenshot):
    login(page, live_server, "restreint")
    page.goto(f"{live_server}/clientview/list/")
    assert page.locator("table.client-table tbody tr").count() == demo["restricted_clients"]
    screenshot("client-list-restreint")


def test_wrong_password_gets_a_french_message(demo, live_server, page):
    page.goto(f"{live_server}/login/")
    page.fill("input[name=username]", "collaborateur")
    page.fill("input[name=password]", "pas-le-bon")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    assert "Identifiant ou mot de passe incorrect" in page.inner_text("body")
