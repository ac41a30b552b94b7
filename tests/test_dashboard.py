"""The dashboard (home page after login): collaborators, client activity, pinned
dossiers — each within the tenant rules, in a constant number of queries."""
import datetime as dt
import html
import re
from html.parser import HTMLParser

from sqlalchemy import event

from app.clients.pins import pin_clients
from app.extensions import db
from app.models import AppUser, Client
from app.models.mixins import utcnow

# A tiny DOM on the standard library's parser ---------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    @property
    def text(self):
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        # Collapse ASCII white space only: French formats rely on no-break spaces.
        return re.sub(r"[ \t\r\n\f]+", " ", html.unescape(" ".join(parts))).strip(" ")

    def find_all(self, tag=None, **attrs):
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                        _matches(child.attrs.get(name.rstrip("_").replace("_", "-")), value)
                        for name, value in attrs.items()):
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None


def _matches(actual, wanted):
    if wanted is True:
        return actual is not None
    if actual is None:
        return False
    if wanted.startswith("."):  # one of the classes
        return wanted[1:] in actual.split()
    return actual == wanted


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def dom(page):
    builder = _Builder()
    builder.feed(page)
    return builder.root


def dashboard(browser, username):
    response = browser(username).get("/")
    assert response.status_code == 200
    return dom(response.text)


# Helpers on the seeded world -----------------------------------------------------------

def update_clients(app, changes):
    """changes: {client id: {attribute: value}}."""
    with app.app_context():
        for client_id, values in changes.items():
            client = db.session.get(Client, client_id)
            for name, value in values.items():
                setattr(client, name, value)
        db.session.commit()
        db.session.remove()


def add_clients(app, cabinet_id, count, collaborators=(), **values):
    with app.app_context():
        people = [db.session.get(AppUser, user_id) for user_id in collaborators]
        created = []
        for number in range(count):
            client = Client(cabinet_id=cabinet_id, name=f"Client {cabinet_id}-{number:02d} SARL",
                            email=f"c{cabinet_id}-{number}@exemple.fr", pack="Standard",
                            collaborators=list(people), **values)
            db.session.add(client)
            created.append(client)
        db.session.commit()
        ids = [client.id for client in created]
        db.session.remove()
        return ids


def assign(app, client_id, *user_ids):
    with app.app_context():
        client = db.session.get(Client, client_id)
        client.collaborators = [db.session.get(AppUser, user_id) for user_id in user_ids]
        db.session.commit()
        db.session.remove()


def pin(app, user_id, *client_ids):
    with app.app_context():
        pin_clients(db.session, user_id, client_ids)
        db.session.commit()
        db.session.remove()


def stats(page):
    return {card.attrs["data-stat"]: int(card.find(class_=".stat-value").text)
            for card in page.find_all("a", data_stat=True)}


def collaborator_rows(page):
    table = page.find(id="dash-collaborators")
    assert table is not None, "no collaborators block"
    return [(int(row.attrs["data-user"]), row.find_all("td")[1].text,
             int(row.find(data_clients=True).attrs["data-clients"]))
            for row in table.find_all("tr", data_user=True)]


def cards(page):
    return {int(card.attrs["data-client"]): card
            for card in page.find_all("article", class_=".pin-card")}


# Collaborators ------------------------------------------------------------------------

def test_collaborators_block_lists_the_cabinet_staff_owner_first_with_their_counts(
        app, world, browser):
    u = world.users
    assign(app, world.a2, u["collab_a"], u["admin_a"])  # a1 has restricted_a and collab_a
    page = dashboard(browser, "owner_a")
    assert collaborator_rows(page) == [
        (u["owner_a"], "Propriétaire", 0),
        (u["admin_a"], "Administrateur", 1),
        (u["collab_a"], "Collaborateur", 2),
        (u["restricted_a"], "Accès restreint", 1),
    ]
    text = page.text
    assert "Olivia Alpha" in text and "owner_a@test.fr" in text
    # Never cabinet B's people, nor the platform admin or the client user.
    for stranger in ("Bruno", "Bêta", "collab_b", "Ada Admin", "Carla"):
        assert stranger not in text, stranger
    assert "2 clients" in page.find(id="dash-collaborators").text


