"""The six roles (defined in code, synced by `flask sync-roles`), what each may
do with clients, the one-Propriétaire rule, and the demo data commands."""
import datetime as dt
import re

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import func, select, text
from stdnum.fr import siren as siren_number

from conftest import PASSWORD, Browser, csrf_token_from, wipe
from app.extensions import db
from app.models import Cabinet, Client, client_collaborator
from app.security import roles
from app.security.cabinets import OwnerRuleError, add_staff_user, create_cabinet
from app.security.roles import ROLE_PERMISSIONS

SIX_ROLES = {"Admin", "Propriétaire", "Administrateur", "Collaborateur", "Accès restreint", "Client"}


def run_cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    with app.app_context():
        db.session.remove()
    return result


def scalar(app, sql, **params):
    with app.app_context():
        value = db.session.execute(text(sql), params).scalar()
        db.session.remove()
        return value


def client_exists(app, client_id):
    return scalar(app, "SELECT COUNT(*) FROM client WHERE id = :i", i=client_id) == 1


# Roles -----------------------------------------------------------------------

def test_roles_are_defined_in_code(app):
    assert set(ROLE_PERMISSIONS) == SIX_ROLES
    assert set(roles.STAFF_ROLES) == {"Propriétaire", "Administrateur", "Collaborateur", "Accès restreint"}
    # FAB reads them as built-in roles: the permissions are not rows to edit.
    assert set(app.config["FAB_ROLES"]) == SIX_ROLES
    assert set(app.appbuilder.sm.builtin_roles) == SIX_ROLES


def test_sync_roles_creates_the_six_roles_and_is_idempotent(app):
    first = run_cli(app, "sync-roles")
    assert first.exit_code == 0, first.output
    assert "Rôles synchronisés" in first.output
    names = {row for row in _role_names(app)}
    assert SIX_ROLES <= names
    counts = _security_counts(app)

    second = run_cli(app, "sync-roles")
    assert second.exit_code == 0, second.output
    assert "créés" not in second.output
    assert _security_counts(app) == counts
    assert sorted(_role_names(app)) == sorted(set(_role_names(app)))  # no duplicate


def _role_names(app):
    with app.app_context():
        names = list(db.session.execute(text("SELECT name FROM ab_role")).scalars())
        db.session.remove()
        return names


def _security_counts(app):
    return {table: scalar(app, f"SELECT COUNT(*) FROM {table}")
            for table in ("ab_role", "ab_permission", "ab_view_menu", "ab_permission_view")}


# Permissions per role ----------------------------------------------------------

EXPECTED_CLIENT_VIEW = {
    # login: (can_list, can_show, can_edit, can_add, can_delete)
    "admin": (True, True, True, True, True),
    "owner_a": (True, True, True, True, True),
    "admin_a": (True, True, True, True, True),
    "collab_a": (True, True, True, True, True),
    "restricted_a": (True, True, True, False, False),
    "client_a1": (False, False, False, False, False),
}
CLIENT_VIEW_PERMISSIONS = ("can_list", "can_show", "can_edit", "can_add", "can_delete")


@pytest.mark.parametrize("login", list(EXPECTED_CLIENT_VIEW))
def test_security_manager_grants_what_each_role_may_do(app, world, login):
    sm = app.appbuilder.sm
    with app.test_request_context():
        user = sm.get_user_by_id(world.users[login])
        login_user(user)
        g.user = user
        granted = tuple(sm.has_access(permission, "ClientView") for permission in CLIENT_VIEW_PERMISSIONS)
        security_menu = sm.has_access("can_list", "UserDBModelView")
        db.session.remove()
    assert granted == EXPECTED_CLIENT_VIEW[login]
    assert security_menu is (login == "admin")


def _new_client_form(**changes):
    data = {"name": "Nouveau Client SAS", "siren": "443061841", "email": "nouveau@client.fr",
            "pack": "Standard", "dossier_code": "", "dossier_label": "", "multi_vat": "y"}
    data.update(changes)
    return data


def test_restricted_cannot_add_or_delete_clients(app, world, browser, api):
    user = browser("restricted_a")
    assert user.get("/clientview/add").status_code == 403
    assert user.post("/clientview/add", _new_client_form(), csrf_from="/clientview/list/").status_code == 403
    assert user.post(f"/clientview/delete/{world.a1}", csrf_from="/clientview/list/").status_code == 403
    assert client_exists(app, world.a1)
    assert scalar(app, "SELECT COUNT(*) FROM client") == 3
    # …but may edit the clients assigned to them.
    assert user.get(f"/clientview/edit/{world.a1}").status_code == 200

    client = api("restricted_a")
    assert client.post("/api/v1/client/", json={"name": "X", "email": "x@x.fr", "pack": "Standard"}
                       ).status_code == 403
    assert client.delete(f"/api/v1/client/{world.a1}").status_code == 403
    assert scalar(app, "SELECT COUNT(*) FROM client") == 3


