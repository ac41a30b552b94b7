"""Test fixtures: every test that takes `app` runs once on SQLite and once on a
PostgreSQL server started for the run (tests/pg_server.py).

PASSERELLE_TEST_BACKENDS=sqlite (or postgresql) narrows the run while working.
"""
import os
import re
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("PASSERELLE_INSTANCE_DIR", tempfile.mkdtemp(prefix="passerelle-instance-"))
os.environ.pop("DATABASE_URL", None)

from sqlalchemy import text  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Client  # noqa: E402
from app.security import roles  # noqa: E402
from app.security.cabinets import add_staff_user, create_cabinet  # noqa: E402
from app.security.roles import sync_roles  # noqa: E402
from app.plans.defaults import sync_default_plans  # noqa: E402

BACKENDS = [b for b in os.environ.get("PASSERELLE_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
PASSWORD = "Mot-de-passe-2026"
# Tables kept between tests: roles and permissions are reference data.
KEPT_TABLES = {"ab_role", "ab_permission", "ab_view_menu", "ab_permission_view",
               "ab_permission_view_role", "alembic_version"}

TEST_SETTINGS = {
    "TESTING": True,
    "SYNC_ROLES_AT_STARTUP": False,
    "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "RATELIMIT_ENABLED": False,
    "SERVER_NAME": "localhost",
}


@pytest.fixture(scope="session")
def postgres_server():
    from pg_server import TemporaryPostgres

    server = TemporaryPostgres(dbname="passerelle_test").start()
    yield server
    server.stop()


def _database_url(backend, request, tmp_path_factory):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    return request.getfixturevalue("postgres_server").url


def build_app(url, **overrides):
    import flask_migrate

    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url, **overrides})
    with app.app_context():
        flask_migrate.upgrade()
        sync_roles(app.appbuilder.sm)
        sync_default_plans(db.session)
        db.session.commit()
    return app


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    application = build_app(_database_url(request.param, request, tmp_path_factory))
    application.config["TEST_BACKEND"] = request.param
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def wipe(app):
    """Delete every row but the roles and permissions."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE cabinet SET owner_id = NULL"))
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in KEPT_TABLES:
                    connection.execute(table.delete())


def seed_world(app):
    """Two cabinets, a user of every role, clients assigned or not.

    Cabinet A: owner_a, admin_a, collab_a, restricted_a; clients a1 (assigned to
    restricted_a, has the client user `client_a1`), a2 (unassigned).
    Cabinet B: owner_b, collab_b; client b1. Platform admin: `admin`.
    """
    sm = app.appbuilder.sm
    with app.app_context():
        session = db.session
        admin = sm.user_model(username="admin", email="admin@test.fr", first_name="Ada",
                              last_name="Admin", active=True)
        admin.password = sm.hash_password(PASSWORD)
        admin.roles = [sm.find_role(roles.ADMIN)]
        session.add(admin)

        cab_a = create_cabinet(sm, session, name="Cabinet Alpha", owner_username="owner_a",
                               owner_email="owner_a@test.fr", owner_first_name="Olivia",
                               owner_last_name="Alpha", owner_password=PASSWORD)
        cab_b = create_cabinet(sm, session, name="Cabinet Bêta", owner_username="owner_b",
                               owner_email="owner_b@test.fr", owner_first_name="Bruno",
                               owner_last_name="Bêta", owner_password=PASSWORD)
        sync_default_plans(session)
        users = {"admin": admin, "owner_a": cab_a.owner, "owner_b": cab_b.owner}
        for login, cabinet, role in [
            ("admin_a", cab_a, roles.ADMINISTRATOR),
            ("collab_a", cab_a, roles.COLLABORATOR),
            ("restricted_a", cab_a, roles.RESTRICTED),
            ("collab_b", cab_b, roles.COLLABORATOR),
        ]:
            users[login] = add_staff_user(
                sm, session, cabinet, role, username=login, email=f"{login}@test.fr",
                first_name=login.split("_")[0].capitalize(), last_name=login[-1].upper(),
                password=PASSWORD)

        a1 = Client(cabinet_id=cab_a.id, name="Alpha Un SARL", siren="732829320",
                    email="un@alpha.fr", pack="Standard", dossier_code="A001",
                    collaborators=[users["restricted_a"], users["collab_a"]])
        a2 = Client(cabinet_id=cab_a.id, name="Alpha Deux SAS", siren="552100554",
                    email="deux@alpha.fr", pack="Premium")
        b1 = Client(cabinet_id=cab_b.id, name="Bêta Un EURL", siren="443061841",
                    email="un@beta.fr", pack="Essentiel", dossier_code="B001",
                    collaborators=[users["collab_b"]])
        session.add_all([a1, a2, b1])
        session.flush()
        client_user = sm.user_model(username="client_a1", email="user@alpha-un.fr",
                                    first_name="Carla", last_name="Client", active=True,
                                    client_id=a1.id)
        client_user.password = sm.hash_password(PASSWORD)
        client_user.roles = [sm.find_role(roles.CLIENT)]
        session.add(client_user)
        users["client_a1"] = client_user
        session.commit()
        return SimpleNamespace(
            cabinet_a=cab_a.id, cabinet_b=cab_b.id, a1=a1.id, a2=a2.id, b1=b1.id,
            users={login: user.id for login, user in users.items()},
        )


@contextmanager
def article_label_refused(engine, backend, label, operation):
    """A rule only the database knows, for as long as the block runs: an article
    given `label` by an INSERT or an UPDATE (`operation`) is refused (SQLite
    RAISE(ABORT), PostgreSQL a check_violation)."""
    name = f"test_refuse_{operation.lower()}"
    if backend == "sqlite":
        create = [f"""CREATE TRIGGER {name} BEFORE {operation} ON article
                      WHEN NEW.label = '{label}'
                      BEGIN SELECT RAISE(ABORT, 'refusé par le test'); END"""]
        drop = [f"DROP TRIGGER IF EXISTS {name}"]
    else:
        create = [f"""CREATE FUNCTION {name}() RETURNS trigger AS $$
                      BEGIN
                        IF NEW.label = '{label}' THEN
                          RAISE EXCEPTION 'refusé par le test' USING ERRCODE = 'check_violation';
                        END IF;
                        RETURN NEW;
                      END $$ LANGUAGE plpgsql""",
                  f"""CREATE TRIGGER {name} BEFORE {operation} ON article
                      FOR EACH ROW EXECUTE FUNCTION {name}()"""]
        drop = [f"DROP TRIGGER IF EXISTS {name} ON article", f"DROP FUNCTION IF EXISTS {name}()"]
    with engine.begin() as connection:
        for statement in create:
            connection.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as connection:
            for statement in drop:
                connection.execute(text(statement))


def update_client(app, client_id, **values):
    """Change a client's columns directly in the database (test set-up)."""
    with app.app_context():
        client = db.session.get(Client, client_id)
        for name, value in values.items():
            setattr(client, name, value)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def world(app):
    wipe(app)
    return seed_world(app)