def test_restricted_user_sees_collaborator_counts_over_their_clients_only(app, world, browser):
    u = world.users
    assign(app, world.a2, u["collab_a"])  # collab_a follows a1 and a2, restricted_a a1 only
    extra = add_clients(app, world.cabinet_a, 3, collaborators=[u["collab_a"]])
    by_collab = {user: count for user, _, count in collaborator_rows(dashboard(browser, "collab_a"))}
    assert by_collab[u["collab_a"]] == 5
    restricted_page = dashboard(browser, "restricted_a")
    by_restricted = {user: count for user, _, count in collaborator_rows(restricted_page)}
    assert by_restricted == {u["owner_a"]: 0, u["admin_a"]: 0, u["collab_a"]: 1,
                             u["restricted_a"]: 1}
    assert "parmi ceux qui vous sont attribués" in restricted_page.text
    assert stats(restricted_page)["clients"] == 1
    assert len(extra) == 3


def test_manage_collaborators_is_offered_to_owner_and_administrator_only(app, world, browser):
    for username, offered in [("owner_a", True), ("admin_a", True), ("collab_a", False),
                              ("restricted_a", False)]:
        page = dashboard(browser, username)
        manage = page.find(class_=".dash-manage")
        assert (manage is not None) is offered, username
        if offered:
            assert manage.tag == "a" and manage.attrs.get("href") == "/cabinet/collaborateurs/"
            assert "Gérer les collaborateurs" in manage.text
            assert browser(username).get(manage.attrs["href"]).status_code == 200


def test_user_with_a_staff_role_through_a_group_keeps_the_highest_level(app, world, browser):
    from flask_appbuilder.security.sqla.models import Group, assoc_user_group

    from app.security import roles

    sm = app.appbuilder.sm
    with app.app_context():
        group = Group(name="Encadrement", label="Encadrement",
                      roles=[sm.find_role(roles.ADMINISTRATOR)])
        db.session.add(group)
        db.session.flush()
        db.session.execute(assoc_user_group.insert().values(
            user_id=world.users["restricted_a"], group_id=group.id))
        db.session.commit()
        db.session.remove()
    rows = collaborator_rows(dashboard(browser, "owner_a"))
    levels = {user: level for user, level, _ in rows}
    assert levels[world.users["restricted_a"]] == "Administrateur"
    assert len(rows) == 4  # one row per person, not per role


# Client activity -----------------------------------------------------------------------

def test_activity_figures_count_the_visible_clients_and_link_to_the_filtered_list(
        app, world, browser):
    now = utcnow()
    long_ago = dt.datetime(2020, 3, 1, 9, 30)
    update_clients(app, {
        world.a1: {"created_at": long_ago, "last_login_at": now - dt.timedelta(hours=2)},
        world.a2: {"created_at": now, "last_login_at": None, "dossier_code": None},
        world.b1: {"created_at": now, "last_login_at": None, "dossier_code": None},
    })
    # Two more in cabinet A: one with an empty dossier code, never connected, created today.
    add_clients(app, world.cabinet_a, 1, dossier_code="", created_at=now)
    add_clients(app, world.cabinet_a, 1, dossier_code="A099", created_at=long_ago,
                last_login_at=now - dt.timedelta(days=40))

    page = dashboard(browser, "collab_a")
    assert stats(page) == {"clients": 4, "never": 2, "month": 2, "missing": 2}
    links = {card.attrs["data-stat"]: card.attrs["href"] for card in page.find_all("a", data_stat=True)}
    assert links == {"clients": "/clientview/list/",
                     "never": "/clientview/list/?last_login=never",
                     "month": "/clientview/list/?created=month",
                     "missing": "/clientview/list/?dossier=missing"}

    assert stats(dashboard(browser, "restricted_a")) == {"clients": 1, "never": 0, "month": 0,
                                                         "missing": 0}
    assert stats(dashboard(browser, "owner_b")) == {"clients": 1, "never": 1, "month": 1,
                                                    "missing": 1}
    admin = dashboard(browser, "admin")
    assert stats(admin) == {"clients": 5, "never": 3, "month": 3, "missing": 3}