def test_collaborator_can_add_and_delete_clients(app, world, browser):
    user = browser("collab_a")
    assert user.get("/clientview/add").status_code == 200
    response = user.post("/clientview/add", _new_client_form(), csrf_from="/clientview/add")
    assert response.status_code == 302, response.text[:1000]
    assert scalar(app, "SELECT cabinet_id FROM client WHERE name = 'Nouveau Client SAS'") == world.cabinet_a
    response = user.post(f"/clientview/delete/{world.a2}", csrf_from="/clientview/list/")
    assert response.status_code == 302
    assert not client_exists(app, world.a2)


def test_collaborator_api_can_add_and_delete_clients(app, world, api):
    client = api("collab_a")
    response = client.post("/api/v1/client/", json={
        "name": "Client API SARL", "email": "api@client.fr", "pack": "Premium", "siren": "552100554"})
    assert response.status_code == 201, response.text
    new_id = response.json["id"]
    assert scalar(app, "SELECT cabinet_id FROM client WHERE id = :i", i=new_id) == world.cabinet_a
    assert client.delete(f"/api/v1/client/{new_id}").status_code == 200
    assert not client_exists(app, new_id)


def test_client_form_accepts_multi_vat_left_unchecked(app, world, browser):
    """An unchecked checkbox sends nothing: « Multi-TVA » must then mean no,
    not « Ce champ est requis »."""
    user = browser("collab_a")
    data = _new_client_form()
    del data["multi_vat"]
    response = user.post("/clientview/add", data, csrf_from="/clientview/add")
    assert response.status_code == 302, re.findall(r"Ce champ est requis|Multi-TVA", response.text)
    assert scalar(app, "SELECT COUNT(*) FROM client WHERE name = 'Nouveau Client SAS'") == 1


def test_client_user_is_refused_the_client_screens(app, world, browser):
    user = browser("client_a1")
    for path in ("/clientview/list/", f"/clientview/show/{world.a1}", f"/clientview/edit/{world.a1}",
                 "/clientview/add"):
        assert user.get(path).status_code == 403, path
    assert user.post(f"/clientview/delete/{world.a1}", csrf_from="/").status_code == 403
    assert client_exists(app, world.a1)


def test_client_user_api_reads_only_its_dossier(app, world, api):
    client = api("client_a1")
    listing = client.get("/api/v1/client/")
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json["result"]] == [world.a1]
    assert client.put(f"/api/v1/client/{world.a1}", json={"name": "X"}).status_code == 403
    assert client.delete(f"/api/v1/client/{world.a1}").status_code == 403


# One Propriétaire per cabinet --------------------------------------------------

def _owners_by_cabinet(app):
    """{cabinet id: (owner_id, [ids of users holding Propriétaire in it])}."""
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT u.cabinet_id, u.id FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
            "JOIN ab_role r ON r.id = ur.role_id WHERE r.name = :owner"), {"owner": roles.OWNER}).all()
        cabinets = db.session.execute(select(Cabinet.id, Cabinet.owner_id)).all()
        db.session.remove()
    holders = {}
    for cabinet_id, user_id in rows:
        holders.setdefault(cabinet_id, []).append(user_id)
    return {cabinet_id: (owner_id, sorted(holders.get(cabinet_id, []))) for cabinet_id, owner_id in cabinets}


def assert_one_owner_each(app):
    for cabinet_id, (owner_id, holders) in _owners_by_cabinet(app).items():
        assert owner_id is not None, cabinet_id
        assert holders == [owner_id], (cabinet_id, owner_id, holders)


def test_create_cabinet_sets_its_owner(app, world):
    sm = app.appbuilder.sm
    with app.app_context():
        cabinet = create_cabinet(sm, db.session, name="Cabinet Gamma", owner_username="owner_g",
                                 owner_email="owner_g@test.fr", owner_first_name="Gaëlle",
                                 owner_last_name="Gamma", owner_password=PASSWORD, siren="552100554")
        db.session.commit()
        assert cabinet.owner_id is not None
        assert cabinet.owner.cabinet_id == cabinet.id
        assert cabinet.owner.role_names == {roles.OWNER}
        db.session.remove()
    assert_one_owner_each(app)
    Browser(app, "owner_g")


