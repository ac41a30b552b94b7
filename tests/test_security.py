"""Web and API hardening: CSRF, safe GETs, login rate limiting, password policy,
cookies, list arguments, French screens, security headers, the Security menu.

Most tests use the shared `app` (SQLite and PostgreSQL); the few that need other
settings (rate limiting on, Secure cookies) build their own app on a fresh SQLite
file under tmp_path with conftest's build_app.
"""
import re

import pytest
from sqlalchemy import func, select, text

from conftest import PASSWORD, Browser, build_app, csrf_token_from, seed_world
from app.extensions import db
from app.models import Client
from app.security import roles

NEW_PASSWORD = "Passerelle-2026!"
WEAK_PASSWORD = "motdepasse"


# Helpers ---------------------------------------------------------------------

def visible_text(html):
    """The words a user reads: no scripts, no tags, spaces collapsed."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html).replace("&#39;", "'")


def client_row(app, client_id):
    with app.app_context():
        row = db.session.get(Client, client_id)
        result = None if row is None else {"name": row.name, "email": row.email}
        db.session.remove()
        return result


def snapshot(app):
    """Every row of every table, as sorted tuples (tiny test database)."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as connection:
            return {
                table.name: sorted(
                    (tuple(str(value) for value in row) for row in connection.execute(table.select())),
                )
                for table in db.metadata.sorted_tables
            }


def client_form(**changes):
    data = {"name": "Alpha Un SARL", "siren": "732829320", "email": "un@alpha.fr",
            "pack": "Standard", "dossier_code": "A001", "dossier_label": "",
            # Sent checked: an unchecked multi-TVA box is refused (see test_roles_and_owner).
            "multi_vat": "y"}
    data.update(changes)
    return data


# CSRF ------------------------------------------------------------------------

def test_edit_without_csrf_token_is_refused(app, world, browser):
    collab = browser("collab_a")
    response = collab.post(f"/clientview/edit/{world.a1}", client_form(name="Sans jeton"))
    assert response.status_code == 400
    assert client_row(app, world.a1)["name"] == "Alpha Un SARL"


def test_edit_with_csrf_token_works(app, world, browser):
    collab = browser("collab_a")
    page = f"/clientview/edit/{world.a1}"
    response = collab.post(page, client_form(name="Avec jeton SARL"), csrf_from=page)
    assert response.status_code == 302, visible_text(response.text)[:500]
    assert client_row(app, world.a1)["name"] == "Avec jeton SARL"


def test_delete_without_csrf_token_is_refused(app, world, browser):
    collab = browser("collab_a")
    response = collab.post(f"/clientview/delete/{world.a2}")
    assert response.status_code == 400
    assert client_row(app, world.a2) is not None


def test_delete_with_csrf_token_works(app, world, browser):
    collab = browser("collab_a")
    response = collab.post(f"/clientview/delete/{world.a2}", csrf_from="/clientview/list/")
    assert response.status_code == 302
    assert client_row(app, world.a2) is None


def test_get_on_delete_url_deletes_nothing(app, world, browser):
    for login in ("admin", "collab_a"):
        response = browser(login).get(f"/clientview/delete/{world.a2}")
        assert response.status_code in (302, 400, 403, 405)
        assert client_row(app, world.a2) is not None


def test_login_form_without_csrf_token_is_refused(app, world):
    client = app.test_client()
    client.get("/login/")
    response = client.post("/login/", data={"username": "collab_a", "password": PASSWORD})
    assert response.status_code == 400
    # Not logged in: the list still sends the visitor to the login page.
    listing = client.get("/clientview/list/")
    assert listing.status_code == 302 and "/login" in listing.headers["Location"]


def test_login_form_with_csrf_token_works(app, world):
    Browser(app, "collab_a")  # asserts the redirect away from /login/