def test_recent_connections_are_the_five_latest_visible_in_french_format(app, world, browser):
    base = dt.datetime(2026, 11, 27, 14, 5)
    ids = add_clients(app, world.cabinet_a, 6)
    update_clients(app, {client_id: {"last_login_at": base - dt.timedelta(days=number),
                                     "name": f"Connecté {number} SAS"}
                         for number, client_id in enumerate(ids)})
    # Another cabinet's client connected more recently than all of them.
    update_clients(app, {world.b1: {"last_login_at": base + dt.timedelta(days=1)}})
    page = dashboard(browser, "collab_a")
    recent = page.find(id="dash-recent")
    rows = recent.find_all("tr", data_client=True)
    assert [int(row.attrs["data-client"]) for row in rows] == ids[:5]
    first = rows[0]
    assert first.find("a").text == "Connecté 0 SAS"
    assert first.find("a").attrs["href"] == f"/clients/{ids[0]}/"
    # Stored in UTC, shown in the firm's time zone (Europe/Paris, UTC+1 in November).
    assert first.find(class_=".dash-when").text == "27/11/2026\u00a015:05"
    assert "Bêta" not in recent.text

    # restricted_a sees none of them: a clear empty state instead.
    restricted = dashboard(browser, "restricted_a").find(id="dash-recent")
    assert not restricted.find_all("tr", data_client=True)
    assert "Aucun client ne s'est encore connecté" in restricted.text


def test_restricted_user_without_clients_is_told_how_to_get_some(app, world, browser):
    assign(app, world.a1, world.users["collab_a"])
    page = dashboard(browser, "restricted_a")
    assert stats(page)["clients"] == 0
    assert "Aucun client ne vous est encore attribué" in page.text


# Pinned dossiers -------------------------------------------------------------------------

def test_pinned_cards_show_the_key_figures_links_and_unpin_form(app, world, browser):
    update_clients(app, {world.a1: {"last_login_at": dt.datetime(2026, 11, 27, 14, 5),
                                    "dossier_label": "Alpha Un"}})
    pin(app, world.users["collab_a"], world.a1, world.a2)
    page = dashboard(browser, "collab_a")
    shown = cards(page)
    assert set(shown) == {world.a1, world.a2}

    a1 = shown[world.a1]
    assert a1.find("h3").text == "Alpha Un SARL"
    assert "A001" in a1.text and "Alpha Un" in a1.text and "dossier non relié" not in a1.text
    assert "Standard" in a1.text
    assert "27/11/2026\u00a015:05" in a1.text  # 14:05 UTC, read in Paris
    assert a1.find(class_=".pin-collaborators").attrs["data-count"] == "2"
    links = {link.text: link.attrs["href"] for link in a1.find_all("a", class_=".btn")}
    assert links == {"Fiche client": f"/clients/{world.a1}/",
                     "Accéder au compte": f"/clients/{world.a1}/compte"}
    form = a1.find("form")
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == f"/clients/{world.a1}/unpin?next=/"
    assert form.find("input", name="csrf_token").attrs["value"]
    assert "Retirer" in form.find("button").text

    a2 = shown[world.a2]
    assert "dossier non relié" in a2.text and "Premium" in a2.text
    assert "jamais" in a2.text and "non attribué" in a2.text
    assert page.find(class_=".dash-pins-empty") is None


def test_empty_state_explains_how_to_pin(app, world, browser):
    page = dashboard(browser, "collab_a")
    assert not cards(page)
    empty = page.find(class_=".dash-pins-empty")
    assert "Aucun dossier épinglé" in empty.text
    assert "Ajouter au dashboard" in empty.text and "liste des clients" in empty.text
    assert empty.find("a").attrs["href"] == "/clientview/list/"


