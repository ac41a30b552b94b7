"""Tenant isolation, proved as a matrix (DESIGN.md §1 « Isolation is the first rule », §6).

Each role × (own record, another cabinet's record, a client of the own cabinet that is
not assigned to the user) × (list, show, edit, delete, action, API get/list/put/delete,
post/put with a foreign related id, _info) is its own test id, with an explicit expected
outcome: success (200 + data, or the write done), 404 (hidden: answered exactly as a
nonexistent id), or 403 (the role lacks the permission, whatever the record).

How the matrix would catch a bypass of the base classes (TenantModelView,
TenantModelRestApi in app/views/base.py):
- `test_every_view_over_tenant_data_uses_the_tenant_base` walks every registered view
  and API; a plain ModelView/ModelRestApi over a tenant model fails it (shown by
  `test_structural_check_flags_a_plain_modelview`);
- a representative subset of the matrix runs a second time with the ORM backstop
  removed (ids ending in `-view_only`), so the view layer must isolate on its own;
- on a separate app (`probe_app`), a plain FAB ModelView over Client does leak another
  cabinet's client once the backstop is removed, while the backstop alone still hides
  the rows from it: either layer missing is visible to these tests.

Actions: ClientView has none, so a test-only TenantModelView with an @action is
registered on a *separate* app built with conftest's `build_app` on the same database
(the session app has already served requests, so Flask refuses new routes on it, and
test-only routes must not leak into the app every other test uses). Its permission is
ClientView's `can_edit` (through class_permission_name/method_permission_name), so the
real roles apply to it unchanged.

Speed: read-only cells share one seeded world (`seeded`), re-seeded only when the
database no longer matches the snapshot taken after seeding; a refused write asserts
that the snapshot is unchanged (nothing written, anywhere).

A related id the user cannot see is refused exactly like one that does not exist:
API post/put 422, web forms « Not a valid choice » (app.views.base makes FAB's related
select fields refuse unknown ids instead of dropping them), filters ignore it.
"""
import re
from types import SimpleNamespace

import prison
import pytest
from flask import Response
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_login import login_user
from sqlalchemy import func, select, text, update

from app.extensions import db
from app.models import AppUser, Client, DashboardPin, client_collaborator
from app.security import roles, tenancy
from app.security.tenancy import is_tenant_model, scope_for_user, visible_criteria
from app.views.base import TenantModelRestApi, TenantModelView
from conftest import KEPT_TABLES, Api, Browser, build_app, seed_world, wipe

# ---------------------------------------------------------------------------------------
# The world (tests/conftest.py seed_world) and what each role may see in it
# ---------------------------------------------------------------------------------------

NAMES = {"a1": "Alpha Un SARL", "a2": "Alpha Deux SAS", "b1": "Bêta Un EURL"}
# The web form of each seeded client as it stands (used to submit an edit).
FORMS = {
    "a1": dict(siren="732829320", email="un@alpha.fr", pack="Standard", dossier_code="A001",
               collaborators=["restricted_a", "collab_a"]),
    "a2": dict(siren="552100554", email="deux@alpha.fr", pack="Premium", dossier_code="",
               collaborators=[]),
    "b1": dict(siren="443061841", email="un@beta.fr", pack="Essentiel", dossier_code="B001",
               collaborators=["collab_b"]),
}
CABINET_A_USERS = {"owner_a", "admin_a", "collab_a", "restricted_a"}
CABINET_B_USERS = {"owner_b", "collab_b"}
ALL_USERS = CABINET_A_USERS | CABINET_B_USERS | {"admin", "client_a1"}

ROLES = ("admin", "owner_a", "admin_a", "collab_a", "restricted_a", "owner_b", "collab_b",
         "client_a1")
A_STAFF = ("owner_a", "admin_a", "collab_a")
B_STAFF = ("owner_b", "collab_b")
STAFF_WITH_WRITE = A_STAFF + B_STAFF

VISIBLE = {
    "admin": {"a1", "a2", "b1"},
    **{role: {"a1", "a2"} for role in A_STAFF},
    "restricted_a": {"a1"},
    **{role: {"b1"} for role in B_STAFF},
    "client_a1": {"a1"},
}
# The targets of the issue, per role. « unassigned » is a client of the user's own cabinet
# that is not assigned to them (for client_a1: another dossier of its cabinet); cabinet B
# has no such client, so its users get two targets.
TARGETS = {
    **{role: {"own": "a1", "foreign": "b1", "unassigned": "a2"}
       for role in ("admin",) + A_STAFF + ("restricted_a", "client_a1")},
    **{role: {"own": "b1", "foreign": "a1"} for role in B_STAFF},
}
# Users each role may pick in a related dropdown (and that `_info` may list).
PICKABLE_USERS = {
    "admin": ALL_USERS,
    **{role: CABINET_A_USERS for role in A_STAFF + ("restricted_a",)},
    **{role: CABINET_B_USERS for role in B_STAFF},
}
# A user of another cabinet, per role (the « foreign related id »).
FOREIGN_USER = {**{role: "owner_b" for role in A_STAFF + ("restricted_a", "client_a1")},
                **{role: "owner_a" for role in B_STAFF}}

ALL_WEB = {"list", "show", "edit", "add", "delete"}
ALL_API = {"get", "put", "post", "delete", "info"}
WEB_PERMISSIONS = {**{role: ALL_WEB for role in ("admin",) + STAFF_WITH_WRITE},
                   "restricted_a": {"list", "show", "edit"}, "client_a1": set()}
API_PERMISSIONS = {**{role: ALL_API for role in ("admin",) + STAFF_WITH_WRITE},
                   "restricted_a": {"get", "put", "info"}, "client_a1": {"get"}}
