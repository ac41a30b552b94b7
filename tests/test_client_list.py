"""« Liste clients »: search, filters, sorting, columns, display modes and actions."""
import datetime as dt
import html
import re

import pytest
from werkzeug.datastructures import MultiDict

from conftest import update_client
from app.clients.listing import InvalidListArgument, ListQuery
from app.clients.search import like_pattern, normalise
from app.extensions import db
from app.models import Client, DashboardPin, UserPreference
from app.models.mixins import utcnow

NAMES = {"a1": "Alpha Un SARL", "a2": "Alpha Deux SAS"}


def count_of(page):
    return int(re.search(r'data-count="(\d+)"', page).group(1))


def names_in(page):
    return re.findall(r'<td class="col-name"><a href="/clients/\d+/">([^<]+)</a>', html.unescape(page))


@pytest.fixture
def collab(world, browser):
    return browser("collab_a")


# Pure parts -------------------------------------------------------------------------

def test_normalise_removes_accents_case_and_extra_spaces():
    assert normalise("  Électricité   NOËL ") == "electricite noel"
    assert like_pattern("Élec_100%") == "%elec\\_100\\%%"
    assert like_pattern("732 829 320") == "%732829320%"


@pytest.mark.parametrize("args, message", [
    ({"last_login": "hier"}, "Filtre de connexion inconnu"),
    ({"pack": "Or"}, "Pack inconnu"),
    ({"size": "7"}, "Lignes par page"),
    ({"sort": "password"}, "Tri impossible"),
    ({"last_login": "range", "from": "2026-02-30"}, "date invalide"),
    ({"last_login": "range", "from": "2026-03-01", "to": "2026-02-01"}, "précéder"),
    ({"collaborator": "x"}, "nombre entier"),
])
def test_bad_list_arguments_are_explained_in_french(args, message):
    with pytest.raises(InvalidListArgument, match=message):
        ListQuery.from_args(MultiDict(args))


# Search -----------------------------------------------------------------------------

@pytest.mark.parametrize("term", ["alpha deux", "ALPHA DEUX", "552100554", "552 100 554",
                                  "deux@alpha", "DEUX@ALPHA.FR"])
def test_search_finds_by_name_siren_email_whatever_the_case(app, collab, term):
    page = collab.get("/clientview/list/", query_string={"q": term}).text
    assert names_in(page) == [NAMES["a2"]]


def test_search_ignores_accents_both_ways(app, world, collab):
    update_client(app, world.a2, name="Électricité Noël SAS", dossier_code="ÉLEC1".replace("É", "E"))
    for term in ("electricite noel", "ÉLECTRICITÉ", "Electricite Noël", "elec1"):
        page = collab.get("/clientview/list/", query_string={"q": term}).text
        assert names_in(page) == ["Électricité Noël SAS"], term


def test_search_wildcards_are_literal(app, collab):
    assert count_of(collab.get("/clientview/list/?q=%25").text) == 0
    assert count_of(collab.get("/clientview/list/?q=_").text) == 0


# Filters ----------------------------------------------------------------------------

def test_last_connection_filters(app, world, collab):
    now = utcnow()
    update_client(app, world.a1, last_login_at=now - dt.timedelta(days=3))
    update_client(app, world.a2, last_login_at=now - dt.timedelta(days=120))
    expectations = {"today": [], "7d": [NAMES["a1"]], "30d": [NAMES["a1"]],
                    "over90": [NAMES["a2"]], "never": []}
    for value, expected in expectations.items():
        page = collab.get("/clientview/list/", query_string={"last_login": value}).text
        assert names_in(page) == expected, value
    update_client(app, world.a1, last_login_at=None)
    assert names_in(collab.get("/clientview/list/?last_login=never").text) == [NAMES["a1"]]


def test_last_connection_date_range_includes_both_days(app, world, collab):
    update_client(app, world.a1, last_login_at=dt.datetime(2026, 3, 1, 23, 30))
    update_client(app, world.a2, last_login_at=dt.datetime(2026, 3, 3, 8, 0))
    page = collab.get("/clientview/list/?last_login=range&from=2026-03-01&to=2026-03-01").text
    assert names_in(page) == [NAMES["a1"]]
    page = collab.get("/clientview/list/?last_login=range&from=2026-03-01&to=2026-03-03").text
    assert sorted(names_in(page)) == sorted(NAMES.values())


