"""Deleting a cabinet account, the platform Admin's cabinets, and the purge (issue 7)."""
import datetime as dt

import pytest
from conftest import PASSWORD, Browser, csrf_token_from
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import AccountingPlan, AppUser, Cabinet, Client, SupportMessage
from app.models.mixins import utcnow

DELETE_URL = "/cabinet/suppression/"
ADMIN_LIST = "/plateforme/cabinets/list/"
ADMIN_NEW = "/plateforme/cabinets/nouveau"


def cabinet_row(app, cabinet_id):
    with app.app_context():
        cabinet = db.session.get(Cabinet, cabinet_id)
        values = None if cabinet is None else (cabinet.deleted_at, cabinet.purge_after)
        db.session.remove()
    return values


def login_answer(app, username):
    """The login form's answer for `username` with the right password: where it
    sends the user, and the page they land on."""
    client = Browser(app).client
    page = client.get("/login/")
    response = client.post("/login/", data={"username": username, "password": PASSWORD,
                                            "csrf_token": csrf_token_from(page.text)})
    landing = client.get(response.headers["Location"], follow_redirects=True)
    return response.headers["Location"], landing.text


def confirm_deletion(user, name, password=PASSWORD):
    return user.post(DELETE_URL, {"cabinet_name": name, "password": password},
                     csrf_from=DELETE_URL)


@pytest.mark.parametrize("login, status", [("admin_a", 403), ("collab_a", 403),
                                           ("restricted_a", 403), ("client_a1", 403),
                                           ("admin", 404)])
def test_only_the_owner_reaches_the_deletion_page(app, world, browser, login, status):
    user = browser(login)
    assert user.get(DELETE_URL).status_code == status
    assert user.post(DELETE_URL, {"cabinet_name": "Cabinet Alpha", "password": PASSWORD}
                     ).status_code in {status, 400}
    assert cabinet_row(app, world.cabinet_a) == (None, None)


def test_administrator_is_told_why_in_french(world, browser):
    page = browser("admin_a").get(DELETE_URL)
    assert page.status_code == 403
    assert "Seul le propriétaire du cabinet peut supprimer son compte." in page.text


def test_owner_must_type_the_name_and_password(app, world, browser):
    owner = browser("owner_a")
    page = owner.get(DELETE_URL)
    assert page.status_code == 200
    assert "conservées 90 jours" in page.text
    wrong_name = confirm_deletion(owner, "Cabinet Beta")
    assert wrong_name.status_code == 200
    assert "Le nom saisi ne correspond pas : tapez « Cabinet Alpha »." in wrong_name.text
    wrong_password = confirm_deletion(owner, "cabinet  alpha", password="pas-le-bon")
    assert "Le mot de passe est incorrect." in wrong_password.text
    assert cabinet_row(app, world.cabinet_a) == (None, None)


