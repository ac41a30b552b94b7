"""The client list and the dashboard as a collaborator uses them, in Chromium."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.demo import seed_demo
from app.extensions import db
from app.models import AppUser, Client
from conftest import browser_login, wipe

pytestmark = pytest.mark.browser
PASSWORD = "Passerelle-2026"


@pytest.fixture
def demo(app):
    wipe(app)
    with app.app_context():
        seed_demo(app.appbuilder.sm, db.session, password=PASSWORD, seed=5, clients=80,
                  today=dt.date(2026, 11, 27), invoicing=False)
        users = {u.username: u.id for u in db.session.scalars(select(AppUser))}
        db.session.remove()
    return users


def login(page, base_url, username):
    browser_login(page, base_url, username, PASSWORD)


def open_more_filters(page):
    """Open the filter panel and wait for Bootstrap's collapse to end: while it runs, the
    panel clips its own content and a click may land outside the box it aims at."""
    page.click("text=Plus de filtres")
    page.wait_for_selector("#more-filters.in", state="visible")


def result_count(page):
    return int(page.get_attribute("#result-count", "data-count"))


def test_filter_by_collaborator_and_last_connection(demo, live_server, page, screenshot):
    login(page, live_server, "collaborateur")
    page.goto(f"{live_server}/clientview/list/")
    total = result_count(page)
    open_more_filters(page)
    page.check(f"input[name=collaborator][value='{demo['restreint']}']")
    page.click("text=Appliquer les filtres")
    page.wait_for_load_state()
    assert result_count(page) == 5
    assert "Suivi par Thomas Robert" in page.inner_text(".active-filters")
    page.select_option("select[name=last_login]", "never")
    page.click("text=Appliquer les filtres")
    page.wait_for_load_state()
    never = result_count(page)
    assert never <= 5
    # Remove the collaborator chip: only « jamais connecté » stays.
    page.click(".filter-chip:has-text('Suivi par')")
    page.wait_for_load_state()
    assert result_count(page) >= never and result_count(page) < total
    assert "Jamais connecté" in page.inner_text(".active-filters")
    screenshot("client-list-filters")


def test_hidden_column_stays_hidden_after_reload(demo, live_server, page):
    login(page, live_server, "collaborateur")
    page.goto(f"{live_server}/clientview/list/")
    page.click("text=Affichage")
    page.uncheck("#display-form input[value=email]")
    page.uncheck("#display-form input[value=pack]")
    page.click("text=Enregistrer l'affichage")
    page.wait_for_load_state()
    page.reload()
    headers = page.inner_text("table.client-table thead")
    assert "E-mail du compte" not in headers and "Pack" not in headers
    assert "Raison sociale" in headers and "SIREN" in headers


def test_continuous_scrolling_loads_more_clients(demo, live_server, page, screenshot):
    login(page, live_server, "collaborateur")
    page.goto(f"{live_server}/clientview/list/")
    page.click("text=Affichage")
    page.check("#display-form input[value=scroll]")
    page.click("text=Enregistrer l'affichage")
    page.wait_for_load_state()
    rows = page.locator("table.client-table tbody tr[data-id]")
    assert rows.count() == 25
    total = result_count(page)
    for _ in range(5):
        page.mouse.wheel(0, 20000)
        page.wait_for_timeout(400)
        if rows.count() == total:
            break
    assert rows.count() == total == 60
    # The loaded rows are rows of this table, with their cells (not a whole page inside it).
    assert page.locator("table.client-table .navbar, table.client-table table").count() == 0
    names = page.locator("table.client-table tbody tr[data-id] td.col-name").all_inner_texts()
    assert len(names) == 60 and all(name.strip() for name in names)
    page.locator("table.client-table tbody tr[data-id]").last.scroll_into_view_if_needed()
    screenshot("client-list-scroll")


def test_pin_a_client_and_find_its_card_on_the_dashboard(demo, live_server, page, screenshot):
    login(page, live_server, "collaborateur")
    page.goto(f"{live_server}/clientview/list/?sort=name&dir=asc")
    first_row = page.locator("table.client-table tbody tr[data-id]").first
    name = first_row.locator("td.col-name a").inner_text()
    first_row.locator("button.dropdown-toggle").click()
    first_row.locator("text=Ajouter au dashboard").click()
    page.wait_for_load_state()
    assert "épinglé" in page.inner_text(".alert")
    page.goto(f"{live_server}/")
    cards = page.locator(".pin-card")
    assert cards.count() == 1 and name in cards.first.inner_text()
    screenshot("dashboard-pinned")


def test_assign_a_client_to_restreint_who_then_sees_it(demo, live_server, page, app):
    with app.app_context():
        cabinet_id = db.session.get(AppUser, demo["restreint"]).cabinet_id
        target = db.session.scalars(select(Client).where(~Client.collaborators.any(
            AppUser.id == demo["restreint"])).where(Client.cabinet_id == cabinet_id)
            .order_by(Client.name)).first()
        name, client_id = target.name, target.id
        db.session.remove()
    login(page, live_server, "collaborateur")
    page.goto(f"{live_server}/clientview/list/?q={name}")
    row = page.locator(f"tr[data-id='{client_id}']")
    row.locator("button.dropdown-toggle").click()
    row.locator("text=Gérer l'accès").click()
    page.wait_for_load_state()
    page.check(f"input[name=users][value='{demo['restreint']}']")
    page.click("button:has-text('Enregistrer')")
    page.wait_for_load_state()
    page.context.clear_cookies()
    login(page, live_server, "restreint")
    page.goto(f"{live_server}/clientview/list/")
    assert result_count(page) == 6
    assert name in page.inner_text("table.client-table")


def support_button_box(page):
    page.wait_for_timeout(100)  # the class follows the scroll on the next animation frame
    box = page.locator("#support-button").bounding_box()
    label = page.locator("#support-button .support-button-label").bounding_box()
    return box, label


def test_support_button_keeps_only_its_icon_while_the_page_scrolls(demo, live_server, page,
                                                                    screenshot):
    """The floating « Contacter le support » button covered the lines scrolling under it:
    it shrinks to its icon between the top and the end of a long page."""
    login(page, live_server, "collaborateur")
    page.goto(f"{live_server}/clientview/list/?size=100")
    button = page.locator("#support-button")
    box, label = support_button_box(page)
    assert "is-compact" not in (button.get_attribute("class") or "")
    assert label["width"] > 50 and box["width"] > 120

    page.evaluate("window.scrollTo(0, 400)")
    box, label = support_button_box(page)
    assert "is-compact" in button.get_attribute("class")
    assert box["width"] < 60 and label["width"] <= 1
    assert button.get_attribute("aria-controls") == "support-modal"
    screenshot("support-button-compact")
    page.hover("#support-button")
    box, label = support_button_box(page)
    assert label["width"] > 50

    page.mouse.move(10, 10)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    box, label = support_button_box(page)
    assert "is-compact" not in button.get_attribute("class")
    assert label["width"] > 50
    # At the end, the page's last line stays above the button.
    last = page.locator(".client-table tbody tr").last.bounding_box()
    assert last["y"] + last["height"] <= box["y"]
