"""« Votre compte » (issue 7): every user edits their own profile and password.

The screens act on the logged-in user only (no id in the URL); a password change
keeps the session of the change open and ends every other one.
"""
import html
import re

import pytest

from app.extensions import db
from app.models import AppUser
from app.security import roles
from conftest import PASSWORD, Browser, build_app, csrf_token_from, seed_world

PROFILE = "/compte/profil"
PASSWORD_PAGE = "/compte/mot-de-passe"
NEW_PASSWORD = "Nouveau-Secret-2027!"
WEAK_PASSWORD = "motdepasse"
EVERY_ROLE = ["owner_a", "collab_a", "restricted_a", "client_a1", "admin"]
USER_COLUMNS = ("username", "first_name", "last_name", "email", "phone", "job_title",
                "cabinet_id", "client_id", "active", "password", "session_token")


# Helpers -----------------------------------------------------------------------------

def user_row(app, user_id):
    """The user's columns and roles as stored, read outside any request."""
    with app.app_context():
        user = db.session.get(AppUser, user_id)
        row = {column: getattr(user, column) for column in USER_COLUMNS}
        row["roles"] = sorted(role.name for role in user.roles)
        db.session.remove()
    return row


def profile_data(**changes):
    data = {"first_name": "Camille", "last_name": "Durand", "email": "camille@durand.fr",
            "phone": "+33 1 23 45 67 89", "job_title": "Expert-comptable"}
    data.update(changes)
    return data