# The probe action carries ClientView's can_edit.
ACTION_ALLOWED = {role: "edit" in WEB_PERMISSIONS[role] for role in ROLES}

MISSING_ID = 987654321  # an id no row has

FULL = "view+orm"       # the app as it runs: view layer and ORM backstop
VIEW_ONLY = "view_only"  # the ORM backstop removed: the base classes alone must isolate
# The subset of (role, target) run a second time without the backstop.
VIEW_ONLY_CELLS = [("owner_a", "foreign"), ("restricted_a", "own"), ("restricted_a", "foreign"),
                   ("restricted_a", "unassigned"), ("collab_b", "foreign"),
                   ("client_a1", "unassigned")]


def matrix():
    cells = [pytest.param(role, target, FULL, id=f"{role}-{target}")
             for role in ROLES for target in TARGETS[role]]
    cells += [pytest.param(role, target, VIEW_ONLY, id=f"{role}-{target}-{VIEW_ONLY}")
              for role, target in VIEW_ONLY_CELLS]
    return cells


def per_role(role_list, view_only_roles=()):
    cells = [pytest.param(role, FULL, id=role) for role in role_list]
    cells += [pytest.param(role, VIEW_ONLY, id=f"{role}-{VIEW_ONLY}") for role in view_only_roles]
    return cells


def expect(allowed, visible):
    """403 without the permission (whatever the record), else 404 when hidden."""
    if not allowed:
        return 403
    return "ok" if visible else 404


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------

# Columns a login or a request updates by itself: not « data written by the test ».
VOLATILE_COLUMNS = {"last_login", "login_count", "fail_login_count", "changed_on",
                    "last_login_at"}


def snapshot(app):
    """Every tenant row of the database (roles and permissions aside), as comparable data."""
    state = {}
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in KEPT_TABLES:
                continue
            columns = [column for column in table.c if column.name not in VOLATILE_COLUMNS]
            rows = connection.execute(select(*columns)).all()
            state[table.name] = sorted(repr(tuple(row)) for row in rows)
    return state


_SEEDED = {}
_CLIENTS = {}


def _reseed(app):
    """conftest's wipe + seed_world, with PostgreSQL's id sequences restarted so that a
    re-seeded world gets the same ids (SQLite reuses them by itself)."""
    wipe(app)
    if app.config["TEST_BACKEND"] == "postgresql":
        with app.app_context(), db.engine.begin() as connection:
            for table in db.metadata.sorted_tables:
                if table.name in KEPT_TABLES or "id" not in table.c:
                    continue
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false) "
                    f"WHERE pg_get_serial_sequence('{table.name}', 'id') IS NOT NULL"))
    return seed_world(app)


# Per backend: may the last test have written? (Any POST/PUT/PATCH/DELETE, or a direct write.)
_TOUCHED = {}


class _Tracked:
    """A test client that notes every write request it sends."""

    def __init__(self, inner, backend):
        self.__dict__.update(_inner=inner, _backend=backend)

    def __getattr__(self, name):
        if name in ("post", "put", "patch", "delete"):
            _TOUCHED[self._backend] = True
        return getattr(self._inner, name)


class World(SimpleNamespace):
    """The seeded world plus logged-in clients. Logins are kept across re-seeds as long as
    every id is the same (a session or a JWT only names a user id)."""

    def id(self, key):
        return MISSING_ID if key == "missing" else getattr(self, key)

    def user_id(self, login):
        return self.users[login]

    def track(self, client):
        return _Tracked(client, self._app.config["TEST_BACKEND"])

    def touched(self):
        _TOUCHED[self._app.config["TEST_BACKEND"]] = True

    def _client(self, key, make):
        if key not in self._clients:
            self._clients[key] = self.track(make())
        return self._clients[key]

    def browser(self, login):
        return self._client(("web", login), lambda: Browser(self._app, login))

    def api(self, login):
        return self._client(("api", login), lambda: Api(self._app, login))

    def probe_browser(self, probe_app, login):
        return self._client(("probe", id(probe_app), login), lambda: Browser(probe_app, login))

    def unchanged(self):
        return snapshot(self._app) == self.snapshot


def _identity(world):
    return repr(sorted((key, value) for key, value in vars(world).items()))


@pytest.fixture
def seeded(app, request):
    """The conftest world, seeded again only if an earlier test may have changed it (it
    wrote, or failed) and the database no longer matches the snapshot taken after seeding."""
    backend = app.config["TEST_BACKEND"]
    world = _SEEDED.get(backend)
    if world is None or (_TOUCHED.get(backend, True) and not world.unchanged()):
        base = _reseed(app)
        clients = _CLIENTS.setdefault((backend, _identity(base)), {})
        world = World(**vars(base), _app=app, _clients=clients)
        world.snapshot = snapshot(app)
        _SEEDED[backend] = world
    _TOUCHED[backend] = False
    failures = request.session.testsfailed
    yield world
    if request.session.testsfailed != failures:
        _TOUCHED[backend] = True


@pytest.fixture
def layers(request):
    """FULL: the app as it runs. VIEW_ONLY: the ORM backstop removed for the test."""
    mode = getattr(request, "param", FULL)
    if mode == VIEW_ONLY:
        tenancy.remove_orm_backstop()
        try:
            yield mode
        finally:
            tenancy.install_orm_backstop()
    else:
        yield mode


@pytest.fixture
def no_backstop():
    tenancy.remove_orm_backstop()
    try:
        yield
    finally:
        tenancy.install_orm_backstop()


def _probe_response(items):
    items = items if isinstance(items, list) else [items]
    return Response("probe:" + "|".join("-" if item is None else f"{item.id}:{item.name}"
                                        for item in items), mimetype="text/plain")


