"""« Contacter le support » (app/views/support.py): the panel on every page, the
message form and what it stores, its limits and redirects, and the platform
Admin's list of messages (« Plateforme > Messages au support »)."""
import datetime as dt
import html
import importlib
import re

import pytest
from sqlalchemy import func, select

from conftest import csrf_token_from
from app.extensions import db
from app.models import SupportMessage
from app.models.mixins import utcnow
from app.views.support import MAX_MESSAGES_PER_HOUR

SENT = "Message envoyé au support : nous vous répondons par e-mail."
PAGE_VALUE_RE = re.compile(r'<input[^>]*name="page"[^>]*value="([^"]*)"')


def text_of(page):
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def messages(app):
    """Every stored message, oldest first, as plain dicts."""
    with app.app_context():
        rows = db.session.scalars(select(SupportMessage).order_by(SupportMessage.id)).all()
        result = [{column: getattr(row, column) for column in (
            "id", "user_id", "user_name", "email", "cabinet_id", "client_id", "page", "subject",
            "message", "handled_at", "created_at")} for row in rows]
        db.session.remove()
        return result


def message_count(app):
    with app.app_context():
        count = db.session.scalar(select(func.count(SupportMessage.id)))
        db.session.remove()
        return count


def add_messages(app, user_id, count, age, **values):
    """Messages already in the database, sent `age` ago."""
    with app.app_context():
        for number in range(count):
            db.session.add(SupportMessage(
                user_id=user_id, user_name=values.get("user_name", "Quelqu'un"),
                subject=values.get("subject", f"Ancien message {number}"),
                message="Bonjour", created_at=utcnow() - age, page=values.get("page")))
        db.session.commit()
        ids = db.session.scalars(select(SupportMessage.id).order_by(SupportMessage.id)).all()
        db.session.remove()
        return ids[-count:]


def panel_form(response):
    """(csrf token, hidden page) of the support panel of a rendered page."""
    assert response.status_code == 200, response.status_code
    match = PAGE_VALUE_RE.search(response.text)
    assert match, "no support panel on the page"
    return csrf_token_from(response.text), html.unescape(match.group(1))


def send(user, data, csrf_from="/support/"):
    data = {"subject": "Question", "message": "Bonjour,\nune question.", **data}
    return user.post("/support/envoyer", data=data, csrf_from=csrf_from)


# Sending a message ------------------------------------------------------------------

@pytest.mark.parametrize("login, path, cabinet, client, name, email", [
    ("collab_a", "/clients/{a1}/?onglet=informations", "cabinet_a", None, "Collab A",
     "collab_a@test.fr"),
    ("restricted_a", "/clientview/list/", "cabinet_a", None, "Restricted A",
     "restricted_a@test.fr"),
    # A client user belongs to no cabinet: the message carries its dossier's.
    ("client_a1", "/espace/", "cabinet_a", "a1", "Carla Client", "user@alpha-un.fr"),
])
def test_a_message_sent_from_a_page_is_stored_with_its_sender_and_page(
        app, world, browser, login, path, cabinet, client, name, email):
    user = browser(login)
    path = path.format(a1=world.a1)
    token, page = panel_form(user.get(path))
    assert page == path  # the server wrote the page's own URL into the panel

    response = user.post("/support/envoyer", data={
        "csrf_token": token, "page": page, "subject": "  Export bloqué  ",
        "message": "Bonjour,\r\nl'export ne part pas.\r\nMerci"})

    assert response.status_code == 302
    assert response.headers["Location"] == path  # back to where the user was
    assert SENT in text_of(user.get(response.headers["Location"]).text)
    [stored] = messages(app)
    assert stored["user_id"] == world.users[login]
    assert (stored["user_name"], stored["email"]) == (name, email)
    assert stored["cabinet_id"] == getattr(world, cabinet)
    assert stored["client_id"] == (getattr(world, client) if client else None)
    assert stored["page"] == path
    assert stored["subject"] == "Export bloqué"
    assert stored["message"] == "Bonjour,\nl'export ne part pas.\nMerci"
    assert stored["handled_at"] is None
    assert abs(stored["created_at"] - utcnow()) < dt.timedelta(minutes=1)