def test_second_owner_is_refused(app, world):
    sm = app.appbuilder.sm
    with app.app_context():
        cabinet = db.session.get(Cabinet, world.cabinet_a)
        with pytest.raises(OwnerRuleError):
            add_staff_user(sm, db.session, cabinet, roles.OWNER, username="owner_a2",
                           email="owner_a2@test.fr", first_name="Deux", last_name="Proprio",
                           password=PASSWORD)
        with pytest.raises(ValueError):
            add_staff_user(sm, db.session, cabinet, roles.ADMIN, username="admin_a2",
                           email="admin_a2@test.fr", first_name="Pas", last_name="Staff",
                           password=PASSWORD)
        db.session.rollback()
        db.session.remove()
    assert scalar(app, "SELECT COUNT(*) FROM ab_user WHERE username IN ('owner_a2', 'admin_a2')") == 0
    assert_one_owner_each(app)


# The admin's user screen (Security menu) -----------------------------------------

def form_values(html):
    """What the browser would submit for the form as displayed."""
    values = {}
    for match in re.finditer(r"<input\b[^>]*>", html):
        tag = match.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) in ("csrf_token",):
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = (re.search(r'value="([^"]*)"', tag) or [None, ""])[1]
        if kind == "checkbox":
            if re.search(r"\bchecked\b", tag):
                values[name.group(1)] = value or "y"
        elif kind not in ("submit", "button"):
            values[name.group(1)] = value
    for match in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.findall(r'<option selected value="([^"]*)"', match.group(2))
        values[match.group(1)] = selected if len(selected) != 1 else selected[0]
    return values


def _role_id(app, name):
    with app.app_context():
        role_id = app.appbuilder.sm.find_role(name).id
        db.session.remove()
        return role_id


def _user_state(app, user_id):
    with app.app_context():
        row = db.session.execute(text(
            "SELECT username, active, cabinet_id, email FROM ab_user WHERE id = :i"), {"i": user_id}).one_or_none()
        role_names = sorted(db.session.execute(text(
            "SELECT r.name FROM ab_role r JOIN ab_user_role ur ON ur.role_id = r.id WHERE ur.user_id = :i"),
            {"i": user_id}).scalars())
        db.session.remove()
    return None if row is None else (tuple(row), role_names)


def _edit_user(admin, user_id, **changes):
    page = f"/users/edit/{user_id}"
    html = admin.get(page).text
    data = form_values(html)
    data.update(changes)
    data = {key: value for key, value in data.items() if value is not None}
    data["csrf_token"] = csrf_token_from(html)
    return admin.client.post(page, data=data)


def _refusal_page(admin, response):
    """FAB shows the form again with the error, or flashes it after a redirect."""
    assert response.status_code in (200, 302), response.status_code
    html = response.text if response.status_code == 200 else admin.get(response.headers["Location"]).text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("change", ["demote", "deactivate", "move"])
def test_admin_cannot_demote_deactivate_or_move_an_owner(app, world, browser, change):
    admin = browser("admin")
    owner_id = world.users["owner_a"]
    before = _user_state(app, owner_id)
    changes = {
        "demote": {"roles": str(_role_id(app, roles.COLLABORATOR))},
        "deactivate": {"active": None},
        "move": {"cabinet": str(world.cabinet_b)},
    }[change]
    page = _refusal_page(admin, _edit_user(admin, owner_id, **changes))
    assert "garde son rôle, son cabinet et son accès" in page
    assert _user_state(app, owner_id) == before
    assert_one_owner_each(app)


def test_admin_can_still_edit_an_owners_details(app, world, browser):
    admin = browser("admin")
    owner_id = world.users["owner_a"]
    response = _edit_user(admin, owner_id, email="olivia@alpha.fr")
    assert response.status_code == 302
    assert _user_state(app, owner_id)[0][3] == "olivia@alpha.fr"
    assert_one_owner_each(app)


def test_admin_cannot_delete_an_owner(app, world, browser):
    admin = browser("admin")
    owner_id = world.users["owner_a"]
    before = _user_state(app, owner_id)
    response = admin.post(f"/users/delete/{owner_id}", csrf_from="/users/list/")
    assert "ne peut pas être supprimé" in _refusal_page(admin, response)
    assert _user_state(app, owner_id) == before
    assert_one_owner_each(app)


