"""« Réglages du cabinet > Collaborateurs » (issue 7): the cabinet's staff.

Propriétaire and Administrateur list, create, edit, deactivate, reactivate and
assign clients; every other role is refused (403), the platform Admin has no
cabinet (404), and another cabinet's user is never reachable (404). The
Propriétaire is listed first, keeps their level and access, and alone may hand
the cabinet over to an active Administrateur.
"""
import html
import re

import pytest
from sqlalchemy import select, text

from app.cabinets import collaborators as rules
from app.cabinets.collaborators import CollaboratorRuleError
from app.extensions import db
from app.models import AppUser, Cabinet, Client, client_collaborator
from app.security import roles
from app.security.cabinets import add_staff_user
from conftest import PASSWORD, Browser, csrf_token_from

LIST = "/cabinet/collaborateurs/"
NEW = "/cabinet/collaborateurs/nouveau"
NEW_PASSWORD = "Bienvenue-Cabinet-2026!"
CLIENT_LIST = "/clientview/list/"


def edit_url(pk):
    return f"/cabinet/collaborateurs/{pk}"


def action_url(pk, action):
    return f"/cabinet/collaborateurs/{pk}/{action}"


ACTIONS = ("clients", "desactiver", "reactiver", "transferer-propriete")


# Helpers -----------------------------------------------------------------------------

def scalar(app, sql, **params):
    with app.app_context():
        value = db.session.execute(text(sql), params).scalar()
        db.session.remove()
    return value


def state(app):
    """What these screens may change: every user, the followed clients, the owners."""
    with app.app_context():
        users = {
            user.id: (user.username, user.email, user.first_name, user.last_name, user.phone,
                      user.job_title, user.active, user.session_token, user.cabinet_id,
                      user.password, tuple(sorted(role.name for role in user.roles)))
            for user in db.session.scalars(select(AppUser))
        }
        followed = sorted(db.session.execute(
            select(client_collaborator.c.user_id, client_collaborator.c.client_id)).all())
        owners = sorted(db.session.execute(select(Cabinet.id, Cabinet.owner_id)).all())
        db.session.remove()
    return {"users": users, "followed": followed, "owners": owners}


def user_info(app, user_id):
    with app.app_context():
        user = db.session.get(AppUser, user_id)
        info = {"active": user.active, "level": rules.level_of(user),
                "roles": sorted(role.name for role in user.roles),
                "session_token": user.session_token, "email": user.email,
                "first_name": user.first_name, "job_title": user.job_title}
        db.session.remove()
    return info


def followed_by(app, user_id):
    with app.app_context():
        ids = set(db.session.scalars(select(client_collaborator.c.client_id)
                                     .where(client_collaborator.c.user_id == user_id)))
        db.session.remove()
    return ids


def owner_of(app, cabinet_id):
    with app.app_context():
        owner_id = db.session.get(Cabinet, cabinet_id).owner_id
        db.session.remove()
    return owner_id


def user_id_of(app, username):
    with app.app_context():
        user_id = db.session.scalar(select(AppUser.id).where(AppUser.username == username))
        db.session.remove()
    return user_id


def add_staff(app, world, username, role, cabinet="a", active=True):
    sm = app.appbuilder.sm
    with app.app_context():
        cabinet_row = db.session.get(Cabinet, getattr(world, f"cabinet_{cabinet}"))
        user = add_staff_user(sm, db.session, cabinet_row, role, username=username,
                              email=f"{username}@test.fr", first_name=username.capitalize(),
                              last_name="Zeta", password=PASSWORD)
        user.active = active
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


def add_client(app, world, name, cabinet="a"):
    with app.app_context():
        client = Client(cabinet_id=getattr(world, f"cabinet_{cabinet}"), name=name,
                        email=f"{name.split()[0].lower()}@client.fr", pack="Standard")
        db.session.add(client)
        db.session.commit()
        client_id = client.id
        db.session.remove()
    return client_id


def login_works(app, username, password=PASSWORD):
    client = app.test_client()
    token = csrf_token_from(client.get("/login/").text)
    response = client.post("/login/", data={"username": username, "password": password,
                                            "csrf_token": token})
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def token_of(user):
    """A valid CSRF token for this browser, taken from a page every role may open."""
    return user.csrf("/compte/profil")


def post(user, path, data=None):
    return user.client.post(path, data={**(data or {}), "csrf_token": token_of(user)})