def test_the_login_pages_icon_cannot_log_the_user_out(app, world):
    """The login page's icon request may come back after the login itself (a password
    manager submits at once). Its answer must not carry the visitor's session cookie,
    which would replace the logged-in one: it was the 404 page, and it did."""
    browser = Browser(app)
    login_page = browser.get("/login/")
    icon = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', login_page.text).group(1)
    visitor_cookie = browser.client.get_cookie("session").value
    browser.login("collab_a")
    assert browser.client.get_cookie("session").value != visitor_cookie
    late = app.test_client()
    late.set_cookie("session", visitor_cookie)
    for path in ("/favicon.ico", icon):
        answer = late.get(path)
        assert answer.status_code in (200, 301), path
        assert not answer.headers.getlist("Set-Cookie"), path
    assert late.get("/favicon.ico", follow_redirects=True).mimetype == "image/svg+xml"
    # Still logged in after both answers.
    assert browser.get("/clientview/list/").status_code == 200


# No GET changes anything ----------------------------------------------------

MUTATING_WORDS = ("delete", "action", "edit", "add")


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint.lower()
        if "GET" in rule.methods and any(word in endpoint for word in MUTATING_WORDS):
            yield rule


def _urls_for(app, rule, world, login):
    """Fill the rule's arguments with ids the user's own cabinet really has."""
    views = {type(view).__name__: view for view in app.appbuilder.baseviews}
    view = views.get(rule.endpoint.split(".")[0])
    pk = None
    if "pk" in rule.arguments:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if model is Client:
            pk = world.a1
        elif model is not None and model.__tablename__ == "ab_user":
            pk = world.users["collab_a" if login == "admin" else login]
        elif model is not None:
            with app.app_context():
                pk = db.session.scalar(select(func.min(model.id)))
                db.session.remove()
        pk = pk or 1
    names = [None]
    if "name" in rule.arguments:
        names = list(getattr(view, "actions", {}) or {}) or ["delete"]
    urls = []
    for name in names:
        values = {}
        if pk is not None:
            values["pk"] = pk
        if name is not None:
            values["name"] = name
        for argument in rule.arguments - set(values):
            values[argument] = "1"
        path = rule.build(values, append_unknown=False)[1]
        # Form-like arguments in the query string must not be applied either.
        urls.append(path + "?name=Pirate&username=pirate&active=&password=" + NEW_PASSWORD
                    + "&conf_password=" + NEW_PASSWORD + "&roles=1")
    return urls


@pytest.mark.parametrize("login", ["admin", "collab_a"])
def test_no_get_changes_the_database(app, world, browser, login):
    user = browser(login)
    rules = list(_get_rules(app))
    assert any(rule.endpoint == "ClientView.delete" for rule in rules)
    assert any(rule.endpoint == "PasserelleUserDBModelView.delete" for rule in rules)
    before = snapshot(app)
    for rule in rules:
        for url in _urls_for(app, rule, world, login):
            response = user.get(url)
            assert response.status_code < 500, (url, response.status_code)
            assert snapshot(app) == before, f"GET {url} changed the database"
    with app.app_context():
        counts = {
            "client": db.session.scalar(select(func.count(Client.id))),
            "ab_user": db.session.execute(text("SELECT COUNT(*) FROM ab_user")).scalar(),
        }
        db.session.remove()
    assert counts == {"client": 3, "ab_user": 8}


# Login rate limiting --------------------------------------------------------

def _limited_app(path):
    application = build_app(f"sqlite:///{path}", RATELIMIT_ENABLED=True)
    assert application.config["AUTH_RATE_LIMITED"] is True
    assert application.config["AUTH_RATE_LIMIT"] == "10 per 20 second"
    seed_world(application)
    application.appbuilder.sm.limiter.reset()
    return application


def _dispose(application):
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def limited_app(tmp_path):
    """An app with the default limit (10 per 20 seconds) really enforced."""
    application = _limited_app(tmp_path / "limited.db")
    yield application
    _dispose(application)


def _api_login(client, password):
    return client.post("/api/v1/security/login", json={
        "username": "collab_a", "password": password, "provider": "db"})


def test_login_form_is_rate_limited(limited_app):
    client = limited_app.test_client()
    token = csrf_token_from(client.get("/login/").text)
    statuses = [
        client.post("/login/", data={"username": "collab_a", "password": "mauvais",
                                     "csrf_token": token}).status_code
        for _ in range(10)
    ]
    assert 429 not in statuses
    # The 11th attempt is refused, even with the right password.
    eleventh = client.post("/login/", data={"username": "collab_a", "password": PASSWORD,
                                            "csrf_token": token})
    assert eleventh.status_code == 429
    assert client.get("/clientview/list/").status_code == 302  # still not logged in