def test_collaborator_filter_one_several_and_unassigned(app, world, collab):
    restricted, owner = world.users["restricted_a"], world.users["owner_a"]
    assert names_in(collab.get(f"/clientview/list/?collaborator={restricted}").text) == [NAMES["a1"]]
    assert names_in(collab.get(f"/clientview/list/?collaborator={owner}").text) == []
    assert names_in(collab.get("/clientview/list/?collaborator=none").text) == [NAMES["a2"]]
    both = collab.get(f"/clientview/list/?collaborator=none&collaborator={restricted}").text
    assert sorted(names_in(both)) == sorted(NAMES.values())


def test_pack_created_and_dossier_filters(app, world, collab):
    assert names_in(collab.get("/clientview/list/?pack=Premium").text) == [NAMES["a2"]]
    assert count_of(collab.get("/clientview/list/?pack=Premium&pack=Standard").text) == 2
    update_client(app, world.a1, created_at=dt.datetime(2020, 1, 1))
    assert names_in(collab.get("/clientview/list/?created=month").text) == [NAMES["a2"]]
    assert names_in(collab.get("/clientview/list/?dossier=missing").text) == [NAMES["a2"]]
    assert names_in(collab.get("/clientview/list/?dossier=linked").text) == [NAMES["a1"]]


def test_active_filters_are_shown_and_removable_one_by_one(app, world, collab):
    restricted = world.users["restricted_a"]
    page = html.unescape(collab.get(
        f"/clientview/list/?q=alpha&pack=Premium&collaborator={restricted}&collaborator=none").text)
    chips = re.findall(r'<a class="filter-chip" href="([^"]+)"[^>]*>([^<]+)<', page)
    labels = [label.strip() for _, label in chips]
    assert labels == ["Recherche : « alpha »", "Suivi par Restricted A", "Non attribué",
                      "Pack Premium"]
    without_pack = dict((label.strip(), url) for url, label in chips)["Pack Premium"]
    assert "pack=" not in without_pack and "collaborator=none" in without_pack
    assert "q=alpha" in without_pack


def test_bad_argument_is_flashed_and_the_list_reset(app, collab):
    response = collab.get("/clientview/list/?pack=Or")
    assert response.status_code == 302
    page = collab.get(response.headers["Location"]).text
    assert "Pack inconnu : « Or »" in html.unescape(page)


# Sorting and paging -----------------------------------------------------------------

def test_default_sort_is_newest_first_and_columns_sort_both_ways(app, world, collab):
    update_client(app, world.a1, created_at=dt.datetime(2025, 1, 1))
    assert names_in(collab.get("/clientview/list/").text) == [NAMES["a2"], NAMES["a1"]]
    assert names_in(collab.get("/clientview/list/?sort=name&dir=asc").text) == [NAMES["a2"], NAMES["a1"]]
    assert names_in(collab.get("/clientview/list/?sort=name&dir=desc").text) == [NAMES["a1"], NAMES["a2"]]
    # Clients without a dossier number come last, whatever the direction.
    for direction in ("asc", "desc"):
        page = collab.get(f"/clientview/list/?sort=dossier&dir={direction}").text
        assert names_in(page)[-1] == NAMES["a2"]


def test_paging_and_the_rows_fragment_for_continuous_scrolling(app, world, browser):
    with app.app_context():
        for number in range(30):
            db.session.add(Client(cabinet_id=world.cabinet_a, name=f"Série {number:02d}",
                                  email=f"s{number}@alpha.fr", pack="Standard"))
        db.session.commit()
        db.session.remove()
    user = browser("collab_a")
    first = user.get("/clientview/list/?sort=name&dir=asc").text
    assert count_of(first) == 32 and len(names_in(first)) == 25
    second = user.get("/clientview/list/?sort=name&dir=asc&page=2").text
    assert len(names_in(second)) == 7
    assert set(names_in(first)).isdisjoint(names_in(second))
    fragment = user.get("/clientview/list/?sort=name&dir=asc&page=2&fragment=rows").text
    assert "<html" not in fragment and len(names_in(fragment)) == 7
    # In continuous mode the page's sentinel row points at the next rows as a fragment.
    user.post("/clientview/preferences", {"mode": "scroll"}, csrf_from="/clientview/list/")
    page = user.get("/clientview/list/?sort=name&dir=asc").text
    next_url = html.unescape(re.search(r'class="load-more" data-next="([^"]+)"', page).group(1))
    assert "fragment=rows" in next_url and "page=2" in next_url
    loaded = user.get(next_url).text
    assert "<html" not in loaded and names_in(loaded) == names_in(second)
    beyond = user.get("/clientview/list/?page=9")
    assert beyond.status_code == 302 and "page=2" in beyond.headers["Location"]


# Display preferences ----------------------------------------------------------------