def test_admin_can_delete_a_collaborator(app, world, browser):
    admin = browser("admin")
    response = admin.post(f"/users/delete/{world.users['collab_b']}", csrf_from="/users/list/")
    assert response.status_code == 302
    assert _user_state(app, world.users["collab_b"]) is None


def test_owner_role_cannot_be_given_to_another_user(app, world, browser):
    admin = browser("admin")
    collab_id = world.users["collab_a"]
    before = _user_state(app, collab_id)
    response = _edit_user(admin, collab_id, roles=str(_role_id(app, roles.OWNER)))
    assert "n'a qu'un seul propriétaire" in _refusal_page(admin, response).replace("&#39;", "'")
    assert _user_state(app, collab_id) == before
    assert_one_owner_each(app)


def test_new_user_cannot_be_created_as_owner(app, world, browser):
    admin = browser("admin")
    data = {
        "first_name": "Paul", "last_name": "Second", "username": "paul", "active": "y",
        "email": "paul@alpha.fr", "roles": str(_role_id(app, roles.OWNER)),
        "cabinet": str(world.cabinet_a), "client": "__None", "phone": "", "job_title": "",
        "password": "Passerelle-2026!", "conf_password": "Passerelle-2026!",
    }
    response = admin.post("/users/add", data, csrf_from="/users/add")
    assert "n'a qu'un seul propriétaire" in _refusal_page(admin, response).replace("&#39;", "'")
    assert scalar(app, "SELECT COUNT(*) FROM ab_user WHERE username = 'paul'") == 0
    assert_one_owner_each(app)


# The same rule through FAB's security REST API (FAB_ADD_SECURITY_API) and groups -----

def test_security_api_cannot_demote_an_owner(app, world, api):
    owner_id = world.users["owner_a"]
    before = _user_state(app, owner_id)
    response = api("admin").put(f"/api/v1/security/users/{owner_id}",
                                json={"roles": [_role_id(app, roles.COLLABORATOR)]})
    assert 400 <= response.status_code < 500, response.text
    assert _user_state(app, owner_id) == before
    assert_one_owner_each(app)


def test_security_api_cannot_delete_an_owner(app, world, api):
    owner_id = world.users["owner_b"]
    before = _user_state(app, owner_id)
    response = api("admin").delete(f"/api/v1/security/users/{owner_id}")
    assert 400 <= response.status_code < 500, response.text
    assert _user_state(app, owner_id) == before
    assert_one_owner_each(app)


def test_security_api_cannot_create_a_second_owner(app, world, api):
    response = api("admin").post("/api/v1/security/users/", json={
        "first_name": "Paul", "last_name": "Second", "username": "paul", "email": "paul@alpha.fr",
        "active": True, "roles": [_role_id(app, roles.OWNER)], "password": "Passerelle-2026!"})
    assert 400 <= response.status_code < 500, response.text
    assert scalar(app, "SELECT COUNT(*) FROM ab_user WHERE username = 'paul'") == 0
    assert_one_owner_each(app)


def test_owner_role_cannot_be_given_through_a_group(app, world, browser):
    """FAB adds a group's roles to its members' (sm.get_user_roles)."""
    admin = browser("admin")
    admin.post("/groups/add", {"name": "Associés", "label": "Associés", "description": "",
                               "roles": str(_role_id(app, roles.OWNER)),
                               "users": str(world.users["collab_a"])}, csrf_from="/groups/add")
    sm = app.appbuilder.sm
    with app.app_context():
        effective = {role.name for role in sm.get_user_roles(sm.get_user_by_id(world.users["collab_a"]))}
        db.session.remove()
    assert roles.OWNER not in effective


# Demo data -------------------------------------------------------------------------

DEMO_ARGS = ["seed-demo", "--seed", "7", "--clients", "20", "--today", "2026-03-01"]
DEMO_USERNAMES = {"admin", "proprietaire", "administrateur", "collaborateur", "restreint",
                  "proprietaire2", "client"}