def test_api_login_is_rate_limited(limited_app):
    client = limited_app.test_client()
    statuses = [_api_login(client, "mauvais").status_code for _ in range(10)]
    assert statuses == [401] * 10
    eleventh = _api_login(client, PASSWORD)
    assert eleventh.status_code == 429
    assert "access_token" not in (eleventh.get_json(silent=True) or {})


def test_api_login_limit_does_not_add_up_when_several_apps_are_built(tmp_path):
    """Each app built in the process (tests, workers) must count once per attempt."""
    first = _limited_app(tmp_path / "first.db")
    second = _limited_app(tmp_path / "second.db")
    try:
        client = second.test_client()
        statuses = [_api_login(client, "mauvais").status_code for _ in range(10)]
        assert statuses == [401] * 10
        assert _api_login(client, "mauvais").status_code == 429
    finally:
        _dispose(first)
        _dispose(second)


# Password policy ------------------------------------------------------------

MISSING_IN_WEAK = ["au moins 12 caractères", "une majuscule", "un chiffre", "un caractère spécial"]


def _assert_refused_in_french(response):
    assert response.status_code == 200  # the form comes back with the error
    page = visible_text(response.text)
    assert "Le mot de passe doit contenir" in page
    for missing in MISSING_IN_WEAK:
        assert missing in page, missing
    assert "une minuscule" not in page  # only what is missing is listed


def _role_id(app, name):
    with app.app_context():
        role_id = app.appbuilder.sm.find_role(name).id
        db.session.remove()
        return role_id


def _user_count(app, username):
    with app.app_context():
        count = db.session.execute(
            text("SELECT COUNT(*) FROM ab_user WHERE username = :u"), {"u": username}).scalar()
        db.session.remove()
        return count


def _new_user_form(app, world, password):
    return {
        "first_name": "Nina", "last_name": "Nouvelle", "username": "nina", "active": "y",
        "email": "nina@alpha.fr", "roles": str(_role_id(app, roles.COLLABORATOR)),
        "cabinet": str(world.cabinet_a), "client": "__None", "phone": "", "job_title": "",
        "password": password, "conf_password": password,
    }


def test_user_add_form_refuses_weak_password(app, world, browser):
    admin = browser("admin")
    response = admin.post("/users/add", _new_user_form(app, world, WEAK_PASSWORD), csrf_from="/users/add")
    _assert_refused_in_french(response)
    assert _user_count(app, "nina") == 0


def test_user_add_form_accepts_strong_password(app, world, browser):
    admin = browser("admin")
    response = admin.post("/users/add", _new_user_form(app, world, NEW_PASSWORD), csrf_from="/users/add")
    assert response.status_code == 302, visible_text(response.text)[:800]
    assert _user_count(app, "nina") == 1
    Browser(app, "nina", NEW_PASSWORD)


def test_reset_my_password_form_enforces_policy(app, world, browser):
    collab = browser("collab_a")
    page = "/resetmypassword/form"
    weak = collab.post(page, {"password": WEAK_PASSWORD, "conf_password": WEAK_PASSWORD}, csrf_from=page)
    _assert_refused_in_french(weak)
    Browser(app, "collab_a", PASSWORD)  # unchanged
    strong = collab.post(page, {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}, csrf_from=page)
    assert strong.status_code == 302
    Browser(app, "collab_a", NEW_PASSWORD)


def test_admin_reset_password_form_enforces_policy(app, world, browser):
    admin = browser("admin")
    page = f"/resetpassword/form?pk={world.users['collab_a']}"
    weak = admin.post(page, {"password": WEAK_PASSWORD, "conf_password": WEAK_PASSWORD}, csrf_from=page)
    _assert_refused_in_french(weak)
    Browser(app, "collab_a", PASSWORD)  # unchanged
    strong = admin.post(page, {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}, csrf_from=page)
    assert strong.status_code == 302
    Browser(app, "collab_a", NEW_PASSWORD)