def test_deleting_locks_every_user_of_the_cabinet_and_of_its_clients(app, world, browser):
    collaborator = browser("collab_a")
    client_user = browser("client_a1")
    other_cabinet = browser("collab_b")
    owner = browser("owner_a")
    before = utcnow()

    answer = confirm_deletion(owner, " cabinet ALPHA ")

    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    deleted_at, purge_after = cabinet_row(app, world.cabinet_a)
    assert deleted_at >= before
    assert purge_after - deleted_at == dt.timedelta(days=90)
    # Open sessions end at their next request, the owner's included.
    for user in (owner, collaborator, client_user):
        assert "/login" in user.get("/compte/profil").headers.get("Location", "")
    assert other_cabinet.get("/clientview/list/").status_code == 200
    # A new login is refused, and says why once the password is right.
    for login in ("owner_a", "collab_a", "client_a1"):
        location, landing = login_answer(app, login)
        assert "/login" in location
        assert "Le compte de votre cabinet a été supprimé" in landing
    location, landing = login_answer(app, "collab_b")
    assert "/login" not in location
    # The API refuses a token too.
    response = app.test_client().post("/api/v1/security/login", json={
        "username": "collab_a", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 401


def test_a_wrong_password_on_a_deleted_cabinet_reveals_nothing(app, world):
    with app.app_context():
        db.session.get(Cabinet, world.cabinet_a).deleted_at = utcnow()
        db.session.commit()
        db.session.remove()
    client = Browser(app).client
    page = client.get("/login/")
    response = client.post("/login/", data={"username": "collab_a", "password": "mauvais",
                                            "csrf_token": csrf_token_from(page.text)})
    landing = client.get(response.headers["Location"])
    assert "supprimé" not in landing.text


@pytest.mark.parametrize("login", ["owner_a", "admin_a", "collab_a", "restricted_a",
                                   "client_a1"])
def test_the_cabinets_screen_is_the_platform_admins(world, browser, login):
    user = browser(login)
    assert user.get(ADMIN_LIST).status_code in {302, 403}
    assert user.get(ADMIN_NEW).status_code in {302, 403}
    assert "Cabinet Bêta" not in user.get(ADMIN_LIST, follow_redirects=True).text


def test_admin_sees_every_cabinet_with_its_size_and_purge_date(app, world, browser):
    with app.app_context():
        cabinet = db.session.get(Cabinet, world.cabinet_b)
        cabinet.deleted_at = dt.datetime(2026, 11, 2, 10, 0)
        cabinet.purge_after = dt.datetime(2027, 1, 31, 10, 0)
        db.session.commit()
        db.session.remove()
    page = browser("admin").get(ADMIN_LIST)
    assert page.status_code == 200
    assert "Cabinet Alpha" in page.text and "Cabinet Bêta" in page.text
    assert "31/01/2027" in page.text
    show = browser("admin").get(f"/plateforme/cabinets/show/{world.cabinet_a}")
    assert show.status_code == 200
    assert "Olivia Alpha" in show.text


def test_admin_creates_a_cabinet_with_its_owner_who_can_log_in(app, world, browser):
    admin = browser("admin")
    form = {"name": "Cabinet Gamma", "siren": "732 829 320", "owner_first_name": "Gaëlle",
            "owner_last_name": "Gamma", "owner_email": "gaelle@gamma.fr",
            "owner_username": "owner_g", "owner_password": PASSWORD,
            "confirm_password": PASSWORD}
    taken = admin.post(ADMIN_NEW, dict(form, owner_username="owner_a",
                                       owner_email="OWNER_B@test.fr"), csrf_from=ADMIN_NEW)
    assert "Cet identifiant est déjà pris." in taken.text
    assert "Cette adresse e-mail est déjà utilisée par un autre compte." in taken.text
    bad_siren = admin.post(ADMIN_NEW, dict(form, siren="123456789"), csrf_from=ADMIN_NEW)
    assert "Ce SIREN n&#39;est pas valide" in bad_siren.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Cabinet.id))) == 2
        db.session.remove()

    created = admin.post(ADMIN_NEW, form, csrf_from=ADMIN_NEW)

    assert created.status_code == 302
    with app.app_context():
        cabinet = db.session.scalar(select(Cabinet).where(Cabinet.name == "Cabinet Gamma"))
        assert cabinet.siren == "732829320"
        assert cabinet.owner.username == "owner_g"
        assert cabinet.owner.role_names == {"Propriétaire"}
        db.session.remove()
    owner = browser("owner_g")
    assert owner.get("/clientview/list/").status_code == 200


def test_admin_restores_a_deleted_cabinet(app, world, browser):
    confirm_deletion(browser("owner_a"), "Cabinet Alpha")
    admin = browser("admin")
    answer = admin.post("/plateforme/cabinets/action_post", {
        "action": "restore", "rowid": [str(world.cabinet_a)]}, csrf_from=ADMIN_LIST)
    assert answer.status_code == 302
    assert cabinet_row(app, world.cabinet_a) == (None, None)
    assert browser("collab_a").get("/clientview/list/").status_code == 200