class ProbeClientView(TenantModelView):
    """Test-only tenant view with an action: proves action/action_post are scoped."""

    route_base = "/isolationprobe"
    datamodel = SQLAInterface(Client)
    class_permission_name = "ClientView"
    method_permission_name = {"probe": "edit"}
    list_columns = ["name"]

    @action("probe", "Probe")
    def probe(self, items):
        return _probe_response(items)


class PlainClientView(ModelView):
    """What a screen written without the tenant base would be (never in the real app)."""

    route_base = "/plainclient"
    datamodel = SQLAInterface(Client)
    class_permission_name = "ClientView"
    method_permission_name = {"probe": "edit"}
    list_columns = ["name"]
    show_columns = ["name", "email"]

    @action("probe", "Probe")
    def probe(self, items):
        return _probe_response(items)


@pytest.fixture(scope="module")
def probe_app(app):
    """A separate app on the same database, with the test-only views registered."""
    probe = build_app(app.config["SQLALCHEMY_DATABASE_URI"])
    probe.config["TEST_BACKEND"] = app.config["TEST_BACKEND"]
    with probe.app_context():
        probe.appbuilder.add_view_no_menu(ProbeClientView)
        probe.appbuilder.add_view_no_menu(PlainClientView)
    yield probe
    with probe.app_context():
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

# The client list carries its count for machines (data-count); a plain FAB list shows
# « Nombre d'enregistrements » (the probe views below).
COUNT_RE = re.compile(
    r'id="result-count" data-count="(\d+)"'
    r"|(?:Record Count|Nombre d(?:'|&#39;|&#x27;)enregistrements)\s*:\s*</strong>\s*(\d+)")


def web_count(html):
    match = COUNT_RE.search(html)
    assert match, "no record count on the list page"
    return int(match.group(1) or match.group(2))


def post_form(browser, path, data):
    """POST a form with the session's CSRF token (fetched once per logged-in browser)."""
    token = getattr(browser, "_iso_csrf", None)
    if token is None:
        token = browser._iso_csrf = browser.csrf("/")
    return browser.post(path, data={**data, "csrf_token": token})


def client_row(app, client_id):
    with app.app_context(), db.engine.connect() as connection:
        row = connection.execute(
            select(Client.__table__).where(Client.__table__.c.id == client_id)).mappings().first()
        return dict(row) if row else None


def collaborator_logins(app, world, client_id):
    by_id = {user_id: login for login, user_id in world.users.items()}
    link = client_collaborator
    with app.app_context(), db.engine.connect() as connection:
        ids = connection.scalars(select(link.c.user_id).where(link.c.client_id == client_id))
        return {by_id.get(user_id, user_id) for user_id in ids}


def edit_form_data(world, key, **changes):
    form = dict(FORMS[key])
    data = {"name": NAMES[key], "siren": form["siren"], "email": form["email"],
            "pack": form["pack"], "dossier_code": form["dossier_code"], "dossier_label": "",
            # FAB renders the NOT NULL boolean as a required checkbox: it must be ticked.
            "multi_vat": "y",
            "collaborators": [str(world.user_id(login)) for login in form["collaborators"]]}
    data.update(changes)
    return data


def option_ids(html, field="collaborators"):
    """The option values of the <select name=field> of a page, or the collaborator
    checkboxes of the client list's « Plus de filtres »."""
    boxes = re.findall(r'<input type="checkbox" name="collaborator" value="(\d+)"', html)
    if boxes:
        return {int(value) for value in boxes}
    text = html.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
    match = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % field, text, re.S)
    assert match, f"no {field} select in the page"
    return {int(value) for value in re.findall(r'<option[^>]*value="(\d+)"', match.group(1))}


def logins(world, ids):
    by_id = {user_id: login for login, user_id in world.users.items()}
    return {by_id.get(user_id, f"unknown#{user_id}") for user_id in ids}


# ---------------------------------------------------------------------------------------
# 1. Lists and counts
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role,layers", per_role(ROLES, ("owner_a", "restricted_a", "collab_b")),
                         indirect=["layers"])