def test_the_sender_is_the_logged_in_user_whatever_the_form_says(app, world, browser):
    user = browser("collab_b")
    response = send(user, {"user_id": world.users["admin"], "cabinet_id": world.cabinet_a,
                           "client_id": world.a1, "email": "x@evil.example", "page": "/"})
    assert response.status_code == 302
    [stored] = messages(app)
    assert (stored["user_id"], stored["cabinet_id"], stored["client_id"], stored["email"]) == (
        world.users["collab_b"], world.cabinet_b, None, "collab_b@test.fr")


@pytest.mark.parametrize("data, errors", [
    ({"subject": "", "message": ""},
     ["Indiquez l'objet de votre message.", "Écrivez votre message."]),
    ({"subject": "   ", "message": "Bonjour"}, ["Indiquez l'objet de votre message."]),
    ({"subject": "Question", "message": " \r\n "}, ["Écrivez votre message."]),
])
def test_subject_and_message_are_required(app, world, browser, data, errors):
    user = browser("owner_a")
    response = send(user, {**data, "page": "/clientview/list/"})
    assert response.status_code == 200  # the support page again, with its errors
    page = text_of(response.text)
    for error in errors:
        assert error in page
    assert response.text.count('class="form-group has-error"') == len(errors)
    # What was typed and the page it came from are kept for the next try.
    assert PAGE_VALUE_RE.search(response.text).group(1) == "/clientview/list/"
    assert message_count(app) == 0


def test_an_oversized_subject_or_message_is_refused(app, world, browser):
    user = browser("collab_a")
    too_long = send(user, {"subject": "S" * 201, "message": "M" * 5001})
    assert too_long.status_code == 200
    page = text_of(too_long.text)
    assert "L'objet fait 200 caractères au plus." in page
    assert "Le message fait 5000 caractères au plus." in page
    assert message_count(app) == 0
    # The limits themselves are accepted; a CRLF line break counts as one character,
    # as the page's maxlength counts it.
    at_limit = send(user, {"subject": "S" * 200, "message": ("M" * 99 + "\r\n") * 49 + "M" * 100})
    assert at_limit.status_code == 302
    [stored] = messages(app)
    assert len(stored["subject"]) == 200 and len(stored["message"]) == 5000


def test_the_form_announces_its_limits_to_the_browser(app, world, browser):
    response = browser("collab_a").get("/support/")
    assert re.search(r'<input[^>]*maxlength="200"[^>]*name="subject"[^>]*required', response.text)
    assert re.search(r'<textarea[^>]*maxlength="5000"[^>]*name="message"[^>]*required',
                     response.text)


# The rate limit ---------------------------------------------------------------------

def test_at_most_ten_messages_per_user_and_per_hour(app, world, browser):
    assert MAX_MESSAGES_PER_HOUR == 10
    add_messages(app, world.users["collab_a"], 9, dt.timedelta(minutes=50))
    user = browser("collab_a")
    assert send(user, {"subject": "Dixième"}).status_code == 302
    assert message_count(app) == 10

    refused = send(user, {"subject": "Onzième", "page": "/clientview/list/"})
    assert refused.status_code == 429
    page = text_of(refused.text)
    assert "Vous avez déjà envoyé 10 messages au support dans l'heure" in page
    assert "01 23 45 67 89" in page  # the phone stays an option
    assert 'value="Onzième"' in refused.text  # nothing typed is lost
    assert message_count(app) == 10
    # Another user is not held back by collab_a's messages.
    assert send(browser("admin_a"), {}).status_code == 302
    assert message_count(app) == 11


def test_messages_older_than_an_hour_do_not_count(app, world, browser):
    add_messages(app, world.users["collab_a"], 10, dt.timedelta(minutes=61))
    response = send(browser("collab_a"), {"subject": "Nouvelle heure"})
    assert response.status_code == 302
    assert messages(app)[-1]["subject"] == "Nouvelle heure"