CSRF_RE = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
    r'|name="csrf-token" content="([^"]+)"')


def csrf_token_from(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return next(group for group in match.groups() if group)


class Browser:
    """A logged-in test client that sends the CSRF token like a real form."""

    def __init__(self, app, username=None, password=PASSWORD):
        self.client = app.test_client()
        self.username = username
        if username:
            self.login(username, password)

    def login(self, username, password=PASSWORD):
        page = self.client.get("/login/")
        response = self.client.post("/login/", data={
            "username": username, "password": password, "csrf_token": csrf_token_from(page.text)})
        assert response.status_code == 302, response.text[:500]
        assert "/login" not in response.headers["Location"], f"login refused for {username}"
        return response

    def csrf(self, path="/"):
        # A client user's home redirects to their space: follow it to a form.
        return csrf_token_from(self.client.get(path, follow_redirects=True).text) \
            if path else None

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, csrf_from=None, **kwargs):
        data = dict(data or {})
        if csrf_from is not None:
            data["csrf_token"] = self.csrf(csrf_from)
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def browser(app):
    return lambda username=None: Browser(app, username)


def api_token(app, username, password=PASSWORD):
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.text
    return response.json["access_token"]


class Api:
    def __init__(self, app, username):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {api_token(app, username)}"}

    def __getattr__(self, method):
        call = getattr(self.client, method)
        return lambda path, **kwargs: call(path, headers=self.headers, **kwargs)


@pytest.fixture
def api(app):
    return lambda username: Api(app, username)


# Browser tests (tests/browser): a live server and Debian's Chromium through Playwright.

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Chromium must not phone home: this machine has no network besides loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def live_server(app):
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        app.config["SERVER_NAME"] = "localhost"


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium introuvable ({CHROMIUM}) : lancez scripts/install_test_deps.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page, app):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name):
        path = ARTIFACTS / f"{name}-{app.config['TEST_BACKEND']}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


def browser_login(page, base_url, username, password=PASSWORD):
    """Log in through the real login form of a live server."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