def test_web_list_shows_and_counts_only_visible_clients(app, seeded, role, layers):
    response = seeded.browser(role).get("/clientview/list/")
    if "list" not in WEB_PERMISSIONS[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert web_count(response.text) == len(VISIBLE[role])
    for key, name in NAMES.items():
        assert (name in response.text) == (key in VISIBLE[role]), name


@pytest.mark.parametrize("role,layers", per_role(ROLES, ("owner_a", "restricted_a", "client_a1")),
                         indirect=["layers"])
def test_api_list_shows_and_counts_only_visible_clients(app, seeded, role, layers):
    response = seeded.api(role).get("/api/v1/client/")
    assert response.status_code == 200
    assert response.json["count"] == len(VISIBLE[role])
    assert set(response.json["ids"]) == {seeded.id(key) for key in VISIBLE[role]}
    assert {row["name"] for row in response.json["result"]} == {NAMES[k] for k in VISIBLE[role]}


@pytest.mark.parametrize("role", ROLES)
def test_search_by_name_finds_only_visible_clients(app, seeded, role):
    """Searching for a hidden client by its name finds nothing, on screen and in the API."""
    for key, name in NAMES.items():
        expected = 1 if key in VISIBLE[role] else 0
        query = prison.dumps({"filters": [{"col": "name", "opr": "sw", "value": name}]})
        response = seeded.api(role).get("/api/v1/client/", query_string={"q": query})
        assert response.status_code == 200
        assert response.json["count"] == expected, name
        if "list" in WEB_PERMISSIONS[role]:
            page = seeded.browser(role).get("/clientview/list/",
                                            query_string={"q": name})
            assert page.status_code == 200
            assert web_count(page.text) == expected, name


@pytest.mark.parametrize("role,layers", per_role(("owner_a", "restricted_a", "collab_b"),
                                                 ("owner_a", "restricted_a")),
                         indirect=["layers"])
def test_filter_on_a_foreign_related_id_reveals_nothing(app, seeded, role, layers):
    """Filtering the list on another cabinet's user answers exactly as an unknown user id:
    it reveals neither that user nor clients."""
    foreign = seeded.user_id(FOREIGN_USER[role])
    web_counts, api_counts = {}, {}
    for label, user_id in (("foreign", foreign), ("missing", MISSING_ID)):
        page = seeded.browser(role).get("/clientview/list/",
                                        query_string={"collaborator": user_id})
        assert page.status_code == 200
        web_counts[label] = web_count(page.text)
        assert web_counts[label] <= len(VISIBLE[role])
        query = prison.dumps({"filters": [{"col": "collaborators", "opr": "rel_m_m",
                                           "value": user_id}]})
        response = seeded.api(role).get("/api/v1/client/", query_string={"q": query})
        assert response.status_code == 200
        api_counts[label] = response.json["count"]
        assert set(response.json["ids"]) <= {seeded.id(key) for key in VISIBLE[role]}
    assert web_counts["foreign"] == web_counts["missing"]
    assert api_counts["foreign"] == api_counts["missing"]


# ---------------------------------------------------------------------------------------
# 2. The matrix: role × target × route
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_web_show(app, seeded, role, target, layers):
    key = TARGETS[role][target]
    response = seeded.browser(role).get(f"/clientview/show/{seeded.id(key)}")
    outcome = expect("show" in WEB_PERMISSIONS[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 200
        assert NAMES[key] in response.text
    else:
        assert response.status_code == outcome
        assert NAMES[key] not in response.text


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_web_edit_form(app, seeded, role, target, layers):
    key = TARGETS[role][target]
    response = seeded.browser(role).get(f"/clientview/edit/{seeded.id(key)}")
    outcome = expect("edit" in WEB_PERMISSIONS[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 200
        assert f'value="{NAMES[key]}"' in response.text
    else:
        assert response.status_code == outcome
        assert NAMES[key] not in response.text


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_web_edit_save(app, seeded, role, target, layers):
    key = TARGETS[role][target]
    response = post_form(seeded.browser(role), f"/clientview/edit/{seeded.id(key)}",
                         edit_form_data(seeded, key, name=f"{NAMES[key]} modifié"))
    outcome = expect("edit" in WEB_PERMISSIONS[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 302, response.text[:300]
        assert client_row(app, seeded.id(key))["name"] == f"{NAMES[key]} modifié"
    else:
        assert response.status_code == outcome
        assert seeded.unchanged()


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_web_delete(app, seeded, role, target, layers):
    key = TARGETS[role][target]
    response = post_form(seeded.browser(role), f"/clientview/delete/{seeded.id(key)}", {})
    outcome = expect("delete" in WEB_PERMISSIONS[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 302
        assert client_row(app, seeded.id(key)) is None
    else:
        assert response.status_code == outcome
        assert seeded.unchanged()


@pytest.mark.parametrize("role", ROLES)
def test_web_delete_by_get_never_deletes(app, seeded, role):
    """With CSRF on, GET on a delete URL deletes nothing, and answers alike for a visible,
    a foreign or a nonexistent id (no existence oracle)."""
    expected = 302 if "delete" in WEB_PERMISSIONS[role] else 403
    for key in ("a1", "a2", "b1", "missing"):
        response = seeded.browser(role).get(f"/clientview/delete/{seeded.id(key)}")
        assert response.status_code == expected, key
    assert seeded.unchanged()


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_web_action_single(app, probe_app, seeded, role, target, layers):
    key = TARGETS[role][target]
    browser = seeded.probe_browser(probe_app, role)
    response = post_form(browser, f"/isolationprobe/action/probe/{seeded.id(key)}", {})
    outcome = expect(ACTION_ALLOWED[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 200
        assert response.text == f"probe:{seeded.id(key)}:{NAMES[key]}"
    else:
        assert response.status_code == outcome
        assert NAMES[key] not in response.text


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_web_action_post(app, probe_app, seeded, role, target, layers):
    """The list's bulk action: one hidden row among the selected ones refuses them all."""
    key = TARGETS[role][target]
    own = TARGETS[role]["own"]
    rows = [str(seeded.id(own))] + ([str(seeded.id(key))] if key != own else [])
    browser = seeded.probe_browser(probe_app, role)
    response = post_form(browser, "/isolationprobe/action_post",
                         {"action": "probe", "rowid": rows})
    outcome = expect(ACTION_ALLOWED[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 200
        expected = [f"{seeded.id(k)}:{NAMES[k]}" for k in dict.fromkeys([own, key])]
        assert response.text == "probe:" + "|".join(expected)
    else:
        assert response.status_code == outcome
        assert NAMES[key] not in response.text


@pytest.mark.parametrize("role", ["owner_a", "restricted_a", "client_a1"])
def test_web_action_by_get_is_refused(app, probe_app, seeded, role):
    response = seeded.probe_browser(probe_app, role).get(
        f"/isolationprobe/action/probe/{seeded.a1}")
    assert response.status_code == 405


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_api_get(app, seeded, role, target, layers):
    key = TARGETS[role][target]
    response = seeded.api(role).get(f"/api/v1/client/{seeded.id(key)}")
    outcome = expect("get" in API_PERMISSIONS[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 200
        assert response.json["result"]["name"] == NAMES[key]
        assert response.json["id"] == seeded.id(key)
    else:
        assert response.status_code == outcome
        assert NAMES[key] not in response.text


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_api_put(app, seeded, role, target, layers):
    key = TARGETS[role][target]
    response = seeded.api(role).put(f"/api/v1/client/{seeded.id(key)}",
                                    json={"name": f"{NAMES[key]} modifié"})
    outcome = expect("put" in API_PERMISSIONS[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 200, response.json
        assert client_row(app, seeded.id(key))["name"] == f"{NAMES[key]} modifié"
    else:
        assert response.status_code == outcome
        assert seeded.unchanged()


@pytest.mark.parametrize("role,target,layers", matrix(), indirect=["layers"])
def test_api_delete(app, seeded, role, target, layers):
    key = TARGETS[role][target]
    response = seeded.api(role).delete(f"/api/v1/client/{seeded.id(key)}")
    outcome = expect("delete" in API_PERMISSIONS[role], key in VISIBLE[role])
    if outcome == "ok":
        assert response.status_code == 200, response.json
        assert client_row(app, seeded.id(key)) is None
    else:
        assert response.status_code == outcome
        assert seeded.unchanged()


# ---------------------------------------------------------------------------------------
# 2b. A hidden id is answered exactly as a nonexistent one
# ---------------------------------------------------------------------------------------

def _answers(world, browser, probe, role, key):
    """(status, body) of every id-taking route, for one id."""
    client_id = world.id(key)
    api = world.api(role)
    answers = {
        "show": browser.get(f"/clientview/show/{client_id}"),
        "edit_form": browser.get(f"/clientview/edit/{client_id}"),
        "edit_save": post_form(browser, f"/clientview/edit/{client_id}",
                               {"name": "X", "email": "x@x.fr", "pack": "Standard",
                                "multi_vat": "y"}),
        "delete": post_form(browser, f"/clientview/delete/{client_id}", {}),
        "action": post_form(probe, f"/isolationprobe/action/probe/{client_id}", {}),
        "api_get": api.get(f"/api/v1/client/{client_id}"),
        "api_put": api.put(f"/api/v1/client/{client_id}", json={"name": "X"}),
        "api_delete": api.delete(f"/api/v1/client/{client_id}"),
    }
    return {route: (response.status_code, _stable(response.get_data(as_text=True)))
            for route, response in answers.items()}


CSRF_VALUE_RE = re.compile(r'(name="csrf[-_]token"[^>]*(?:value|content)=")[^"]*"')


def _stable(body):
    """A page without its CSRF token (signed with a timestamp, it changes every second)."""
    return CSRF_VALUE_RE.sub(r'\1…"', body)


@pytest.mark.parametrize("role,target,layers", [
    pytest.param(role, target, mode, id=f"{role}-{target}" + ("" if mode == FULL else f"-{mode}"))
    for role, target in [("owner_a", "foreign"), ("restricted_a", "foreign"),
                         ("restricted_a", "unassigned"), ("collab_b", "foreign"),
                         ("client_a1", "unassigned")]
    for mode in (FULL, VIEW_ONLY)
], indirect=["layers"])
def test_hidden_id_answers_like_a_nonexistent_id(app, probe_app, seeded, role, target, layers):
    # Fresh sessions: a message flashed by an earlier test must not show on one page only.
    browser, probe = seeded.track(Browser(app, role)), seeded.track(Browser(probe_app, role))
    hidden = _answers(seeded, browser, probe, role, TARGETS[role][target])
    missing = _answers(seeded, browser, probe, role, "missing")
    assert hidden == missing
    for route, (status, _body) in hidden.items():
        assert status in (403, 404), route
    assert seeded.unchanged()


# ---------------------------------------------------------------------------------------
# 3. Related ids, dropdowns and _info stay inside the cabinet
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role,layers",
                         per_role(("admin",) + A_STAFF + ("restricted_a",) + B_STAFF,
                                  ("owner_a", "restricted_a")),
                         indirect=["layers"])
def test_web_related_dropdowns_list_only_own_cabinet_users(app, seeded, role, layers):
    browser = seeded.browser(role)
    expected = PICKABLE_USERS[role]
    own = TARGETS[role]["own"]
    pages = {"edit": f"/clientview/edit/{seeded.id(own)}", "search": "/clientview/list/"}
    if "add" in WEB_PERMISSIONS[role]:
        pages["add"] = "/clientview/add"
    for form, path in pages.items():
        response = browser.get(path)
        assert response.status_code == 200, (form, response.status_code)
        # The list's collaborator filter offers staff only (no platform admin, no client user).
        wanted = expected - {"admin", "client_a1"} if form == "search" else expected
        assert logins(seeded, option_ids(response.text)) == wanted, form


@pytest.mark.parametrize("role,layers",
                         per_role(ROLES, ("owner_a", "restricted_a", "collab_b")),
                         indirect=["layers"])
def test_api_info_lists_only_own_cabinet_users(app, seeded, role, layers):
    response = seeded.api(role).get("/api/v1/client/_info")
    if "info" not in API_PERMISSIONS[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    for section in ("add_columns", "edit_columns"):
        field = next(f for f in response.json[section] if f["name"] == "collaborators")
        assert logins(seeded, {value["id"] for value in field["values"]}) == PICKABLE_USERS[role]
        assert field["count"] == len(PICKABLE_USERS[role])


FOREIGN_RELATED_ROLES = A_STAFF + ("restricted_a",) + B_STAFF + ("client_a1",)


def _related_cells():
    cells = [pytest.param(role, kind, FULL, id=f"{role}-{kind}")
             for role in FOREIGN_RELATED_ROLES for kind in ("foreign", "missing")]
    cells += [pytest.param(role, "foreign", VIEW_ONLY, id=f"{role}-foreign-{VIEW_ONLY}")
              for role in ("owner_a", "restricted_a", "collab_b")]
    return cells


def _related_id(world, role, kind):
    return world.user_id(FOREIGN_USER[role]) if kind == "foreign" else MISSING_ID


@pytest.mark.parametrize("role,kind,layers", _related_cells(), indirect=["layers"])
def test_web_edit_with_a_foreign_related_id_does_not_save_it(app, seeded, role, kind, layers):
    own = TARGETS[role]["own"]
    related = _related_id(seeded, role, kind)
    data = edit_form_data(seeded, own)
    data["collaborators"] = data["collaborators"] + [str(related)]
    response = post_form(seeded.browser(role), f"/clientview/edit/{seeded.id(own)}", data)
    if "edit" not in WEB_PERMISSIONS[role]:
        assert response.status_code == 403
        assert seeded.unchanged()
        return
    assert response.status_code in (200, 302)
    assert collaborator_logins(app, seeded, seeded.id(own)) <= PICKABLE_USERS[role]
    # Nothing else moved: the other clients, the users and every other link are untouched.
    after = snapshot(app)
    for table in ("ab_user", "ab_user_role", "cabinet"):
        assert after[table] == seeded.snapshot[table], table


@pytest.mark.parametrize("role,kind,layers", _related_cells(), indirect=["layers"])
def test_web_add_with_a_foreign_related_id_does_not_save_it(app, seeded, role, kind, layers):
    related = _related_id(seeded, role, kind)
    response = post_form(seeded.browser(role), "/clientview/add", {
        "name": "Nouveau client", "email": "nouveau@client.fr", "pack": "Standard",
        "multi_vat": "y", "collaborators": [str(related)]})
    if "add" not in WEB_PERMISSIONS[role]:
        assert response.status_code == 403
        assert seeded.unchanged()
        return
    assert response.status_code in (200, 302)
    with app.app_context():
        created = db.session.scalars(select(Client).where(Client.name == "Nouveau client")).all()
        for client in created:
            assert {user.id for user in client.collaborators} == set()
    after = snapshot(app)
    for table in ("ab_user", "ab_user_role", "cabinet"):
        assert after[table] == seeded.snapshot[table], table


@pytest.mark.parametrize("role,kind,layers", _related_cells(), indirect=["layers"])
def test_api_put_with_a_foreign_related_id_is_refused(app, seeded, role, kind, layers):
    own = TARGETS[role]["own"]
    related = _related_id(seeded, role, kind)
    response = seeded.api(role).put(f"/api/v1/client/{seeded.id(own)}",
                                    json={"name": "Renommé", "collaborators": [related]})
    # Nothing written, whatever the answer.
    assert seeded.unchanged()
    if "put" not in API_PERMISSIONS[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 422, response.json


@pytest.mark.parametrize("role,kind,layers", _related_cells(), indirect=["layers"])
def test_api_post_with_a_foreign_related_id_is_refused(app, seeded, role, kind, layers):
    related = _related_id(seeded, role, kind)
    response = seeded.api(role).post("/api/v1/client/", json={
        "name": "Nouveau client", "email": "nouveau@client.fr", "pack": "Standard",
        "collaborators": [related]})
    assert response.status_code == (422 if "post" in API_PERMISSIONS[role] else 403)
    assert seeded.unchanged()


# ---------------------------------------------------------------------------------------
# 4. Records created get the creator's cabinet
# ---------------------------------------------------------------------------------------

CABINET_OF = {**{role: "cabinet_a" for role in A_STAFF}, **{role: "cabinet_b" for role in B_STAFF}}
OTHER_CABINET = {"cabinet_a": "cabinet_b", "cabinet_b": "cabinet_a"}


@pytest.mark.parametrize("role", STAFF_WITH_WRITE)
def test_web_add_gets_the_creators_cabinet(app, seeded, role):
    own_cabinet = getattr(seeded, CABINET_OF[role])
    other = getattr(seeded, OTHER_CABINET[CABINET_OF[role]])
    response = post_form(seeded.browser(role), "/clientview/add", {
        "name": f"Créé par {role}", "email": "cree@client.fr", "pack": "Standard",
        "multi_vat": "y", "cabinet": str(other), "cabinet_id": str(other)})
    assert response.status_code == 302, response.text[:500]
    with app.app_context():
        created = db.session.scalars(select(Client).where(Client.name == f"Créé par {role}")).one()
        assert created.cabinet_id == own_cabinet


@pytest.mark.parametrize("role", STAFF_WITH_WRITE)
def test_api_post_gets_the_creators_cabinet(app, seeded, role):
    own_cabinet = getattr(seeded, CABINET_OF[role])
    response = seeded.api(role).post("/api/v1/client/", json={
        "name": f"Créé par {role}", "email": "cree@client.fr", "pack": "Standard",
        "collaborators": [seeded.user_id(role)]})
    assert response.status_code == 201, response.json
    assert client_row(app, response.json["id"])["cabinet_id"] == own_cabinet
    # The other cabinet cannot reach it.
    outsider = "collab_b" if CABINET_OF[role] == "cabinet_a" else "collab_a"
    assert seeded.api(outsider).get(f"/api/v1/client/{response.json['id']}").status_code == 404


@pytest.mark.parametrize("role", ["owner_a", "collab_b"])
@pytest.mark.parametrize("field", ["cabinet_id", "cabinet"])
def test_api_post_cannot_choose_the_cabinet(app, seeded, role, field):
    other = getattr(seeded, OTHER_CABINET[CABINET_OF[role]])
    response = seeded.api(role).post("/api/v1/client/", json={
        "name": "Intrus", "email": "intrus@client.fr", "pack": "Standard", field: other})
    assert response.status_code == 422
    assert seeded.unchanged()


@pytest.mark.parametrize("role", ["owner_a", "restricted_a"])
@pytest.mark.parametrize("field", ["cabinet_id", "cabinet"])
def test_api_put_cannot_move_a_client_to_another_cabinet(app, seeded, role, field):
    other = getattr(seeded, OTHER_CABINET["cabinet_a"])
    response = seeded.api(role).put(f"/api/v1/client/{seeded.a1}", json={field: other})
    assert response.status_code == 422
    assert seeded.unchanged()


@pytest.mark.parametrize("role", ["restricted_a", "client_a1"])
def test_roles_without_add_cannot_create(app, seeded, role):
    browser = seeded.browser(role)
    assert browser.get("/clientview/add").status_code == 403
    response = post_form(browser, "/clientview/add", {
        "name": "Intrus", "email": "intrus@client.fr", "pack": "Standard", "multi_vat": "y"})
    assert response.status_code == 403
    response = seeded.api(role).post("/api/v1/client/", json={
        "name": "Intrus", "email": "intrus@client.fr", "pack": "Standard"})
    assert response.status_code == 403
    assert seeded.unchanged()


# ---------------------------------------------------------------------------------------
# 5. « Must fail if the base class is bypassed »
# ---------------------------------------------------------------------------------------

# What a non-admin role may hold on FAB's own security views: each acts on the current
# user only (their profile, their password).
SELF_SERVICE = {
    ("UserInfoEditView", "can_this_form_get"), ("UserInfoEditView", "can_this_form_post"),
    ("ResetMyPasswordView", "can_this_form_get"), ("ResetMyPasswordView", "can_this_form_post"),
    ("UserDBModelView", "can_userinfo"), ("PasserelleUserDBModelView", "can_userinfo"),
}


def _is_fab_security_view(view):
    return any(klass.__module__.startswith("flask_appbuilder.security")
               for klass in type(view).__mro__)


def non_admin_grants(appbuilder, view):
    """(role, permission) pairs a role other than Admin holds on this view."""
    sm = appbuilder.sm
    grants = []
    for role_name in sm.builtin_roles:
        if role_name == roles.ADMIN:
            continue
        for permission in view.base_permissions or []:
            if sm._has_access_builtin_roles(SimpleNamespace(name=role_name), permission,
                                            view.class_permission_name):
                grants.append((role_name, permission))
    # Roles stored in the database (Public…) must hold nothing on these views either.
    for role in sm.get_all_roles():
        if role.name in sm.builtin_roles:
            continue
        for permission_view in role.permissions:
            if permission_view.view_menu.name == view.class_permission_name:
                grants.append((role.name, permission_view.permission.name))
    return grants


def tenant_views(appbuilder):
    """Every registered view or API whose datamodel is a tenant model."""
    for view in appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if is_tenant_model(model):
            yield view


def bypassing_views(appbuilder):
    """Views over tenant data that neither use the tenant base classes nor are FAB
    security views reserved to Admin (self-service profile pages aside)."""
    offenders = []
    for view in tenant_views(appbuilder):
        if isinstance(view, ModelView) and isinstance(view, TenantModelView):
            continue
        if isinstance(view, ModelRestApi) and isinstance(view, TenantModelRestApi):
            continue
        if _is_fab_security_view(view):
            grants = [(role, permission) for role, permission in non_admin_grants(appbuilder, view)
                      if (view.class_permission_name, permission) not in SELF_SERVICE]
            if not grants:
                continue
        offenders.append(type(view).__name__)
    return offenders


def test_every_view_over_tenant_data_uses_the_tenant_base(app):
    with app.app_context():
        appbuilder = app.appbuilder
        names = {type(view).__name__ for view in tenant_views(appbuilder)}
        assert {"ClientView", "ClientApi"} <= names  # the walk is not vacuous
        assert bypassing_views(appbuilder) == []
        # Anything not a Tenant* view among them is one of FAB's security views, Admin only.
        exempt = [view for view in tenant_views(appbuilder)
                  if not isinstance(view, (TenantModelView, TenantModelRestApi))]
        for view in exempt:
            assert _is_fab_security_view(view), type(view).__name__


def test_fab_security_views_are_admin_only(app):
    """FAB's security screens and APIs (users, roles, permissions, password reset of any
    user…): no role but Admin holds anything on them, beyond its own profile."""
    with app.app_context():
        appbuilder = app.appbuilder
        checked = 0
        for view in appbuilder.baseviews:
            if not _is_fab_security_view(view) or not view.base_permissions:
                continue
            checked += 1
            grants = [(role, permission) for role, permission in non_admin_grants(appbuilder, view)
                      if (view.class_permission_name, permission) not in SELF_SERVICE]
            assert grants == [], type(view).__name__
        assert checked >= 10


def test_structural_check_flags_a_plain_modelview(probe_app):
    """The structural test fails as soon as a view over a tenant model skips the base."""
    with probe_app.app_context():
        assert bypassing_views(probe_app.appbuilder) == ["PlainClientView"]


@pytest.mark.parametrize("role", ["owner_a", "restricted_a"])
def test_plain_modelview_leaks_without_the_backstop(app, probe_app, seeded, role, no_backstop):
    """The control experiment: without the tenant base and without the backstop, FAB shows
    another cabinet's client. The matrix above (run on TenantModelView) would catch it."""
    browser = seeded.probe_browser(probe_app, role)
    listing = browser.get("/plainclient/list/")
    assert listing.status_code == 200
    assert web_count(listing.text) == 3
    assert NAMES["b1"] in listing.text
    shown = browser.get(f"/plainclient/show/{seeded.b1}")
    assert shown.status_code == 200 and NAMES["b1"] in shown.text
    acted = post_form(browser, f"/plainclient/action/probe/{seeded.b1}", {})
    assert acted.text == f"probe:{seeded.b1}:{NAMES['b1']}"
    # The same requests on the tenant base, still without the backstop: nothing leaks.
    assert browser.get(f"/isolationprobe/show/{seeded.b1}").status_code == 404
    assert post_form(browser, f"/isolationprobe/action/probe/{seeded.b1}", {}).status_code == 404


@pytest.mark.parametrize("role", ["owner_a", "restricted_a", "collab_b"])
def test_backstop_alone_hides_rows_from_a_plain_modelview(app, probe_app, seeded, role):
    browser = seeded.probe_browser(probe_app, role)
    listing = browser.get("/plainclient/list/")
    assert listing.status_code == 200
    assert web_count(listing.text) == len(VISIBLE[role])
    for key, name in NAMES.items():
        assert (name in listing.text) == (key in VISIBLE[role])
        if key not in VISIBLE[role]:
            assert browser.get(f"/plainclient/show/{seeded.id(key)}").status_code == 404
            acted = post_form(browser, f"/plainclient/action/probe/{seeded.id(key)}", {})
            assert name not in acted.get_data(as_text=True)


# ---------------------------------------------------------------------------------------
# 6. Pins, users and counts through the ORM during a request
# ---------------------------------------------------------------------------------------

PINS = [("restricted_a", "a1"), ("restricted_a", "a2"),  # a2: no longer assigned to them
        ("collab_a", "a1"), ("collab_a", "a2"), ("owner_b", "b1"), ("admin", "b1")]
VISIBLE_PINS = {
    "restricted_a": {("restricted_a", "a1")},
    "collab_a": {("collab_a", "a1"), ("collab_a", "a2")},
    "owner_a": set(),
    "owner_b": {("owner_b", "b1")},
    "client_a1": set(),
}
VISIBLE_USERS = {
    "restricted_a": CABINET_A_USERS, "collab_a": CABINET_A_USERS, "owner_a": CABINET_A_USERS,
    "owner_b": CABINET_B_USERS, "client_a1": {"client_a1"},
}


def _add_pins(app, world):
    world.touched()
    with app.app_context():
        db.session.add_all([DashboardPin(user_id=world.user_id(login), client_id=world.id(key))
                            for login, key in PINS])
        db.session.commit()


def _pin_pairs(world, pins):
    by_client = {world.id(key): key for key in NAMES}
    by_user = {user_id: login for login, user_id in world.users.items()}
    return {(by_user[pin.user_id], by_client[pin.client_id]) for pin in pins}


@pytest.mark.parametrize("role", sorted(VISIBLE_PINS))
def test_orm_queries_during_a_request_are_scoped(app, seeded, role):
    """Any query written anywhere (not through a tenant view) is scoped by the backstop."""
    _add_pins(app, seeded)
    with app.test_request_context("/"):
        user = db.session.get(AppUser, seeded.user_id(role))
        login_user(user)
        pins = db.session.scalars(select(DashboardPin)).all()
        assert _pin_pairs(seeded, pins) == VISIBLE_PINS[role]
        users = db.session.scalars(select(AppUser)).all()
        assert {u.username for u in users} == VISIBLE_USERS[role]
        assert db.session.scalar(select(func.count(Client.id))) == len(VISIBLE[role])
        for key in NAMES:
            assert (db.session.get(Client, seeded.id(key)) is not None) == (key in VISIBLE[role])
        # Relationships loaded from a visible row do not reach hidden rows either.
        for pin in pins:
            assert pin.client is not None and pin.client.id in {seeded.id(k) for k in VISIBLE[role]}
        # A bulk ORM UPDATE touches only visible rows.
        db.session.execute(update(Client).values(dossier_label="touché"))
        db.session.commit()
    for key in NAMES:
        label = client_row(app, seeded.id(key))["dossier_label"]
        assert (label == "touché") == (key in VISIBLE[role]), key


@pytest.mark.parametrize("role", sorted(VISIBLE_PINS))
def test_visible_criteria_scope_pins_and_users(app, seeded, role):
    """The rules themselves (tenancy.visible_criteria), outside any request."""
    _add_pins(app, seeded)
    with app.app_context():
        scope = scope_for_user(db.session.get(AppUser, seeded.user_id(role)))
        pins = db.session.scalars(
            select(DashboardPin).where(visible_criteria(DashboardPin, scope))).all()
        assert _pin_pairs(seeded, pins) == VISIBLE_PINS[role]
        users = db.session.scalars(select(AppUser).where(visible_criteria(AppUser, scope))).all()
        assert {u.username for u in users} == VISIBLE_USERS[role]
        clients = db.session.scalars(select(Client).where(visible_criteria(Client, scope))).all()
        assert {c.name for c in clients} == {NAMES[k] for k in VISIBLE[role]}


DASHBOARD = {  # clients, without dossier number, pins
    "admin": (3, 1, 1),
    "owner_a": (2, 1, 0),
    "collab_a": (2, 1, 2),
    "restricted_a": (1, 0, 1),
    "owner_b": (1, 0, 1),
}


def _figure(page, key):
    return int(re.search(rf'data-stat="{key}">\s*<span class="stat-value">(\d+)</span>', page).group(1))


@pytest.mark.parametrize("role", sorted(DASHBOARD))
def test_dashboard_counts_only_visible_clients_and_own_pins(app, seeded, role):
    _add_pins(app, seeded)
    # A fresh login: the cached browser may predate the pins (nothing is cached, but be plain).
    page = Browser(app, role).get("/")
    assert page.status_code == 200
    values = (_figure(page.text, "clients"), _figure(page.text, "missing"),
              page.text.count('class="pin-card"'))
    assert values == DASHBOARD[role]