def test_columns_and_mode_are_kept_per_user(app, world, browser):
    user = browser("collab_a")
    response = user.post("/clientview/preferences", {
        "columns": ["siren", "pack", "bogus"], "mode": "scroll", "page_size": "50",
        "next": "/clientview/list/"}, csrf_from="/clientview/list/")
    assert response.status_code == 302
    page = browser("collab_a").get("/clientview/list/").text  # a new session
    headers = re.findall(r'<th><a class="sort-link[^"]*" href="[^"]+">([^<]+)', page)
    assert [h.strip() for h in headers] == ["Raison sociale", "SIREN", "Pack"]
    assert 'data-mode="scroll"' in page
    # Other users keep the defaults.
    other = browser("admin_a").get("/clientview/list/").text
    assert 'data-mode="pages"' in other and "E-mail du compte" in other
    with app.app_context():
        prefs = db.session.query(UserPreference).filter_by(user_id=world.users["collab_a"]).one()
        assert prefs.value == {"columns": ["name", "siren", "pack"], "mode": "scroll", "page_size": 50}
        db.session.remove()


def test_preferences_need_a_csrf_token(app, world, collab):
    assert collab.post("/clientview/preferences", {"mode": "scroll"}).status_code == 400


# Actions ----------------------------------------------------------------------------

def pins_of(app, user_id):
    with app.app_context():
        pins = {p.client_id for p in db.session.query(DashboardPin).filter_by(user_id=user_id)}
        db.session.remove()
        return pins


def test_pin_and_unpin_several_clients_then_one(app, world, collab):
    me = world.users["collab_a"]
    response = collab.post("/clientview/action_post", {
        "action": "pin", "rowid": [str(world.a1), str(world.a2)], "next": "/clientview/list/"},
        csrf_from="/clientview/list/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/clientview/list/")
    assert pins_of(app, me) == {world.a1, world.a2}
    collab.post("/clientview/action_post", {"single": f"unpin:{world.a1}",
                                            "rowid": [str(world.a2)]}, csrf_from="/clientview/list/")
    assert pins_of(app, me) == {world.a2}
    assert pins_of(app, world.users["admin_a"]) == set()


def test_pinning_another_cabinets_client_is_a_404(app, world, collab):
    response = collab.post("/clientview/action_post", {"action": "pin", "rowid": [str(world.b1)]},
                           csrf_from="/clientview/list/")
    assert response.status_code == 404
    assert pins_of(app, world.users["collab_a"]) == set()


def test_manage_access_action_opens_the_access_form_for_the_selection(app, world, collab):
    response = collab.post("/clientview/action_post", {
        "action": "manage_access", "rowid": [str(world.a1), str(world.a2)]},
        csrf_from="/clientview/list/")
    assert response.status_code == 302
    assert f"ids={world.a1},{world.a2}" in response.headers["Location"]


def test_restricted_collaborator_may_not_manage_access(app, world, browser):
    restricted = browser("restricted_a")
    page = restricted.get("/clientview/list/").text
    assert "Gérer l&#39;accès" not in page and "Gérer l'accès" not in page
    response = restricted.post("/clientview/action_post", {
        "action": "manage_access", "rowid": [str(world.a1)]}, csrf_from="/clientview/list/")
    assert response.status_code == 403


def test_row_actions_follow_the_role(app, world, browser):
    collab_page = browser("collab_a").get("/clientview/list/").text
    assert "Nouveau client" in collab_page and "/clients/access?ids=" in collab_page
    restricted_page = browser("restricted_a").get("/clientview/list/").text
    assert "Nouveau client" not in restricted_page
    assert "/clients/access?ids=" not in restricted_page
    assert "Accéder au compte" in restricted_page


def test_empty_states(app, world, browser, collab):
    assert "Aucun client ne correspond" in collab.get("/clientview/list/?q=zzzz").text
    update_client(app, world.a1, collaborators=[])
    assert "Aucun client pour le moment" in browser("restricted_a").get("/clientview/list/").text


def test_queries_per_page_do_not_grow_with_the_page_size(app, world, browser):
    from sqlalchemy import event

    with app.app_context():
        for number in range(120):
            db.session.add(Client(cabinet_id=world.cabinet_a, name=f"Volume {number:03d}",
                                  email=f"v{number}@alpha.fr", pack="Standard"))
        db.session.commit()
        engine = db.engine
        db.session.remove()
    user = browser("collab_a")
    counts = {}
    for size in (25, 100):
        statements = []
        listener = lambda *args, **kwargs: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert user.get(f"/clientview/list/?size={size}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        counts[size] = len(statements)
    assert counts[25] == counts[100]