# Where the user lands afterwards ----------------------------------------------------

@pytest.mark.parametrize("page, expected", [
    ("/clientview/list/?q=alpha&page_ClientView=1", "/clientview/list/?q=alpha&page_ClientView=1"),
    ("//evil.example", "/"),
    ("//evil.example/clients/", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
    ("/support/envoyer", "/"),  # a POST-only address cannot be shown again
])
def test_redirect_goes_back_to_the_page_only_if_it_is_one_of_ours(
        app, world, browser, page, expected):
    response = send(browser("collab_a"), {"page": page})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    # The page is stored as sent, for the support to read, whatever it is.
    assert messages(app)[0]["page"] == (page or None)


def test_the_stored_page_is_cut_to_500_characters(app, world, browser):
    long_page = "/clientview/list/?q=" + "x" * 600
    assert send(browser("collab_a"), {"page": long_page}).status_code == 302
    assert messages(app)[0]["page"] == long_page[:500]


# The button and its panel -----------------------------------------------------------

def test_every_page_of_a_logged_in_user_has_the_support_button_and_panel(app, world, browser):
    user = browser("collab_a")
    response = user.get("/")
    assert response.status_code == 200
    body = response.text
    assert 'id="support-button"' in body and 'href="/support/?page=/"' in body
    assert 'id="support-modal"' in body and 'action="/support/envoyer"' in body
    assert 'href="tel:0123456789"' in body and "01 23 45 67 89" in body
    assert 'href="mailto:support@passerelle.fr"' in body
    assert "Contacter le support" in text_of(body)
    assert "/static/js/support.js" in body and "/static/css/support.css" in body
    assert "cdn" not in re.sub(r"[^a-z]", " ", body.lower()).split()
    # FAB's own screens too, and the panel's page is the page's path and query.
    for path in ("/users/userinfo/", "/clientview/list/?q=alpha"):
        _token, page = panel_form(user.get(path))
        assert page == path


def test_the_phone_and_email_come_from_the_configuration(app, world, browser, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_PHONE", "+33 4 72 10 20 30")
    monkeypatch.setitem(app.config, "SUPPORT_EMAIL", "aide@cabinet.example")
    user = browser("client_a1")
    for path in ("/espace/", "/support/"):
        body = user.get(path).text
        assert 'href="tel:+33472102030"' in body and "+33 4 72 10 20 30" in body, path
        assert 'href="mailto:aide@cabinet.example"' in body, path
        assert "01 23 45 67 89" not in body and "support@passerelle.fr" not in body, path


def test_the_settings_are_read_from_the_environment(monkeypatch):
    import config

    monkeypatch.setenv("SUPPORT_PHONE", "05 56 00 00 00")
    monkeypatch.setenv("SUPPORT_EMAIL", "hotline@example.fr")
    try:
        reloaded = importlib.reload(config)
        assert (reloaded.SUPPORT_PHONE, reloaded.SUPPORT_EMAIL) == (
            "05 56 00 00 00", "hotline@example.fr")
        monkeypatch.delenv("SUPPORT_PHONE")
        monkeypatch.delenv("SUPPORT_EMAIL")
        reloaded = importlib.reload(config)
        assert (reloaded.SUPPORT_PHONE, reloaded.SUPPORT_EMAIL) == (
            "01 23 45 67 89", "support@passerelle.fr")
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_no_support_button_for_anonymous_visitors(app, world, browser):
    visitor = browser()
    login = visitor.get("/login/")
    assert login.status_code == 200
    assert "support-button" not in login.text and "support-modal" not in login.text
    assert "Contacter le support" not in text_of(login.text)
    assert visitor.get("/support/").status_code == 302  # to the login page


def test_the_support_page_works_without_javascript(app, world, browser):
    user = browser("restricted_a")
    response = user.get(f"/support/?page=/clients/{world.a1}/")
    assert response.status_code == 200
    body = response.text
    page = text_of(body)
    assert "Contacter le support" in page and "01 23 45 67 89" in page
    assert "support@passerelle.fr" in page
    # One form only (the floating panel is not repeated), carrying the page it came from.
    assert body.count('name="subject"') == 1 and 'id="support-modal"' not in body
    assert PAGE_VALUE_RE.search(body).group(1) == f"/clients/{world.a1}/"
    assert f'href="/clients/{world.a1}/"' in body  # « Annuler » goes back there


def test_an_error_page_has_the_panel_but_does_not_echo_the_url(app, world, browser):
    """A hidden record must answer exactly like a missing one (test_isolation_routes)."""
    user = browser("collab_b")
    hidden = user.get(f"/clients/{world.a1}/")
    missing = user.get("/clients/987654321/")
    assert hidden.status_code == missing.status_code == 404
    for response in (hidden, missing):
        assert 'id="support-modal"' in response.text
        assert PAGE_VALUE_RE.search(response.text).group(1) == ""
        assert 'href="/support/"' in response.text
    strip = re.compile(r'(name="csrf[-_]token"[^>]*(?:value|content)=")[^"]*"')
    assert strip.sub("", hidden.text) == strip.sub("", missing.text)


# Anonymous visitors -----------------------------------------------------------------

def test_an_anonymous_post_is_refused(app, world, browser):
    visitor = browser()
    token = csrf_token_from(visitor.get("/login/").text)
    with_token = visitor.post("/support/envoyer", data={
        "csrf_token": token, "subject": "Spam", "message": "Spam", "page": "/"})
    assert with_token.status_code == 302 and "/login" in with_token.headers["Location"]
    without_token = visitor.post("/support/envoyer", data={"subject": "Spam", "message": "Spam"})
    assert without_token.status_code == 400
    assert message_count(app) == 0


def test_a_post_without_csrf_token_is_refused(app, world, browser):
    user = browser("collab_a")
    response = user.post("/support/envoyer", data={"subject": "Question", "message": "Bonjour"})
    assert response.status_code == 400
    assert message_count(app) == 0


# The platform Admin's list ----------------------------------------------------------

def test_the_admin_lists_the_messages_newest_first(app, world, browser):
    add_messages(app, world.users["collab_a"], 1, dt.timedelta(days=2),
                 subject="Ancienne question", page="/clientview/list/")
    send(browser("owner_b"), {"subject": "Question récente", "page": "/clients/"})
    admin = browser("admin")
    home = text_of(admin.get("/").text)
    assert "Plateforme" in home and "Messages au support" in home

    response = admin.get("/supportmessageview/list/")
    assert response.status_code == 200
    page = text_of(response.text)
    for column in ("Date", "Expéditeur", "Cabinet", "Page", "Objet", "Traité le"):
        assert column in page
    assert page.index("Question récente") < page.index("Ancienne question")
    assert "Olivia Alpha" not in page  # owner_b wrote, Bruno Bêta
    assert "Bruno Bêta" in page and "Cabinet Bêta" in page and "/clients/" in page
    assert "à traiter" in page


def test_the_admin_searches_the_messages(app, world, browser):
    send(browser("collab_a"), {"subject": "Export FEC refusé"})
    send(browser("collab_b"), {"subject": "Mot de passe oublié"})
    admin = browser("admin")
    by_subject = text_of(admin.get("/supportmessageview/list/?_flt_2_subject=FEC").text)
    assert "Export FEC refusé" in by_subject and "Mot de passe oublié" not in by_subject
    by_email = text_of(admin.get("/supportmessageview/list/?_flt_2_email=collab_b").text)
    assert "Mot de passe oublié" in by_email and "Export FEC refusé" not in by_email
    by_name = text_of(admin.get("/supportmessageview/list/?_flt_2_user_name=Collab A").text)
    assert "Export FEC refusé" in by_name and "Mot de passe oublié" not in by_name


def test_the_admin_reads_a_message_and_marks_it_handled(app, world, browser):
    send(browser("client_a1"), {"subject": "Facture", "message": "Ligne 1\nLigne <b>2</b>",
                                "page": "/espace/"})
    [stored] = messages(app)
    admin = browser("admin")
    show = admin.get(f"/supportmessageview/show/{stored['id']}")
    assert show.status_code == 200
    page = text_of(show.text)
    for expected in ("Carla Client", "user@alpha-un.fr", "Cabinet Alpha", "Alpha Un SARL",
                     "/espace/", "Facture", "Marquer comme traité"):
        assert expected in page, expected
    # The sender's text is shown as text, line breaks kept.
    assert ('<div class="support-message-text">Ligne 1\nLigne &lt;b&gt;2&lt;/b&gt;</div>'
            in show.text)

    token = csrf_token_from(show.text)
    response = admin.post(f"/supportmessageview/action/mark_handled/{stored['id']}",
                          data={"csrf_token": token})
    assert response.status_code == 302
    landing = admin.get(response.headers["Location"])
    assert "1 message marqué comme traité." in text_of(landing.text)
    handled_at = messages(app)[0]["handled_at"]
    assert handled_at is not None and abs(handled_at - utcnow()) < dt.timedelta(minutes=1)
    # Marking it again keeps the first date.
    admin.post(f"/supportmessageview/action/mark_handled/{stored['id']}",
               data={"csrf_token": token})
    assert messages(app)[0]["handled_at"] == handled_at


def test_the_admin_marks_several_messages_from_the_list(app, world, browser):
    ids = add_messages(app, world.users["collab_a"], 3, dt.timedelta(minutes=5))
    admin = browser("admin")
    token = csrf_token_from(admin.get("/supportmessageview/list/").text)
    response = admin.post("/supportmessageview/action_post", data={
        "csrf_token": token, "action": "mark_handled", "rowid": [str(ids[0]), str(ids[2])]})
    assert response.status_code == 302
    handled = {row["id"]: row["handled_at"] is not None for row in messages(app)}
    assert handled == {ids[0]: True, ids[1]: False, ids[2]: True}
    unknown = admin.post("/supportmessageview/action_post", data={
        "csrf_token": token, "action": "delete_all", "rowid": [str(ids[1])]})
    assert unknown.status_code == 404


def test_the_admin_list_is_read_only(app, world, browser):
    [message_id] = add_messages(app, world.users["collab_a"], 1, dt.timedelta(minutes=5))
    admin = browser("admin")
    token = admin.csrf("/supportmessageview/list/")
    for path in ("/supportmessageview/add", f"/supportmessageview/edit/{message_id}"):
        assert admin.get(path).status_code == 404, path
    for path in ("/supportmessageview/add", f"/supportmessageview/edit/{message_id}",
                 f"/supportmessageview/delete/{message_id}"):
        assert admin.client.post(path, data={"csrf_token": token, "subject": "X"}).status_code \
            in (404, 405), path
    assert message_count(app) == 1 and messages(app)[0]["subject"] == "Ancien message 0"


@pytest.mark.parametrize("login", ["owner_a", "admin_a", "collab_a", "restricted_a", "client_a1"])
def test_only_the_platform_admin_reaches_the_list(app, world, browser, login):
    [message_id] = add_messages(app, world.users["collab_b"], 1, dt.timedelta(minutes=5),
                                subject="Confidentiel")
    user = browser(login)
    home = user.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert "supportmessageview" not in home.text and "Messages au support" not in home.text
    assert "Plateforme" not in text_of(home.text)
    for path in ("/supportmessageview/list/", f"/supportmessageview/show/{message_id}"):
        response = user.get(path)
        assert response.status_code in (302, 403), (path, response.status_code)
        assert "Confidentiel" not in response.text
    token = csrf_token_from(home.text)
    acted = [
        user.post(f"/supportmessageview/action/mark_handled/{message_id}",
                  data={"csrf_token": token}),
        user.post("/supportmessageview/action_post", data={
            "csrf_token": token, "action": "mark_handled", "rowid": str(message_id)}),
    ]
    for response in acted:
        assert response.status_code in (302, 403) and "Confidentiel" not in response.text
    assert messages(app)[0]["handled_at"] is None