def run_purge(app, *args):
    result = app.test_cli_runner().invoke(args=["purge-cabinets", *args])
    assert result.exit_code == 0, result.output
    return result.output


def counts(app, cabinet_id, client_ids):
    with app.app_context():
        values = {
            "cabinet": db.session.scalar(select(func.count(Cabinet.id)).where(
                Cabinet.id == cabinet_id)),
            "clients": db.session.scalar(select(func.count(Client.id)).where(
                Client.cabinet_id == cabinet_id)),
            "users": db.session.scalar(select(func.count(AppUser.id)).where(
                AppUser.cabinet_id == cabinet_id)) + db.session.scalar(
                select(func.count(AppUser.id)).where(AppUser.client_id.in_(client_ids))),
            "plans": db.session.scalar(select(func.count(AccountingPlan.id)).where(
                AccountingPlan.client_id.in_(client_ids)
                | (AccountingPlan.cabinet_id == cabinet_id))),
            "messages": db.session.scalar(select(func.count(SupportMessage.id)).where(
                SupportMessage.cabinet_id == cabinet_id)),
            "history": db.session.scalar(text(
                "SELECT COUNT(*) FROM accounting_plan_version v JOIN accounting_plan p "
                "ON p.id = v.id WHERE p.cabinet_id = :c"), {"c": cabinet_id}),
        }
        db.session.remove()
    return values


def give_cabinet_data(app, cabinet_id, client_id, owner_id):
    """A firm plan (with its history), a client plan and a support message."""
    from app.plans.copying import apply_plan, duplicate_plan

    with app.app_context():
        session = db.session
        default = session.scalars(select(AccountingPlan).where(
            AccountingPlan.code.is_not(None))).first()
        template = duplicate_plan(session, default, "Modèle", cabinet_id)
        apply_plan(session, template, session.get(Client, client_id))
        session.add(SupportMessage(user_id=owner_id, user_name="Olivia", cabinet_id=cabinet_id,
                                   subject="Question", message="Bonjour"))
        session.commit()
        session.remove()


def test_purge_erases_only_cabinets_past_their_retention(app, world, browser):
    give_cabinet_data(app, world.cabinet_a, world.a1, world.users["owner_a"])
    give_cabinet_data(app, world.cabinet_b, world.b1, world.users["owner_b"])
    a_clients, b_clients = [world.a1, world.a2], [world.b1]
    before_a, before_b = counts(app, world.cabinet_a, a_clients), counts(
        app, world.cabinet_b, b_clients)
    assert all(before_a.values()) and all(before_b.values())

    confirm_deletion(browser("owner_a"), "Cabinet Alpha")
    assert "Aucun cabinet à purger." in run_purge(app)  # still within its retention
    assert counts(app, world.cabinet_a, a_clients) == before_a

    with app.app_context():
        db.session.get(Cabinet, world.cabinet_a).purge_after = utcnow() - dt.timedelta(days=1)
        db.session.commit()
        db.session.remove()
    assert "À purger : « Cabinet Alpha »" in run_purge(app, "--dry-run")
    assert counts(app, world.cabinet_a, a_clients) == before_a

    output = run_purge(app)

    assert "1 cabinet(s) purgé(s)" in output
    assert not any(counts(app, world.cabinet_a, a_clients).values())
    assert counts(app, world.cabinet_b, b_clients) == before_b
    assert browser("collab_b").get("/clientview/list/").status_code == 200


def test_the_platform_admin_has_no_cabinet_settings_menu(world, browser):
    """Admin holds every permission but belongs to no cabinet: no menu leading to a 404."""
    home = browser("admin").get("/plateforme/cabinets/list/").text
    assert "Réglages du cabinet" not in home and "Cabinets" in home
    assert "Réglages du cabinet" in browser("admin_a").get("/compte/profil").text
