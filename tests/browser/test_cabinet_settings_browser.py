"""« Réglages du cabinet » as the demo's Propriétaire uses them, in Chromium (issue 7)."""
import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.demo import seed_demo
from app.extensions import db
from app.models import AppUser, Client
from conftest import browser_login, wipe

pytestmark = pytest.mark.browser
PASSWORD = "Passerelle-2026"
NEW_PASSWORD = "Nouveau-Mot-2026!"


@pytest.fixture
def demo(app):
    wipe(app)
    with app.app_context():
        seed_demo(app.appbuilder.sm, db.session, password=PASSWORD, seed=5, clients=12,
                  today=dt.date(2026, 11, 27), invoicing=False)
        db.session.remove()


def logo_png(tmp_path):
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    for x in range(40, 320):
        for y in range(30, 90):
            image.putpixel((x, y), (24, 98, 158, 255))
    path = tmp_path / "logo-cabinet.png"
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def visible_client_names(page, base_url):
    page.goto(f"{base_url}/clientview/list/?sort=name&dir=asc")
    return sorted(name.strip() for name in page.locator(
        "table.client-table tbody tr[data-id] td.col-name").all_inner_texts())


def test_owner_sets_the_logo_and_adds_a_restricted_collaborator(
        app, demo, live_server, page, screenshot, tmp_path):
    browser_login(page, live_server, "proprietaire", PASSWORD)
    page.click("text=Réglages du cabinet")
    page.click("text=Profil du cabinet")
    page.set_input_files("input[name=interface_logo_file]", str(logo_png(tmp_path)))
    page.click("button:has-text('Enregistrer')")
    page.wait_for_load_state()
    logo = page.locator(".navbar-brand-logo img")
    assert logo.count() == 1
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", logo.element_handle())
    screenshot("cabinet-profile-logo")

    with app.app_context():
        owner_cabinet = db.session.scalar(select(AppUser.cabinet_id).where(
            AppUser.username == "proprietaire"))
        chosen = db.session.scalars(select(Client).where(Client.cabinet_id == owner_cabinet)
                                    .order_by(Client.name).limit(2)).all()
        chosen_names = sorted(client.name for client in chosen)
        db.session.remove()

    page.goto(f"{live_server}/cabinet/collaborateurs/")
    page.click("text=Ajouter un collaborateur")
    page.fill("input[name=first_name]", "Inès")
    page.fill("input[name=last_name]", "Lemoine")
    page.fill("input[name=email]", "ines.lemoine@cabinet-demo.fr")
    page.select_option("select[name=level]", label="Accès restreint")
    page.fill("input[name=username]", "ines")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirm_password]", NEW_PASSWORD)
    for client in chosen:
        page.check(f"input[name=clients][value='{client.id}']")
    page.click("button:has-text('Créer le collaborateur')")
    page.wait_for_load_state()
    assert "Lemoine" in page.inner_text("body")
    screenshot("cabinet-collaborators")

    page.goto(f"{live_server}/logout/")
    browser_login(page, live_server, "ines", NEW_PASSWORD)
    assert visible_client_names(page, live_server) == chosen_names
    screenshot("cabinet-restricted-sees-two")


def test_collaborator_cannot_reach_the_cabinet_settings(demo, live_server, page):
    browser_login(page, live_server, "collaborateur", PASSWORD)
    assert page.locator("text=Réglages du cabinet").count() == 0
    for path in ("/cabinet/profil", "/cabinet/collaborateurs/", "/cabinet/suppression/"):
        response = page.goto(f"{live_server}{path}")
        assert response.status == 403, path
        assert "Accès refusé" in page.inner_text("body")