def password_data(current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return {"current_password": current, "new_password": new,
            "confirm_password": new if confirm is None else confirm}


def field_errors(page, field_id):
    """The error messages shown in the form row of `field_id` (next to the field)."""
    rows = re.findall(r'<div class="form-group has-error">(.*?)</div>\s*</div>', page, re.S)
    for row in rows:
        if f'for="{field_id}"' in row:
            return [html.unescape(text) for text in re.findall(r'field-error">(.*?)</span>', row)]
    return []


def all_field_errors(page):
    return [html.unescape(text) for text in re.findall(r'field-error">(.*?)</span>', page)]


def login_works(app, username, password):
    """True when the login form accepts `password` (a fresh browser, no assertion)."""
    client = app.test_client()
    token = csrf_token_from(client.get("/login/").text)
    response = client.post("/login/", data={"username": username, "password": password,
                                            "csrf_token": token})
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def is_logged_in(browser):
    """A protected page answers (200), or redirects to the login page (logged out)."""
    response = browser.get(PROFILE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert "/login/" in response.headers["Location"]
    return False


# Profil ------------------------------------------------------------------------------

@pytest.mark.parametrize("login", EVERY_ROLE)
def test_every_role_edits_its_own_profile(app, world, login):
    user = Browser(app, login)
    user_id = world.users[login]
    before = user_row(app, user_id)
    page = user.get(PROFILE)
    assert page.status_code == 200
    assert f'value="{before["email"]}"' in page.text  # the form shows the user's own values

    data = profile_data(email=f"nouvelle.{login}@exemple.fr")
    response = user.post(PROFILE, data, csrf_from=PROFILE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PROFILE)
    assert "Profil enregistré." in user.get(PROFILE).text

    after = user_row(app, user_id)
    assert {key: after[key] for key in data} == data
    unchanged = ("username", "cabinet_id", "client_id", "active", "password", "roles")
    assert {key: after[key] for key in unchanged} == {key: before[key] for key in unchanged}


@pytest.mark.parametrize("login", EVERY_ROLE)
def test_user_menu_links_to_the_account_screens(app, world, login):
    page = Browser(app, login).get(PROFILE).text
    toggle = page.index('<span class="fa fa-user"></span>')  # the user's own dropdown
    menu = page[page.index('<ul class="dropdown-menu">', toggle):]
    menu = menu[:menu.index("</ul>")]
    assert "Votre compte" in menu
    assert f'href="{PROFILE}"' in menu and "Mon profil" in menu
    assert f'href="{PASSWORD_PAGE}"' in menu and "Mot de passe" in menu
    assert "/logout/" in menu


def test_empty_phone_and_job_title_are_stored_as_nothing(app, world):
    user = Browser(app, "collab_a")
    user.post(PROFILE, profile_data(), csrf_from=PROFILE)
    response = user.post(PROFILE, profile_data(phone="  ", job_title=""), csrf_from=PROFILE)
    assert response.status_code == 302
    after = user_row(app, world.users["collab_a"])
    assert after["phone"] is None and after["job_title"] is None


def test_email_of_another_user_is_refused_whatever_its_case(app, world):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    # owner_b belongs to another cabinet: the address is taken all the same.
    for taken in ("OWNER_B@Test.FR", "  owner_a@test.fr "):
        response = user.post(PROFILE, profile_data(email=taken), csrf_from=PROFILE)
        assert response.status_code == 200
        assert field_errors(response.text, "email") == [
            "Cette adresse e-mail est déjà utilisée par un autre compte."]
        assert all_field_errors(response.text) == field_errors(response.text, "email")
        assert "Profil enregistré." not in response.text
        assert user_row(app, world.users["collab_a"]) == before  # nothing changed, not the name


def test_own_email_in_another_case_is_accepted(app, world):
    user = Browser(app, "collab_a")
    response = user.post(PROFILE, profile_data(email="Collab_A@Test.fr"), csrf_from=PROFILE)
    assert response.status_code == 302
    assert user_row(app, world.users["collab_a"])["email"] == "Collab_A@Test.fr"


@pytest.mark.parametrize("email, message", [
    ("pas-une-adresse", "Adresse e-mail invalide."),
    ("deux@@arobases.fr", "Adresse e-mail invalide."),
    ("", "L'adresse e-mail est obligatoire."),
])
def test_invalid_email_is_refused(app, world, email, message):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PROFILE, profile_data(email=email), csrf_from=PROFILE)
    assert response.status_code == 200
    assert field_errors(response.text, "email") == [message]
    assert user_row(app, world.users["collab_a"]) == before


@pytest.mark.parametrize("phone", ["appelez-moi", "01 23 45 67 89 poste 12", "12", "+33 " + "1" * 27])
def test_implausible_phone_is_refused(app, world, phone):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PROFILE, profile_data(phone=phone), csrf_from=PROFILE)
    assert response.status_code == 200
    errors = field_errors(response.text, "phone")
    assert len(errors) == 1
    assert ("30 caractères au plus." in errors[0] if len(phone) > 30
            else errors[0].startswith("Numéro de téléphone invalide"))
    assert user_row(app, world.users["collab_a"]) == before


def test_names_are_required(app, world):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PROFILE, profile_data(first_name=" ", last_name=""), csrf_from=PROFILE)
    assert response.status_code == 200
    assert field_errors(response.text, "first_name") == ["Le prénom est obligatoire."]
    assert field_errors(response.text, "last_name") == ["Le nom est obligatoire."]
    assert user_row(app, world.users["collab_a"]) == before


def test_posted_extra_fields_cannot_touch_another_account_or_the_users_rights(app, world):
    """No id in the URL, and only the form's fields are copied: an `id`, a username,
    a cabinet, a client, roles or a password slipped into the POST change nothing."""
    user = Browser(app, "restricted_a")
    others = {login: user_row(app, world.users[login]) for login in ("owner_a", "owner_b", "admin")}
    before = user_row(app, world.users["restricted_a"])
    with app.app_context():
        admin_role_id = app.appbuilder.sm.find_role(roles.ADMIN).id
    data = profile_data(
        id=world.users["owner_a"], pk=world.users["owner_a"], user_id=world.users["owner_b"],
        username="pirate", cabinet_id=world.cabinet_b, client_id=world.a1,
        roles=admin_role_id, active="", password="Pirate-2026!x", session_token="volé")
    response = user.post(PROFILE, data, csrf_from=PROFILE)
    assert response.status_code == 302

    after = user_row(app, world.users["restricted_a"])
    assert {key: after[key] for key in profile_data()} == profile_data()
    for key in ("username", "cabinet_id", "client_id", "active", "password", "session_token",
                "roles"):
        assert after[key] == before[key], key
    assert {login: user_row(app, world.users[login]) for login in others} == others
    # The query string cannot name another account either.
    user.post(f"{PROFILE}?id={world.users['owner_a']}", profile_data(first_name="Autre"),
              csrf_from=PROFILE)
    assert user_row(app, world.users["owner_a"]) == others["owner_a"]
    assert user_row(app, world.users["restricted_a"])["first_name"] == "Autre"