def test_pin_on_a_client_no_longer_assigned_is_not_shown(app, world, browser):
    u = world.users
    pin(app, u["restricted_a"], world.a1)
    assert set(cards(dashboard(browser, "restricted_a"))) == {world.a1}
    assign(app, world.a1, u["collab_a"])  # restricted_a loses a1
    page = dashboard(browser, "restricted_a")
    assert not cards(page)
    assert "Alpha Un SARL" not in page.text
    assert page.find(class_=".dash-pins-empty") is not None


def test_other_users_pins_are_not_shown(app, world, browser):
    u = world.users
    pin(app, u["owner_a"], world.a2)
    pin(app, u["owner_b"], world.b1)
    pin(app, u["collab_a"], world.a1)
    assert set(cards(dashboard(browser, "collab_a"))) == {world.a1}
    assert set(cards(dashboard(browser, "owner_a"))) == {world.a2}
    assert set(cards(dashboard(browser, "admin_a"))) == set()
    assert set(cards(dashboard(browser, "owner_b"))) == {world.b1}


# Other users ------------------------------------------------------------------------------

def test_platform_admin_gets_a_summary_over_all_cabinets(app, world, browser):
    page = dashboard(browser, "admin")
    assert stats(page)["clients"] == 3
    assert "2 cabinets" in page.text and "6 collaborateurs" in page.text
    assert page.find(id="dash-collaborators") is None
    assert page.find(class_=".dash-pins-empty") is not None


def test_client_user_goes_to_their_invoicing_space(app, world, browser):
    user = browser("client_a1")
    response = user.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/espace/")
    space = user.get("/espace/").text
    assert "Alpha Un SARL" in space and "Alpha Deux" not in space


# Queries ------------------------------------------------------------------------------------

def count_queries(app, user, path="/"):
    with app.app_context():
        engine = db.engine
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = user.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return statements


def test_query_count_grows_neither_with_pins_nor_with_collaborators(app, world, browser):
    u = world.users
    ids = add_clients(app, world.cabinet_a, 3, collaborators=[u["collab_a"], u["restricted_a"]])
    user = browser("collab_a")
    user.get("/")  # warm up: FAB's first-request work is not the dashboard's

    pin(app, u["collab_a"], ids[0])
    one_pin = count_queries(app, user)
    pin(app, u["collab_a"], ids[1], ids[2])
    three_pins = count_queries(app, user)
    assert len(cards(dom(user.get("/").text))) == 3
    assert len(three_pins) == len(one_pin), (one_pin, three_pins)

    sm = app.appbuilder.sm
    from app.security import roles
    from app.security.cabinets import add_staff_user
    from app.models import Cabinet

    with app.app_context():
        cabinet = db.session.get(Cabinet, world.cabinet_a)
        for number in range(4):
            person = add_staff_user(sm, db.session, cabinet, roles.COLLABORATOR,
                                    username=f"extra{number}", email=f"extra{number}@test.fr",
                                    first_name="Extra", last_name=str(number),
                                    password="Mot-de-passe-2026")
            client = db.session.get(Client, ids[number % 3])
            client.collaborators.append(person)
        db.session.commit()
        db.session.remove()
    more_people = count_queries(app, user)
    assert len(collaborator_rows(dom(user.get("/").text))) == 8
    assert len(more_people) == len(one_pin), (one_pin, more_people)


def test_retirer_unpins_the_card_and_comes_back_to_the_dashboard(app, world, browser):
    pin(app, world.users["collab_a"], world.a1, world.a2)
    user = browser("collab_a")
    form = cards(dom(user.get("/").text))[world.a1].find("form")
    response = user.post(form.attrs["action"], {
        "csrf_token": form.find("input", name="csrf_token").attrs["value"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    page = dom(user.get("/").text)
    assert set(cards(page)) == {world.a2}
    # Without the CSRF token nothing is unpinned.
    form = cards(page)[world.a2].find("form")
    assert user.post(form.attrs["action"], {}).status_code == 400
    assert set(cards(dom(user.get("/").text))) == {world.a2}