class TestValidatePassword:
    @pytest.fixture(autouse=True)
    def _context(self, app):
        with app.test_request_context():
            yield

    def test_accepts_a_strong_password(self):
        from app.security.passwords import validate_password

        validate_password(NEW_PASSWORD)
        validate_password("Élégant-Été-2026")

    @pytest.mark.parametrize("password, missing", [
        (WEAK_PASSWORD, MISSING_IN_WEAK),
        ("passerelle-2026!", ["une majuscule"]),
        ("PASSERELLE-2026!", ["une minuscule"]),
        ("Passerelle-deux!", ["un chiffre"]),
        ("Passerelle2026", ["un caractère spécial"]),
        ("Pa-2026!", ["au moins 12 caractères"]),
        ("", ["au moins 12 caractères", "une minuscule", "une majuscule", "un chiffre",
              "un caractère spécial"]),
    ])
    def test_refuses_and_lists_what_is_missing(self, password, missing):
        from flask_appbuilder.exceptions import PasswordComplexityValidationError

        from app.security.passwords import validate_password

        with pytest.raises(PasswordComplexityValidationError) as error:
            validate_password(password)
        message = str(error.value)
        assert message.startswith("Le mot de passe doit contenir ")
        for item in missing:
            assert item in message
        everything = ["au moins 12 caractères", "une minuscule", "une majuscule", "un chiffre",
                      "un caractère spécial"]
        for item in set(everything) - set(missing):
            assert item not in message

    def test_minimum_length_follows_the_setting(self, app):
        from app.security.passwords import password_problems

        assert password_problems("Pa-2026!", 8) == []
        assert password_problems("Pa-2026!", 9) == ["au moins 9 caractères"]


# Session cookie -------------------------------------------------------------