def _demo_clients(app):
    with app.app_context():
        rows = db.session.execute(
            select(Client.name, Client.siren, Client.dossier_code, Client.last_login_at, Client.created_at)
            .order_by(Client.name)).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def test_seed_demo_loads_two_cabinets_seven_logins_and_the_clients(app):
    wipe(app)
    result = run_cli(app, *DEMO_ARGS)
    assert result.exit_code == 0, result.output
    assert "2 cabinets, 20 clients" in result.output

    assert scalar(app, "SELECT COUNT(*) FROM cabinet") == 2
    with app.app_context():
        usernames = set(db.session.execute(text("SELECT username FROM ab_user")).scalars())
        db.session.remove()
    assert usernames == DEMO_USERNAMES
    assert_one_owner_each(app)

    clients = _demo_clients(app)
    assert len(clients) == 20
    assert all(siren_number.is_valid(siren) for _, siren, *_ in clients)
    assert len({siren for _, siren, *_ in clients}) == 20
    with_dossier = [c for c in clients if c[2]]
    assert 0 < len(with_dossier) < 20
    never_connected = [c for c in clients if c[3] is None]
    assert 0 < len(never_connected) < 20
    reference = dt.datetime(2026, 3, 1, 9, 0)
    assert all(created <= reference for *_, created in clients)

    with app.app_context():
        restricted_id = db.session.execute(
            text("SELECT id FROM ab_user WHERE username = 'restreint'")).scalar()
        assigned = db.session.scalar(select(func.count()).select_from(client_collaborator)
                                     .where(client_collaborator.c.user_id == restricted_id))
        db.session.remove()
    assert assigned == 5


def test_demo_logins_work_and_restricted_sees_five_clients(app):
    wipe(app)
    assert run_cli(app, *DEMO_ARGS).exit_code == 0
    password = app.config["DEMO_PASSWORD"]
    restricted = Browser(app, "restreint", password)
    page = restricted.get("/clientview/list/?size=100")
    assert page.status_code == 200
    assert 'data-count="5"' in page.text
    assert page.text.count('name="rowid"') == 5
    Browser(app, "client", password)


def test_seed_demo_is_deterministic(app):
    wipe(app)
    assert run_cli(app, *DEMO_ARGS).exit_code == 0
    first = [(name, siren) for name, siren, *_ in _demo_clients(app)]
    wipe(app)
    assert run_cli(app, *DEMO_ARGS).exit_code == 0
    second = [(name, siren) for name, siren, *_ in _demo_clients(app)]
    assert first == second
    wipe(app)
    assert run_cli(app, "seed-demo", "--seed", "8", "--clients", "20", "--today", "2026-03-01").exit_code == 0
    assert [(name, siren) for name, siren, *_ in _demo_clients(app)] != first


def test_seed_demo_if_empty_leaves_a_filled_database_alone(app, world):
    before = _demo_clients(app)
    users = scalar(app, "SELECT COUNT(*) FROM ab_user")
    result = run_cli(app, *DEMO_ARGS, "--if-empty")
    assert result.exit_code == 0, result.output
    assert "Base déjà initialisée" in result.output
    assert _demo_clients(app) == before
    assert scalar(app, "SELECT COUNT(*) FROM ab_user") == users
    # Without --if-empty, a filled database is an error, still untouched.
    refused = run_cli(app, *DEMO_ARGS)
    assert refused.exit_code != 0
    assert _demo_clients(app) == before


def test_demo_logins_prints_every_login(app):
    from app.demo import DEMO_LOGINS

    result = run_cli(app, "demo-logins")
    assert result.exit_code == 0, result.output
    assert app.config["DEMO_PASSWORD"] in result.output
    assert {login for login, _ in DEMO_LOGINS} == DEMO_USERNAMES
    for login, description in DEMO_LOGINS:
        assert re.search(rf"^\s+{re.escape(login)}\s+{re.escape(description)}$", result.output, re.M), login


@pytest.mark.parametrize("login", ["owner_a", "collab_a", "restricted_a", "client_a1"])
def test_every_user_can_open_their_own_profile(app, world, browser, login):
    page = browser(login).get("/users/userinfo/")
    assert page.status_code == 200
    assert f"{login}@" in page.text or login in page.text


def test_web_form_refuses_a_foreign_collaborator_instead_of_dropping_it(app, world, browser):
    user = browser("collab_a")
    response = user.post(f"/clientview/edit/{world.a1}", {
        "name": "Alpha Un SARL", "siren": "732829320", "email": "un@alpha.fr", "pack": "Standard",
        "dossier_code": "A001", "collaborators": [str(world.users["collab_b"])]},
        csrf_from=f"/clientview/edit/{world.a1}")
    assert response.status_code == 200  # the form again, with its error
    with app.app_context():
        client = db.session.get(Client, world.a1)
        kept = {user.id for user in client.collaborators}
        db.session.remove()
    assert kept == {world.users["restricted_a"], world.users["collab_a"]}