def flashed(user):
    """The flashed messages, read on the next page shown."""
    page = user.get("/compte/profil").text
    messages = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.DOTALL)
    return [" ".join(html.unescape(re.sub(r"<button.*?</button>|<[^>]+>", " ", message)).split())
            for message in messages]


def listed_emails(page):
    """The emails of the list's rows, in order."""
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return re.findall(r'<td class="text-muted">([^<]+@[^<]+)</td>', body)


def field_errors(page):
    return [html.unescape(error) for error in re.findall(r'field-error">(.*?)</span>', page)]


def new_collaborator(**changes):
    data = {"first_name": "Rita", "last_name": "Martin", "email": "rita.martin@alpha.fr",
            "username": "", "phone": "01 23 45 67 89", "job_title": "Assistante comptable",
            "level": roles.COLLABORATOR, "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD}
    data.update(changes)
    return data


def profile_of(app, user_id, **changes):
    """The edit form's data as the page would send it, with `changes`."""
    info = user_info(app, user_id)
    data = {"first_name": info["first_name"], "last_name": "A", "email": info["email"],
            "phone": "", "job_title": info["job_title"] or "", "level": info["level"]}
    data.update(changes)
    return data


def client_names(page):
    return re.findall(r'<td class="col-name"><a href="/clients/\d+/">([^<]+)</a>',
                      html.unescape(page))


MANAGERS = ["owner_a", "admin_a"]


# Who may open the screens ------------------------------------------------------------

def every_route(target):
    """(method, path) of every route of the screens, aimed at user `target`."""
    routes = [("GET", LIST), ("GET", NEW), ("POST", NEW), ("GET", edit_url(target)),
              ("POST", edit_url(target))]
    return routes + [("POST", action_url(target, action)) for action in ACTIONS]


def call(user, method, path, token):
    if method == "GET":
        return user.get(path)
    data = {"csrf_token": token, "clients": "1", "level": roles.ADMINISTRATOR,
            **new_collaborator(email="pirate@test.fr", username="pirate")}
    return user.client.post(path, data=data)


@pytest.mark.parametrize("login", ["collab_a", "restricted_a", "client_a1"])
def test_other_roles_are_refused_on_every_route(app, world, login):
    user = Browser(app, login)
    token = token_of(user)
    before = state(app)
    for target in ("collab_a", "admin_a", "owner_a"):
        for method, path in every_route(world.users[target]):
            response = call(user, method, path, token)
            assert response.status_code == 403, (login, method, path, response.status_code)
    assert state(app) == before


def test_platform_admin_has_no_cabinet_to_manage(app, world):
    user = Browser(app, "admin")
    token = token_of(user)
    before = state(app)
    for method, path in every_route(world.users["collab_a"]):
        response = call(user, method, path, token)
        assert response.status_code == 404, (method, path, response.status_code)
    assert state(app) == before


@pytest.mark.parametrize("login", MANAGERS)
@pytest.mark.parametrize("target", ["owner_b", "collab_b", "client_a1", "admin", "missing"])
def test_a_user_outside_the_cabinets_staff_is_not_found(app, world, login, target):
    user = Browser(app, login)
    token = token_of(user)
    pk = 987654321 if target == "missing" else world.users[target]
    before = state(app)
    for method, path in every_route(pk)[3:]:
        response = call(user, method, path, token)
        assert response.status_code == 404, (target, method, path, response.status_code)
    assert state(app) == before


def test_the_menu_offers_the_screen_to_owner_and_administrator_only(app, world):
    for login, offered in [("owner_a", True), ("admin_a", True), ("collab_a", False),
                           ("restricted_a", False)]:
        page = Browser(app, login).get("/compte/profil").text
        assert (f'href="{LIST}"' in page) is offered, login


# The list ----------------------------------------------------------------------------

@pytest.mark.parametrize("login", MANAGERS)
def test_list_shows_the_cabinets_staff_owner_first(app, world, login):
    add_staff(app, world, "aaron", roles.COLLABORATOR)  # last name Zeta: last, not first
    response = Browser(app, login).get(LIST)
    assert response.status_code == 200
    page = response.text
    assert listed_emails(page) == ["owner_a@test.fr", "admin_a@test.fr", "collab_a@test.fr",
                                   "restricted_a@test.fr", "aaron@test.fr"]
    for foreign in ("owner_b@test.fr", "collab_b@test.fr", "user@alpha-un.fr", "admin@test.fr"):
        assert foreign not in page
    assert "Propriétaire" in page and "Accès restreint" in page
    assert str(roles.ROLE_DESCRIPTIONS[roles.RESTRICTED]) in html.unescape(page)  # tooltip
    assert "Actif" in page and "jamais" in page


def test_list_shows_status_last_login_and_followed_clients(app, world):
    add_staff(app, world, "ines", roles.COLLABORATOR, active=False)
    Browser(app, "restricted_a")  # logs in: has a last login now
    page = html.unescape(Browser(app, "owner_a").get(LIST).text)
    rows = {re.search(r"([\w.]+@test\.fr)", row).group(1): row
            for row in re.findall(r"<tr class=[^>]*>(.*?)</tr>", page, re.DOTALL)}
    assert "Désactivé" in rows["ines@test.fr"] and "Actif" not in rows["ines@test.fr"]
    restricted = rows["restricted_a@test.fr"]
    assert re.search(r'followed-count">\s*1\s*</td>', restricted)  # follows a1 only
    assert re.search(r"\d{2}/\d{2}/\d{4}\u00a0\d{2}:\d{2}", restricted)  # French date
    assert re.search(r'followed-count">\s*<span[^>]*>tous</span>', rows["collab_a@test.fr"])


def test_list_of_a_cabinet_with_its_owner_alone_says_so(app, world):
    # Cabinet B has one collaborator, collab_b: without a staff role, nobody is left.
    assert "Aucun autre collaborateur" not in Browser(app, "owner_b").get(LIST).text
    with app.app_context():
        db.session.execute(text("DELETE FROM ab_user_role WHERE user_id = :i"),
                           {"i": world.users["collab_b"]})
        db.session.commit()
        db.session.remove()
    page = html.unescape(Browser(app, "owner_b").get(LIST).text)
    assert listed_emails(page) == ["owner_b@test.fr"]
    assert "Aucun autre collaborateur pour le moment" in page
    assert 'href="/cabinet/collaborateurs/nouveau"' in page


# Creating a collaborator -------------------------------------------------------------

@pytest.mark.parametrize("login", MANAGERS)
def test_manager_creates_a_collaborator_who_can_log_in(app, world, login):
    user = Browser(app, login)
    page = user.get(NEW).text
    assert "mot de passe initial" in page and "invitation" in page  # no mail: says so
    response = post(user, NEW, new_collaborator(username="rita"))
    assert response.status_code == 302, field_errors(response.text)
    assert response.headers["Location"].endswith(LIST)
    rita = user_id_of(app, "rita")
    info = user_info(app, rita)
    assert info["level"] == roles.COLLABORATOR and info["active"]
    assert info["job_title"] == "Assistante comptable"
    assert scalar(app, "SELECT cabinet_id FROM ab_user WHERE id = :i", i=rita) == world.cabinet_a
    assert any("Collaborateur « Rita Martin » créé" in message for message in flashed(user))
    assert login_works(app, "rita", NEW_PASSWORD)


def test_username_defaults_to_the_email(app, world):
    user = Browser(app, "owner_a")
    assert post(user, NEW, new_collaborator()).status_code == 302
    assert user_id_of(app, "rita.martin@alpha.fr") is not None
    assert login_works(app, "rita.martin@alpha.fr", NEW_PASSWORD)


def test_created_restricted_collaborator_sees_exactly_their_clients(app, world, api):
    a3 = add_client(app, world, "Alpha Trois SCI")
    owner = Browser(app, "owner_a")
    response = post(owner, NEW, {**new_collaborator(username="rita", level=roles.RESTRICTED),
                                 "clients": [str(world.a1), str(a3)]})
    assert response.status_code == 302, field_errors(response.text)
    rita = user_id_of(app, "rita")
    assert followed_by(app, rita) == {world.a1, a3}
    assert user_info(app, rita)["level"] == roles.RESTRICTED

    names = client_names(Browser(app, "rita", NEW_PASSWORD).get(CLIENT_LIST).text)
    assert sorted(names) == ["Alpha Trois SCI", "Alpha Un SARL"]

    token = app.test_client().post("/api/v1/security/login", json={
        "username": "rita", "password": NEW_PASSWORD, "provider": "db"}).json["access_token"]
    listing = app.test_client().get("/api/v1/client/",
                                    headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200
    assert listing.json["count"] == 2
    assert set(listing.json["ids"]) == {world.a1, a3}


@pytest.mark.parametrize("changes, message", [
    ({"email": "OWNER_B@Test.fr"}, "Cette adresse e-mail est déjà utilisée par un autre compte."),
    ({"email": "collab_a@test.fr"}, "Cette adresse e-mail est déjà utilisée par un autre compte."),
    ({"username": "Collab_B"}, "Cet identifiant est déjà pris."),
    ({"username": "user@alpha-un.fr"}, "Cet identifiant est déjà pris."),
    ({"password": "motdepasse", "confirm_password": "motdepasse"},
     "Le mot de passe doit contenir"),
    ({"confirm_password": "Autre-Chose-2026!"},
     "La confirmation ne correspond pas au mot de passe."),
    ({"level": roles.OWNER}, "Le niveau Propriétaire ne se donne pas"),
    ({"level": roles.ADMIN}, "Choisissez un niveau dans la liste."),
    ({"email": "pas-une-adresse"}, "Adresse e-mail invalide."),
    ({"first_name": ""}, "Le prénom est obligatoire."),
])
def test_creation_is_refused_with_the_reason_and_creates_nothing(app, world, changes, message):
    user = Browser(app, "owner_a")
    before = state(app)
    response = post(user, NEW, new_collaborator(**changes))
    assert response.status_code == 200
    errors = field_errors(response.text)
    assert any(error.startswith(message) for error in errors), errors
    assert state(app) == before


@pytest.mark.parametrize("forged", ["b1", "missing", "not-an-id"])
def test_creation_with_a_client_of_another_cabinet_creates_nothing(app, world, forged):
    value = {"b1": str(world.b1), "missing": "987654321", "not-an-id": "a1"}[forged]
    user = Browser(app, "owner_a")
    before = state(app)
    response = post(user, NEW, {**new_collaborator(level=roles.RESTRICTED),
                                "clients": [str(world.a1), value]})
    assert response.status_code == 200
    assert "Un des clients choisis n'appartient pas à ce cabinet" in html.unescape(response.text)
    assert state(app) == before


def test_creation_form_lists_only_the_cabinets_clients(app, world):
    page = html.unescape(Browser(app, "admin_a").get(NEW).text)
    assert "Alpha Un SARL" in page and "Alpha Deux SAS" in page
    assert "Bêta Un EURL" not in page
    assert 'name="level"' in page and f'value="{roles.OWNER}"' not in page


# Editing -----------------------------------------------------------------------------

@pytest.mark.parametrize("login", MANAGERS)
def test_manager_edits_profile_and_level(app, world, login):
    user = Browser(app, login)
    target = world.users["collab_a"]
    assert user.get(edit_url(target)).status_code == 200
    response = post(user, edit_url(target), profile_of(
        app, target, first_name="Colette", email="colette@alpha.fr", level=roles.RESTRICTED,
        job_title="Comptable"))
    assert response.status_code == 302, field_errors(response.text)
    info = user_info(app, target)
    assert info["first_name"] == "Colette" and info["email"] == "colette@alpha.fr"
    assert info["job_title"] == "Comptable"
    assert info["roles"] == [roles.RESTRICTED]
    # Now restricted: sees the one client they follow.
    assert client_names(Browser(app, "collab_a").get(CLIENT_LIST).text) == ["Alpha Un SARL"]


def test_edit_refuses_a_taken_email_and_the_owner_level(app, world):
    user = Browser(app, "owner_a")
    target = world.users["collab_a"]
    before = state(app)
    response = post(user, edit_url(target), profile_of(app, target, email="Owner_B@test.fr"))
    assert response.status_code == 200
    assert "Cette adresse e-mail est déjà utilisée par un autre compte." in field_errors(
        response.text)
    response = post(user, edit_url(target), profile_of(app, target, level=roles.OWNER))
    assert response.status_code == 200
    assert any(error.startswith("Le niveau Propriétaire ne se donne pas")
               for error in field_errors(response.text))
    assert state(app) == before


@pytest.mark.parametrize("login", MANAGERS)
def test_the_owner_keeps_their_level_and_access(app, world, login):
    user = Browser(app, login)
    owner = world.users["owner_a"]
    page = html.unescape(user.get(edit_url(owner)).text)
    assert 'name="level"' not in page
    assert "desactiver" not in page and "Le propriétaire du cabinet ne peut pas être désactivé." in page

    # A forged level is ignored (the field is not in the form); the profile is saved.
    response = post(user, edit_url(owner), profile_of(app, owner, level=roles.COLLABORATOR,
                                                      job_title="Gérante"))
    assert response.status_code == 302
    info = user_info(app, owner)
    assert info["roles"] == [roles.OWNER] and info["job_title"] == "Gérante"

    before = state(app)
    assert post(user, action_url(owner, "desactiver")).status_code == 302
    assert "Le propriétaire du cabinet ne peut pas être désactivé." in flashed(user)
    assert state(app) == before
    assert login_works(app, "owner_a")


def test_the_rules_refuse_to_demote_the_owner(app, world):
    """Under the form: change_level itself refuses, whatever calls it."""
    with app.app_context():
        cabinet = db.session.get(Cabinet, world.cabinet_a)
        owner = db.session.get(AppUser, world.users["owner_a"])
        admin = db.session.get(AppUser, world.users["admin_a"])
        with pytest.raises(CollaboratorRuleError, match="propriétaire"):
            rules.change_level(db.session, app.appbuilder.sm, cabinet, admin, owner,
                               roles.COLLABORATOR, lambda text, **values: text % values)
        with pytest.raises(CollaboratorRuleError, match="Propriétaire ne se donne pas"):
            rules.change_level(db.session, app.appbuilder.sm, cabinet, owner, admin,
                               roles.OWNER, lambda text, **values: text % values)
        db.session.rollback()
        db.session.remove()
    assert user_info(app, world.users["owner_a"])["roles"] == [roles.OWNER]


def test_an_administrator_cannot_change_their_own_level_nor_deactivate_themselves(app, world):
    user = Browser(app, "admin_a")
    me = world.users["admin_a"]
    page = html.unescape(user.get(edit_url(me)).text)
    assert 'name="level"' not in page and "Désactiver le compte" not in page
    before = state(app)
    assert post(user, edit_url(me), profile_of(app, me, level=roles.COLLABORATOR)).status_code == 302
    assert user_info(app, me)["roles"] == [roles.ADMINISTRATOR]
    assert post(user, action_url(me, "desactiver")).status_code == 302
    assert "Vous ne pouvez pas désactiver votre propre compte." in flashed(user)
    assert state(app) == before


# Deactivating ------------------------------------------------------------------------

@pytest.mark.parametrize("login", MANAGERS)
def test_deactivated_user_cannot_log_in_and_their_session_ends(app, world, login):
    collaborator = Browser(app, "collab_a")
    assert collaborator.get(CLIENT_LIST).status_code == 200
    manager = Browser(app, login)
    target = world.users["collab_a"]
    token_before = user_info(app, target)["session_token"]

    response = post(manager, action_url(target, "desactiver"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(edit_url(target))
    info = user_info(app, target)
    assert info["active"] is False and info["session_token"] != token_before
    assert any("est désactivé" in message for message in flashed(manager))

    ended = collaborator.get(CLIENT_LIST)
    assert ended.status_code == 302 and "/login/" in ended.headers["Location"]
    assert not login_works(app, "collab_a")

    page = html.unescape(manager.get(edit_url(target)).text)
    assert "Réactiver le compte" in page
    assert post(manager, action_url(target, "reactiver")).status_code == 302
    assert user_info(app, target)["active"] is True
    assert login_works(app, "collab_a")


def test_deactivating_twice_or_reactivating_an_active_user_changes_nothing(app, world):
    user = Browser(app, "owner_a")
    target = world.users["collab_a"]
    before = state(app)
    assert post(user, action_url(target, "reactiver")).status_code == 302
    assert "« Collab A » était déjà actif." in flashed(user)
    assert state(app) == before
    post(user, action_url(target, "desactiver"))
    after_first = state(app)
    post(user, action_url(target, "desactiver"))
    assert "« Collab A » était déjà désactivé." in flashed(user)
    assert state(app) == after_first


def test_an_administrator_may_deactivate_another_administrator(app, world):
    other = add_staff(app, world, "albert", roles.ADMINISTRATOR)
    assert post(Browser(app, "admin_a"), action_url(other, "desactiver")).status_code == 302
    assert user_info(app, other)["active"] is False


# Ownership ---------------------------------------------------------------------------

def test_owner_transfers_the_cabinet_to_an_administrator(app, world):
    owner = Browser(app, "owner_a")
    new_owner = world.users["admin_a"]
    page = html.unescape(owner.get(edit_url(new_owner)).text)
    assert "Transférer la propriété du cabinet" in page and "data-confirm" in page

    response = post(owner, action_url(new_owner, "transferer-propriete"))
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    assert owner_of(app, world.cabinet_a) == new_owner
    assert user_info(app, new_owner)["roles"] == [roles.OWNER]
    assert user_info(app, world.users["owner_a"])["roles"] == [roles.ADMINISTRATOR]

    page = owner.get(LIST).text  # the old owner, now Administrateur, still manages
    assert listed_emails(page)[0] == "admin_a@test.fr"
    assert "est désormais le propriétaire du cabinet" in html.unescape(page)
    # The new owner may now do what only the owner does.
    new_browser = Browser(app, "admin_a")
    assert "Transférer la propriété" in html.unescape(
        new_browser.get(edit_url(world.users["owner_a"])).text)
    assert new_browser.get("/cabinet/suppression/").status_code == 200


@pytest.mark.parametrize("login, target, message", [
    ("admin_a", "owner_a", "Seul le propriétaire du cabinet peut en transférer la propriété."),
    ("admin_a", "albert", "Seul le propriétaire du cabinet peut en transférer la propriété."),
    ("owner_a", "collab_a", "ne se transfère qu'à un administrateur actif"),
    ("owner_a", "restricted_a", "ne se transfère qu'à un administrateur actif"),
    ("owner_a", "inactive_admin", "ne se transfère qu'à un administrateur actif"),
    ("owner_a", "owner_a", "Vous êtes déjà le propriétaire du cabinet."),
])
def test_transfer_is_refused_and_changes_nothing(app, world, login, target, message):
    extra = {"albert": add_staff(app, world, "albert", roles.ADMINISTRATOR),
             "inactive_admin": add_staff(app, world, "inactive_admin", roles.ADMINISTRATOR,
                                         active=False)}
    target_id = extra.get(target) or world.users[target]
    user = Browser(app, login)
    if login == "owner_a" and target != "owner_a":
        assert "Transférer la propriété" not in html.unescape(user.get(edit_url(target_id)).text)
    before = state(app)
    assert post(user, action_url(target_id, "transferer-propriete")).status_code == 302
    assert any(message in flash for flash in flashed(user)), flashed(user)
    assert state(app) == before


# Followed clients --------------------------------------------------------------------

@pytest.mark.parametrize("login", MANAGERS)
def test_manager_sets_the_clients_a_collaborator_follows(app, world, login):
    user = Browser(app, login)
    target = world.users["restricted_a"]
    page = html.unescape(user.get(edit_url(target)).text)
    assert f'name="clients" value="{world.a1}" checked' in page
    assert "Bêta Un EURL" not in page

    response = post(user, action_url(target, "clients"), {"clients": [str(world.a2)]})
    assert response.status_code == 302
    assert followed_by(app, target) == {world.a2}
    assert any("suit désormais 1 client" in message for message in flashed(user))
    assert client_names(Browser(app, "restricted_a").get(CLIENT_LIST).text) == ["Alpha Deux SAS"]

    post(user, action_url(target, "clients"), {})  # nothing ticked: follows none
    assert followed_by(app, target) == set()
    # Other followers of the clients are left alone.
    assert world.users["collab_a"] in {uid for uid, _ in state(app)["followed"]}


@pytest.mark.parametrize("forged", ["b1", "missing", "not-an-id"])
def test_assigning_a_client_of_another_cabinet_changes_nothing(app, world, forged):
    value = {"b1": str(world.b1), "missing": "987654321", "not-an-id": "x1"}[forged]
    user = Browser(app, "owner_a")
    target = world.users["restricted_a"]
    before = state(app)
    response = post(user, action_url(target, "clients"), {"clients": [str(world.a2), value]})
    assert response.status_code == 302
    assert any("Un des clients choisis n'appartient pas à ce cabinet" in message
               for message in flashed(user))
    assert state(app) == before


def test_no_get_changes_anything(app, world):
    user = Browser(app, "owner_a")
    before = state(app)
    for path in (LIST, NEW, edit_url(world.users["collab_a"]),
                 edit_url(world.users["owner_a"]) + "?level=Collaborateur&active="):
        assert user.get(path).status_code == 200
    for action in ACTIONS:
        assert user.get(action_url(world.users["collab_a"], action)).status_code == 405
    assert state(app) == before


def test_writes_without_csrf_token_are_refused(app, world):
    user = Browser(app, "owner_a")
    before = state(app)
    target = world.users["collab_a"]
    for path in [NEW, edit_url(target)] + [action_url(target, action) for action in ACTIONS]:
        response = user.client.post(path, data=new_collaborator(clients=str(world.a2)))
        assert response.status_code == 400, (path, response.status_code)
    assert state(app) == before