def _session_cookie(response, name="session"):
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith(name + "=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax(app, world):
    response = Browser(app).login("collab_a")
    cookie = _session_cookie(response)
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes  # the default (HTTP allowed in development)


def test_session_cookie_is_secure_when_configured(tmp_path):
    application = build_app(f"sqlite:///{tmp_path / 'secure.db'}", SESSION_COOKIE_SECURE=True)
    try:
        response = application.test_client().get("/login/", base_url="https://localhost")
        attributes = [part.strip().lower() for part in _session_cookie(response).split(";")]
        assert {"secure", "httponly", "samesite=lax"} <= set(attributes)
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


# Page size and page number, list screens and API ------------------------------

@pytest.mark.parametrize("value", ["abc", "0", "-5", "100000", "1.5", ""])
def test_bad_page_size_is_a_french_400(app, world, browser, value):
    response = browser("collab_a").get(f"/clientview/list/?psize_ClientView={value}")
    assert response.status_code == 400
    assert "Taille de page invalide" in response.text


def test_valid_page_size_works(app, world, browser):
    response = browser("collab_a").get("/clientview/list/?psize_ClientView=50")
    assert response.status_code == 200
    assert "Alpha Un SARL" in response.text


@pytest.mark.parametrize("value", ["abc", "-1", "1e3"])
def test_bad_page_number_is_a_400(app, world, browser, value):
    response = browser("collab_a").get(f"/clientview/list/?page_ClientView={value}")
    assert response.status_code == 400
    assert "Numéro de page invalide" in response.text


def test_api_page_size_is_capped(app, world, api):
    response = api("collab_a").get("/api/v1/client/?q=(page_size:100000)")
    assert response.status_code == 200
    assert len(response.json["result"]) <= app.config["FAB_API_MAX_PAGE_SIZE"]
    assert response.json["count"] == 2


@pytest.mark.parametrize("q", ["1e%2B3", "1e3", "12", "!t", "(page_size:"])
def test_api_q_that_is_not_a_rison_object_is_a_400(app, world, api, q):
    response = api("collab_a").get(f"/api/v1/client/?q={q}")
    assert response.status_code == 400
    assert "message" in response.json


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("pk", ["9223372036854775808", "99999999999999999999999", "abc", "0"])
def test_api_ids_out_of_range_are_404(app, world, api, method, pk):
    client = api("collab_a")
    kwargs = {"json": {"name": "X"}} if method == "put" else {}
    response = getattr(client, method)(f"/api/v1/client/{pk}", **kwargs)
    assert response.status_code == 404, (method, pk, response.status_code)


@pytest.mark.parametrize("pk", ["9223372036854775808", "abc"])
def test_screen_ids_out_of_range_are_404(app, world, browser, pk):
    user = browser("collab_a")
    for path in (f"/clientview/show/{pk}", f"/clientview/edit/{pk}"):
        assert user.get(path).status_code == 404, path


# French by default -----------------------------------------------------------

def test_login_page_is_french(app, world):
    page = visible_text(app.test_client().get("/login/").text)
    for french in ("Connexion", "Identifiant", "Mot de passe", "Se connecter"):
        assert french in page, french
    for english in ("User Name", "Password", "Sign In", "Enter your login"):
        assert english not in page, english


def test_client_list_is_french(app, world, browser):
    page = visible_text(browser("admin").get("/clientview/list/").text)
    for french in ("Liste clients", "Rechercher", "Plus de filtres", "Nouveau client",
                   "Sécurité", "Utilisateurs", "Rôles", "Déconnexion", "Raison sociale"):
        assert french in page, french
    for english in ("Record Count", "List Users", "List Roles", "Search", "Add", "Add Filter",
                    "Security", "Logout", "Profile", "Show", "Edit", "Delete", "Back"):
        assert not re.search(rf"\b{english}\b", page), english


def test_confirmation_dialog_is_french(app, world, browser):
    """FAB's confirm.html hard-codes « Cancel » (and is on every list page)."""
    page = visible_text(browser("collab_a").get("/clientview/list/").text)
    assert "Confirmation requise" in page
    assert not re.search(r"\bCancel\b", page)


def test_lang_en_switches_fab_labels_to_english(app, world, browser):
    admin = browser("admin")
    assert admin.get("/lang/en").status_code == 302
    page = visible_text(admin.get("/clientview/list/").text)
    for english in ("Client list", "List Users", "Search", "Logout", "Company name"):
        assert english in page, english
    assert admin.get("/lang/fr").status_code == 302
    assert "Raison sociale" in visible_text(admin.get("/clientview/list/").text)


# Security headers ------------------------------------------------------------

def test_security_headers_everywhere(app, world, browser, api):
    collab = browser("collab_a")
    responses = [
        app.test_client().get("/login/"),
        collab.get("/clientview/list/"),
        collab.get("/clientview/list/?psize_ClientView=abc"),
        collab.get("/users/list/"),
        collab.get("/pas-de-page"),
        api("collab_a").get("/api/v1/client/"),
    ]
    for response in responses:
        assert response.headers.get("X-Content-Type-Options") == "nosniff", response.request.path
        assert response.headers.get("X-Frame-Options") in ("SAMEORIGIN", "DENY")


# The Security menu is the platform operator's ----------------------------------

SECURITY_PATHS = ["/users/list/", "/roles/list/", "/groups/list/", "/permissions/list/",
                  "/viewmenus/list/", "/permissionviews/list/", "/users/add", "/roles/add",
                  "/userstatschartview/chart/"]
NON_ADMINS = ["owner_a", "admin_a", "collab_a", "restricted_a", "client_a1", "owner_b", "collab_b"]


@pytest.mark.parametrize("login", NON_ADMINS)
def test_security_screens_are_forbidden_to_everyone_but_admin(app, world, browser, login):
    user = browser(login)
    paths = SECURITY_PATHS + [f"/users/show/{world.users['owner_a']}",
                              f"/users/edit/{world.users[login]}",
                              f"/resetpassword/form?pk={world.users['owner_a']}"]
    for path in paths:
        assert user.get(path).status_code == 403, path
    home = visible_text(user.get("/").text)
    assert "Sécurité" not in home


@pytest.mark.parametrize("login", ["collab_a", "owner_a", "admin"])
def test_security_crud_api_is_not_exposed(app, world, api, login):
    """FAB's user/role CRUD API would bypass the owner rule: it is off (FAB_ADD_SECURITY_API)."""
    client = api(login)
    for path in ("/api/v1/security/users/", "/api/v1/security/roles/"):
        assert client.get(path).status_code == 404, path


def test_security_menu_is_in_the_admins_menu_only(app, world, browser):
    admin = browser("admin")
    for path in SECURITY_PATHS[:6]:
        assert admin.get(path).status_code == 200, path
    assert "Sécurité" in visible_text(admin.get("/clientview/list/").text)
    collab_page = visible_text(browser("collab_a").get("/clientview/list/").text)
    assert "Sécurité" not in collab_page
    assert "Utilisateurs" not in collab_page