def test_profile_post_without_csrf_token_is_refused(app, world):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PROFILE, profile_data())
    assert response.status_code == 400
    assert user_row(app, world.users["collab_a"]) == before


@pytest.mark.parametrize("path", [PROFILE, PASSWORD_PAGE])
def test_anonymous_is_sent_to_the_login_page(app, world, path):
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


# Mot de passe ------------------------------------------------------------------------

def test_wrong_current_password_is_refused(app, world):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PASSWORD_PAGE, password_data(current="Pas-le-bon-2026!"),
                         csrf_from=PASSWORD_PAGE)
    assert response.status_code == 200
    assert field_errors(response.text, "current_password") == [
        "Le mot de passe actuel est incorrect."]
    assert user_row(app, world.users["collab_a"]) == before
    assert login_works(app, "collab_a", PASSWORD)
    assert not login_works(app, "collab_a", NEW_PASSWORD)


def test_weak_new_password_is_refused_with_the_policy(app, world):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PASSWORD_PAGE, password_data(new=WEAK_PASSWORD), csrf_from=PASSWORD_PAGE)
    assert response.status_code == 200
    errors = field_errors(response.text, "new_password")
    assert len(errors) == 1
    assert errors[0].startswith("Le mot de passe doit contenir")
    for missing in ("au moins 12 caractères", "une majuscule", "un chiffre",
                    "un caractère spécial"):
        assert missing in errors[0], missing
    assert user_row(app, world.users["collab_a"]) == before
    assert not login_works(app, "collab_a", WEAK_PASSWORD)


def test_new_password_must_differ_from_the_current_one(app, world):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PASSWORD_PAGE, password_data(new=PASSWORD), csrf_from=PASSWORD_PAGE)
    assert response.status_code == 200
    assert field_errors(response.text, "new_password") == [
        "Le nouveau mot de passe doit être différent du mot de passe actuel."]
    assert user_row(app, world.users["collab_a"]) == before


def test_confirmation_must_match(app, world):
    user = Browser(app, "collab_a")
    before = user_row(app, world.users["collab_a"])
    response = user.post(PASSWORD_PAGE, password_data(confirm=NEW_PASSWORD + "x"),
                         csrf_from=PASSWORD_PAGE)
    assert response.status_code == 200
    assert field_errors(response.text, "confirm_password") == [
        "La confirmation ne correspond pas au nouveau mot de passe."]
    assert user_row(app, world.users["collab_a"]) == before
    assert not login_works(app, "collab_a", NEW_PASSWORD)


def test_password_page_never_echoes_passwords(app, world):
    user = Browser(app, "collab_a")
    response = user.post(PASSWORD_PAGE, password_data(new=WEAK_PASSWORD), csrf_from=PASSWORD_PAGE)
    assert PASSWORD not in response.text and WEAK_PASSWORD not in response.text


@pytest.mark.parametrize("login", ["collab_a", "client_a1", "admin"])
def test_password_change_keeps_this_session_and_ends_the_others(app, world, login):
    here = Browser(app, login)
    elsewhere = Browser(app, login)  # another browser, logged in before the change
    someone_else = Browser(app, "owner_a")
    assert is_logged_in(here) and is_logged_in(elsewhere)

    response = here.post(PASSWORD_PAGE, password_data(), csrf_from=PASSWORD_PAGE)
    assert response.status_code == 302
    page = here.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Mot de passe modifié. Vos autres sessions ont été fermées." in page.text

    assert is_logged_in(here)
    assert here.get(PASSWORD_PAGE).status_code == 200
    assert not is_logged_in(elsewhere)
    assert is_logged_in(someone_else)  # another user's sessions are not touched
    assert login_works(app, login, NEW_PASSWORD)
    assert not login_works(app, login, PASSWORD)

    # The session of the change goes on working: it can change the password again.
    again = here.post(PASSWORD_PAGE, password_data(current=NEW_PASSWORD, new="Troisième-2028!"),
                      csrf_from=PASSWORD_PAGE)
    assert again.status_code == 302
    assert is_logged_in(here)
    assert login_works(app, login, "Troisième-2028!")
    assert not login_works(app, login, NEW_PASSWORD)


def test_session_opened_with_the_new_password_stays_valid(app, world):
    here = Browser(app, "collab_a")
    here.post(PASSWORD_PAGE, password_data(), csrf_from=PASSWORD_PAGE)
    later = Browser(app, "collab_a", NEW_PASSWORD)
    assert is_logged_in(later) and is_logged_in(here)


def test_password_form_changes_only_the_logged_in_user(app, world):
    user = Browser(app, "collab_a")
    owner = user_row(app, world.users["owner_a"])
    data = dict(password_data(), id=world.users["owner_a"], username="owner_a")
    response = user.post(f"{PASSWORD_PAGE}?id={world.users['owner_a']}", data,
                         csrf_from=PASSWORD_PAGE)
    assert response.status_code == 302
    assert user_row(app, world.users["owner_a"]) == owner
    assert login_works(app, "owner_a", PASSWORD)
    assert login_works(app, "collab_a", NEW_PASSWORD)


def test_password_post_without_csrf_token_is_refused(app, world):
    user = Browser(app, "collab_a")
    response = user.post(PASSWORD_PAGE, password_data())
    assert response.status_code == 400
    assert login_works(app, "collab_a", PASSWORD)


# Rate limit of the password form (its own app, with the limiter really on) --------------

@pytest.fixture
def limited_app(tmp_path):
    application = build_app(f"sqlite:///{tmp_path / 'limited.db'}", RATELIMIT_ENABLED=True)
    assert application.config["AUTH_RATE_LIMIT"] == "10 per 20 second"
    seed_world(application)
    application.appbuilder.sm.limiter.reset()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_password_form_posts_are_rate_limited_per_user(limited_app):
    user = Browser(limited_app, "collab_a")
    token = user.csrf(PASSWORD_PAGE)
    wrong = dict(password_data(current="Pas-le-bon-2026!"), csrf_token=token)
    statuses = [user.post(PASSWORD_PAGE, wrong).status_code for _ in range(10)]
    assert statuses == [200] * 10
    # The 11th attempt is refused, even with the right current password.
    eleventh = user.post(PASSWORD_PAGE, dict(password_data(), csrf_token=token))
    assert eleventh.status_code == 429
    assert "Trop de tentatives" in eleventh.text
    assert login_works(limited_app, "collab_a", PASSWORD)
    # GETs and the profile form are not counted; another user has their own count.
    assert user.get(PASSWORD_PAGE).status_code == 200
    assert user.post(PROFILE, dict(profile_data(), csrf_token=token)).status_code == 302
    other = Browser(limited_app, "owner_a")
    assert other.post(PASSWORD_PAGE, password_data(), csrf_from=PASSWORD_PAGE).status_code == 302


def test_fabs_own_reset_password_screen_also_ends_other_sessions(app, world):
    other = Browser(app, "collab_a")
    browser = Browser(app, "collab_a")
    new_password = "Nouveau-Mot2passe!"
    response = browser.post("/resetmypassword/form", data={
        "password": new_password, "conf_password": new_password},
        csrf_from="/resetmypassword/form")
    assert response.status_code == 302
    assert is_logged_in(browser)
    assert not is_logged_in(other)
