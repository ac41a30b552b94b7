"""« Réglages du cabinet > Profil du cabinet » and the cabinet's two logos (issue 7).

Propriétaire and Administrateur edit their own cabinet (no id in the URL); saving
is all or nothing; uploaded logos are checked and re-encoded (app.cabinets.logos)
and served only to the cabinet's staff (both logos) and to its clients' users (the
client logo).
"""
import ast
import html
import io
import os
import re
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import event
from stdnum.fr import siret as stdnum_siret

from app.cabinets import logos
from app.cabinets.logos import LogoRefused, prepare_logo
from app.extensions import db
from app.models import Cabinet
from conftest import Browser, csrf_token_from

PROFILE = "/cabinet/profil"
DELETE_URL = "/cabinet/suppression/"
CABINET_COLUMNS = ("name", "siren", "siret", "address", "email", "phone", "owner_id",
                   "interface_logo", "interface_logo_type", "client_logo", "client_logo_type",
                   "logos_updated_at", "deleted_at")
SIREN = "732829320"
SIRET = "73282932000074"
TOO_BIG_MESSAGE = "L'image est trop grande : 4000 × 4000 pixels au plus."
DAMAGED_MESSAGE = "Le fichier est endommagé ou n'est pas une image lisible."


# Images -----------------------------------------------------------------------------------

def encoded(image, image_format="PNG", **options):
    output = io.BytesIO()
    image.save(output, format=image_format, **options)
    return output.getvalue()


def picture(size=(300, 100), mode="RGB", color=(200, 40, 60)):
    image = Image.new(mode, size, color)
    # A second colour, so that orientation and scaling can be checked.
    image.paste((20, 90, 200) if mode == "RGB" else (20, 90, 200, 255),
                (0, 0, size[0] // 2, size[1]))
    return image


def png_with_alpha(size=(300, 100)):
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((24, 188, 156, 255), (10, 10, size[0] - 10, size[1] - 10))
    return encoded(image)


def png_with_metadata():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Secret du cabinet")
    info.add_text("Author", "Olivia Alpha")
    return encoded(picture(), pnginfo=info)


def jpeg_with_metadata(orientation=1):
    exif = Image.Exif()
    exif[0x010F] = "Appareil secret"  # Make
    exif[0x0112] = orientation
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encoded(picture(), "JPEG", exif=exif.tobytes(), icc_profile=icc, quality=95,
                   comment=b"commentaire")


def webp_with_alpha():
    image = Image.new("RGBA", (240, 80), (0, 0, 0, 0))
    image.paste((231, 76, 60, 255), (20, 20, 220, 60))
    return encoded(image, "WEBP", lossless=True)


def noise_png(size=(1000, 1000)):
    """A real PNG of more than 2 Mo: noise does not compress."""
    return encoded(Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)),
                   compress_level=1)


@cache
def bomb_png(side=20000):
    """A tiny file declaring a huge image: 1 bit per pixel, all zeros, compressed."""
    return encoded(Image.new("1", (side, side)), optimize=True)


def truncated_png():
    data = encoded(picture((400, 300)))
    return data[:len(data) // 2]


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10"/></svg>')
TEXT_AS_PNG = b"Ceci n'est pas une image, seulement du texte.\n" * 20


def decoded(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Helpers ----------------------------------------------------------------------------------

def cabinet_row(app, cabinet_id):
    """Every column of the cabinet as stored (the logos included), outside any request."""
    with app.app_context():
        cabinet = db.session.get(Cabinet, cabinet_id)
        row = {column: getattr(cabinet, column) for column in CABINET_COLUMNS}
        db.session.remove()
    return row


def profile_data(**changes):
    data = {"name": "Cabinet Alpha Conseil", "siren": "732 829 320",
            "siret": "732 829 320 00074", "address": "12 rue de la Paix\n75002 Paris",
            "email": "contact@alpha-conseil.fr", "phone": "01 23 45 67 89"}
    data.update(changes)
    return data


def upload(data, filename):
    return (io.BytesIO(data), filename)


def save_profile(user, **fields):
    """POST the profile form (multipart when files are given)."""
    return user.post(PROFILE, profile_data(**fields), csrf_from=PROFILE)


def field_errors(page, field_id):
    """The error messages shown in the form row of `field_id` (next to the field)."""
    rows = re.findall(r'<div class="form-group[^"]*has-error">(.*?)</div>\s*</div>', page, re.DOTALL)
    for row in rows:
        if f'for="{field_id}"' in row:
            return [html.unescape(text) for text in re.findall(r'field-error">(.*?)</span>', row)]
    return []


def all_field_errors(page):
    return [html.unescape(text) for text in re.findall(r'field-error">(.*?)</span>', page)]


def logo_urls(page):
    return re.findall(r'<img src="(/logo/(?:interface|client)\?v=[0-9a-f]+)"', page)


def navbar(page):
    start = page.index('<div class="navbar-header">')
    return page[start:page.index('<div class="navbar-collapse', start)]


def valid_siret_of(siren):
    """The first valid SIRET of `siren` (a NIC whose Luhn key fits)."""
    return next(siren + f"{nic:05d}" for nic in range(10, 100000)
                if stdnum_siret.is_valid(siren + f"{nic:05d}"))


@pytest.fixture
def owner(app, world):
    return Browser(app, "owner_a")


def upload_logos(user, interface=None, client=None, **fields):
    data = {}
    if interface is not None:
        data["interface_logo_file"] = upload(interface, "interface.png")
    if client is not None:
        data["client_logo_file"] = upload(client, "client.png")
    response = save_profile(user, **data, **fields)
    assert response.status_code == 302, all_field_errors(response.text)
    return response


class StatementLog:
    """The SQL statements run while the block runs."""

    def __init__(self, app):
        self.app, self.statements = app, []

    def _record(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def reading(self, pattern):
        return [s for s in self.statements if re.search(pattern, s, re.IGNORECASE)]


BLOB_COLUMN = r"cabinet\.(interface|client)_logo\b(?!_)"


# Who may edit -------------------------------------------------------------------------------

@pytest.mark.parametrize("login", ["owner_a", "admin_a"])
def test_owner_and_administrator_edit_their_cabinet(app, world, login):
    user = Browser(app, login)
    page = user.get(PROFILE)
    assert page.status_code == 200
    assert 'value="Cabinet Alpha"' in page.text
    assert "Logo de l'interface" in page.text and "Logo de l'espace client" in page.text
    assert 'enctype="multipart/form-data"' in page.text

    response = save_profile(user)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PROFILE)
    assert "Profil du cabinet enregistré." in user.get(PROFILE).text
    row = cabinet_row(app, world.cabinet_a)
    assert row["name"] == "Cabinet Alpha Conseil"
    assert (row["siren"], row["siret"]) == (SIREN, SIRET)  # stored compact
    assert row["address"] == "12 rue de la Paix\n75002 Paris"
    assert (row["email"], row["phone"]) == ("contact@alpha-conseil.fr", "01 23 45 67 89")
    assert row["logos_updated_at"] is None  # no logo sent: the logos did not change


@pytest.mark.parametrize("login", ["collab_a", "restricted_a", "client_a1"])
def test_other_roles_are_refused_by_the_server(app, world, login):
    user = Browser(app, login)
    before = cabinet_row(app, world.cabinet_a)
    assert user.get(PROFILE).status_code == 403
    response = user.post(PROFILE, profile_data(interface_logo_file=upload(png_with_alpha(),
                                                                          "logo.png")),
                         csrf_from="/compte/profil")
    assert response.status_code == 403
    assert cabinet_row(app, world.cabinet_a) == before
    assert "Profil du cabinet" not in user.get("/compte/profil").text  # nor in the menu


def test_platform_admin_has_no_cabinet_to_edit(app, world):
    user = Browser(app, "admin")
    before = {cabinet: cabinet_row(app, cabinet) for cabinet in (world.cabinet_a, world.cabinet_b)}
    assert user.get(PROFILE).status_code in (403, 404)
    response = user.post(PROFILE, profile_data(), csrf_from="/compte/profil")
    assert response.status_code in (403, 404)
    assert {cabinet: cabinet_row(app, cabinet) for cabinet in before} == before


def test_anonymous_is_sent_to_the_login_page(app, world):
    client = app.test_client()
    response = client.get(PROFILE)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    token = csrf_token_from(client.get("/login/").text)
    before = cabinet_row(app, world.cabinet_a)
    response = client.post(PROFILE, data={**profile_data(), "csrf_token": token})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert cabinet_row(app, world.cabinet_a) == before


def test_post_without_csrf_token_is_refused(app, world, owner):
    before = cabinet_row(app, world.cabinet_a)
    assert owner.post(PROFILE, profile_data()).status_code == 400
    assert cabinet_row(app, world.cabinet_a) == before


def test_menu_entry_for_owner_and_administrator_only(app, world):
    for login, shown in [("owner_a", True), ("admin_a", True), ("collab_a", False)]:
        page = Browser(app, login).get("/compte/profil").text
        assert (f'href="{PROFILE}"' in page) is shown, login


def test_always_the_users_own_cabinet(app, world):
    """No id in the URL; ids slipped into the form or the query string change nothing."""
    user = Browser(app, "owner_b")
    other = cabinet_row(app, world.cabinet_a)
    response = user.post(f"{PROFILE}?id={world.cabinet_a}",
                         profile_data(id=world.cabinet_a, cabinet_id=world.cabinet_a,
                                      owner_id=world.users["owner_b"], name="Bêta renommé"),
                         csrf_from=PROFILE)
    assert response.status_code == 302
    assert cabinet_row(app, world.cabinet_a) == other
    after = cabinet_row(app, world.cabinet_b)
    assert after["name"] == "Bêta renommé" and after["owner_id"] == world.users["owner_b"]


def test_sensitive_zone_is_shown_to_the_owner_only(app, world):
    owner_page = Browser(app, "owner_a").get(PROFILE).text
    assert "Zone sensible" in owner_page
    assert re.search(rf'class="btn btn-danger" href="{DELETE_URL}"', owner_page)
    assert "Supprimer le compte du cabinet" in owner_page
    admin_page = Browser(app, "admin_a").get(PROFILE).text
    assert "Zone sensible" not in admin_page and DELETE_URL not in admin_page


# Fields ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("siren", "732829321", "Ce SIREN n'est pas valide (clé de contrôle incorrecte)."),
    ("siren", "12345", "Le SIREN doit compter 9 chiffres."),
    ("siret", "73282932000075", "Ce SIRET n'est pas valide (clé de contrôle incorrecte)."),
    ("siret", "7328293200007", "Le SIRET doit compter 14 chiffres."),
    ("siret", "ABC", "Le SIRET doit compter 14 chiffres."),
    ("name", "  ", "Le nom du cabinet est obligatoire."),
    ("email", "pas-une-adresse", "Adresse e-mail invalide."),
])
def test_invalid_field_is_refused_and_nothing_saved(app, world, owner, field, value, message):
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, **{field: value})
    assert response.status_code == 200
    assert field_errors(response.text, field) == [message]
    assert all_field_errors(response.text) == [message]
    assert "Rien n&#39;a été enregistré" in response.text
    assert cabinet_row(app, world.cabinet_a) == before


def test_siret_must_belong_to_the_siren(app, world, owner):
    before = cabinet_row(app, world.cabinet_a)
    other_siret = valid_siret_of("552100554")
    response = save_profile(owner, siret=other_siret)
    assert response.status_code == 200
    assert field_errors(response.text, "siret") == [
        "Ce SIRET ne correspond pas au SIREN : il doit commencer par 732829320."]
    assert cabinet_row(app, world.cabinet_a) == before


def test_siret_alone_and_empty_identifiers_are_accepted(app, world, owner):
    assert save_profile(owner, siren="", siret=valid_siret_of("552100554")).status_code == 302
    assert cabinet_row(app, world.cabinet_a)["siret"] == valid_siret_of("552100554")
    assert save_profile(owner, siren=" ", siret="", address="", email="", phone="").status_code == 302
    row = cabinet_row(app, world.cabinet_a)
    assert [row[key] for key in ("siren", "siret", "address", "email", "phone")] == [None] * 5


def test_phone_follows_the_same_rule_as_a_users_phone(app, world, owner):
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, phone="appelez-moi")
    errors = field_errors(response.text, "phone")
    assert len(errors) == 1 and errors[0].startswith("Numéro de téléphone invalide")
    assert cabinet_row(app, world.cabinet_a) == before


# Logos accepted -------------------------------------------------------------------------------

def test_png_with_transparency_is_kept_transparent(app, world, owner):
    upload_logos(owner, interface=png_with_alpha())
    row = cabinet_row(app, world.cabinet_a)
    assert row["interface_logo_type"] == "image/png" and row["logos_updated_at"] is not None
    image = decoded(row["interface_logo"])
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (300, 100))
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((150, 50))[3] == 255
    assert row["client_logo"] is None and row["client_logo_type"] is None


def test_jpeg_is_reencoded_upright_without_metadata(app, world, owner):
    original = jpeg_with_metadata(orientation=6)  # « turn 90° clockwise to view »
    upload_logos(owner, client=original)
    stored = cabinet_row(app, world.cabinet_a)["client_logo"]
    assert stored != original and b"Appareil secret" not in stored
    served = owner.get(logo_urls(owner.get(PROFILE).text)[0])
    assert served.data == stored
    image = decoded(served.data)
    assert image.format == "PNG" and image.size == (67, 200)  # turned upright, 100 × 300 shrunk
    assert not image.getexif() and not set(image.info) & {"exif", "icc_profile", "comment"}


def test_png_text_chunks_are_dropped(app, world, owner):
    upload_logos(owner, interface=png_with_metadata())
    stored = cabinet_row(app, world.cabinet_a)["interface_logo"]
    assert b"Secret du cabinet" not in stored and b"Olivia" not in stored
    assert not set(decoded(stored).info) & {"Comment", "Author"}


def test_webp_is_accepted_and_served_as_png(app, world, owner):
    upload_logos(owner, interface=webp_with_alpha(), client=webp_with_alpha())
    for kind in ("interface", "client"):
        response = owner.get(f"/logo/{kind}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        image = decoded(response.data)
        assert (image.mode, image.size) == ("RGBA", (240, 80))


def test_big_image_is_downscaled_keeping_its_proportions(app, world, owner):
    upload_logos(owner, interface=encoded(picture((2400, 800))),
                 client=encoded(picture((1000, 3000)), "JPEG"))
    row = cabinet_row(app, world.cabinet_a)
    assert decoded(row["interface_logo"]).size == (600, 200)
    assert decoded(row["client_logo"]).size == (67, 200)


def test_a_logo_is_removed_with_its_checkbox(app, world, owner):
    upload_logos(owner, interface=png_with_alpha(), client=png_with_alpha())
    first = cabinet_row(app, world.cabinet_a)["logos_updated_at"]
    old_url = logo_urls(owner.get(PROFILE).text)[0]
    response = save_profile(owner, remove_interface_logo="y")
    assert response.status_code == 302
    row = cabinet_row(app, world.cabinet_a)
    assert row["interface_logo"] is None and row["interface_logo_type"] is None
    assert row["client_logo"] is not None and row["logos_updated_at"] > first
    assert owner.get("/logo/interface").status_code == 404
    assert old_url not in owner.get(PROFILE).text  # the client logo has a new version


def test_new_logo_and_remove_together_are_refused(app, world, owner):
    upload_logos(owner, interface=png_with_alpha())
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, remove_interface_logo="y",
                            interface_logo_file=upload(webp_with_alpha(), "nouveau.webp"))
    assert field_errors(response.text, "interface_logo_file") == [
        "Choisissez un nouveau logo ou cochez « Retirer ce logo », pas les deux."]
    assert cabinet_row(app, world.cabinet_a) == before


def test_profile_shows_the_current_logos_without_loading_them(app, world, owner):
    page = owner.get(PROFILE).text
    assert "Aucun logo pour l'instant." in page and not logo_urls(page)
    upload_logos(owner, interface=png_with_alpha(), client=webp_with_alpha())
    with StatementLog(app) as log:
        page = owner.get(PROFILE).text
    assert not log.reading(BLOB_COLUMN)
    urls = logo_urls(page)
    # Both previews, and the interface logo once more in the navigation bar.
    assert {url.split("?")[0] for url in urls} == {"/logo/interface", "/logo/client"}
    assert "Retirer ce logo" in page


# Logos refused --------------------------------------------------------------------------------

@pytest.mark.parametrize("data, filename, message", [
    (TEXT_AS_PNG, "logo.png", "Le fichier « logo.png » n'est pas une image PNG, JPEG ou WebP."),
    (SVG, "logo.svg", "Le fichier « logo.svg » n'est pas une image PNG, JPEG ou WebP."),
    (encoded(picture(), "GIF"), "logo.png",
     "Le fichier « logo.png » n'est pas une image PNG, JPEG ou WebP."),
    (b"", "vide.png", "Le fichier « vide.png » n'est pas une image PNG, JPEG ou WebP."),
    (truncated_png(), "coupé.png", DAMAGED_MESSAGE),
    (encoded(picture((5000, 300))), "large.png",
     "L'image est trop grande : 5000 × 300 pixels, 4000 × 4000 au plus."),
])
def test_refused_logo_saves_nothing(app, world, owner, data, filename, message):
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, client_logo_file=upload(data, filename))
    assert response.status_code == 200
    assert field_errors(response.text, "client_logo_file") == [message]
    assert all_field_errors(response.text) == [message]
    assert cabinet_row(app, world.cabinet_a) == before


def test_file_over_the_size_limit_is_refused(app, world, owner):
    data = noise_png()
    assert len(data) > logos.MAX_FILE_BYTES
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, interface_logo_file=upload(data, "lourd.png"))
    assert field_errors(response.text, "interface_logo_file") == ["L'image dépasse 2 Mo."]
    assert cabinet_row(app, world.cabinet_a) == before


def test_decompression_bomb_is_refused_before_decoding(app, world, owner):
    data = bomb_png()
    assert len(data) < 100_000  # a small file, 400 million pixels
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, interface_logo_file=upload(data, "bombe.png"))
    assert field_errors(response.text, "interface_logo_file") == [TOO_BIG_MESSAGE]
    assert cabinet_row(app, world.cabinet_a) == before
    assert Image.MAX_IMAGE_PIXELS == 89478485  # Pillow's global limit is left alone


def test_one_refused_logo_refuses_the_whole_form(app, world, owner):
    """A valid logo and valid fields next to a refused logo: nothing at all is saved."""
    upload_logos(owner, interface=png_with_alpha())
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, name="Nouveau nom",
                            interface_logo_file=upload(webp_with_alpha(), "bon.webp"),
                            client_logo_file=upload(SVG, "mauvais.svg"))
    assert response.status_code == 200
    assert all_field_errors(response.text) == [
        "Le fichier « mauvais.svg » n'est pas une image PNG, JPEG ou WebP."]
    assert cabinet_row(app, world.cabinet_a) == before


def test_a_refused_field_refuses_the_logos_too(app, world, owner):
    before = cabinet_row(app, world.cabinet_a)
    response = save_profile(owner, siret="73282932000075",
                            interface_logo_file=upload(png_with_alpha(), "bon.png"))
    assert response.status_code == 200
    assert len(field_errors(response.text, "siret")) == 1
    assert cabinet_row(app, world.cabinet_a) == before


# Serving the logos ----------------------------------------------------------------------------

@pytest.fixture
def alpha_logos(app, world, owner):
    upload_logos(owner, interface=png_with_alpha(), client=encoded(picture((200, 80))))
    row = cabinet_row(app, world.cabinet_a)
    return {"interface": row["interface_logo"], "client": row["client_logo"]}


@pytest.mark.parametrize("login", ["owner_a", "admin_a", "collab_a", "restricted_a"])
def test_staff_fetch_their_cabinets_two_logos(app, world, alpha_logos, login):
    user = Browser(app, login)
    for kind, data in alpha_logos.items():
        response = user.get(f"/logo/{kind}")
        assert response.status_code == 200, kind
        assert response.data == data and response.mimetype == "image/png"


def test_staff_of_another_cabinet_only_ever_get_their_own(app, world, alpha_logos):
    user = Browser(app, "collab_b")
    for kind in ("interface", "client"):
        assert user.get(f"/logo/{kind}").status_code == 404  # B has no logo yet
    upload_logos(Browser(app, "owner_b"), interface=webp_with_alpha())
    response = user.get("/logo/interface")
    assert response.status_code == 200
    assert response.data == cabinet_row(app, world.cabinet_b)["interface_logo"]
    assert response.data not in alpha_logos.values()
    assert user.get("/logo/client").status_code == 404


def test_client_user_gets_its_cabinets_client_logo_only(app, world, alpha_logos):
    user = Browser(app, "client_a1")
    response = user.get("/logo/client")
    assert response.status_code == 200 and response.data == alpha_logos["client"]
    assert user.get("/logo/interface").status_code == 404


@pytest.mark.parametrize("path", ["/logo/interface", "/logo/client", "/logo/autre"])
def test_platform_admin_and_unknown_kinds_get_404(app, world, alpha_logos, path):
    assert Browser(app, "admin").get(path).status_code == 404
    assert Browser(app, "owner_a").get("/logo/autre").status_code == 404


def test_anonymous_cannot_fetch_a_logo(app, world, alpha_logos):
    response = app.test_client().get("/logo/client")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_logo_response_headers_and_conditional_get(app, world, alpha_logos, owner):
    response = owner.get("/logo/interface")
    etag = response.headers["ETag"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "max-age=86400" in cache
    assert "Cookie" in response.headers["Vary"]

    with StatementLog(app) as log:
        again = owner.get("/logo/interface", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert not log.reading(BLOB_COLUMN)  # the image is not even read
    # The client logo has its own tag; a changed logo, a new one.
    assert owner.get("/logo/client", headers={"If-None-Match": etag}).status_code == 200
    upload_logos(owner, interface=webp_with_alpha())
    changed = owner.get("/logo/interface", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


# The navigation bar ---------------------------------------------------------------------------

def test_navbar_shows_the_interface_logo_to_staff(app, world, owner):
    assert "<img" not in navbar(owner.get("/compte/profil").text)
    upload_logos(owner, interface=png_with_alpha(), client=webp_with_alpha())
    for login in ("owner_a", "collab_a", "restricted_a"):
        bar = navbar(Browser(app, login).get("/compte/profil").text)
        match = re.search(r'<img src="(/logo/interface\?v=[0-9a-f]+)" alt="Cabinet Alpha Conseil">',
                          bar)
        assert match, login
        assert Browser(app, login).get(match.group(1)).status_code == 200
    # Cabinet Bêta has no logo: its staff see the application's name.
    bar = navbar(Browser(app, "collab_b").get("/compte/profil").text)
    assert "<img" not in bar and app.config["APP_NAME"] in bar


def test_navbar_shows_the_client_logo_to_client_users(app, world, owner):
    client_user = Browser(app, "client_a1")
    upload_logos(owner, interface=png_with_alpha())
    assert "<img" not in navbar(client_user.get("/compte/profil").text)  # no client logo yet
    upload_logos(owner, client=webp_with_alpha())
    bar = navbar(client_user.get("/compte/profil").text)
    assert re.search(r'<img src="/logo/client\?v=[0-9a-f]+" alt="Cabinet Alpha Conseil">', bar)
    assert "/logo/interface" not in bar


def test_navbar_logo_costs_one_small_query_and_none_when_anonymous(app, world, owner):
    upload_logos(owner, interface=png_with_alpha())
    with StatementLog(app) as log:
        app.test_client().get("/login/")
    assert not log.reading(r"\bcabinet\b")
    with StatementLog(app) as log:
        owner.get("/compte/profil")
    assert len(log.reading(r"logos_updated_at")) == 1
    assert not log.reading(BLOB_COLUMN)


# app.cabinets.logos on its own ----------------------------------------------------------------

def test_logos_module_imports_no_flask():
    tree = ast.parse(Path(logos.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name and name.split(".")[0] in {"flask", "app"}}


@pytest.mark.parametrize("mode, expected", [
    ("1", "RGB"), ("L", "RGB"), ("LA", "RGBA"), ("P", "RGB"), ("RGB", "RGB"), ("RGBA", "RGBA"),
])
def test_every_png_mode_becomes_rgb_or_rgba(mode, expected):
    logo = prepare_logo(encoded(Image.new(mode, (40, 20))), "x.png")
    assert logo.mimetype == "image/png" and decoded(logo.data).mode == expected
    assert (logo.width, logo.height) == (40, 20)


def test_palette_transparency_is_kept():
    image = Image.new("P", (20, 10), 0)
    logo = prepare_logo(encoded(image, transparency=0))
    assert decoded(logo.data).getpixel((0, 0))[3] == 0


def test_cmyk_jpeg_and_sixteen_bit_grey_keep_their_colours():
    cmyk = prepare_logo(encoded(Image.new("CMYK", (10, 10), (0, 255, 255, 0)), "JPEG"))
    red, green, blue = decoded(cmyk.data).getpixel((5, 5))
    assert red > 200 and green < 60 and blue < 60
    grey = prepare_logo(encoded(Image.new("I;16", (10, 10), 32768)))
    assert decoded(grey.data).getpixel((5, 5)) == (128, 128, 128)


def test_small_image_is_never_enlarged():
    logo = prepare_logo(encoded(picture((60, 20))))
    assert (logo.width, logo.height) == (60, 20)


@pytest.mark.parametrize("size", [(4000, 4000), (4000, 1), (1, 4000)])
def test_largest_accepted_dimensions(size):
    logo = prepare_logo(encoded(Image.new("1", size)))
    assert logo.width <= 600 and logo.height <= 200


@pytest.mark.parametrize("size", [(4001, 10), (10, 4001)])
def test_one_pixel_too_many_is_refused(size):
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(encoded(Image.new("1", size)))
    assert refusal.value.message == (
        f"L'image est trop grande : {size[0]} × {size[1]} pixels, 4000 × 4000 au plus.")


def test_pillow_bomb_warning_is_refused_with_the_dimensions():
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(LogoRefused) as refusal:
        prepare_logo(bomb_png(10000))
    assert refusal.value.message == (
        "L'image est trop grande : 10000 × 10000 pixels, 4000 × 4000 au plus.")


def test_pillow_bomb_error_is_refused():
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(bomb_png())
    assert refusal.value.message == TOO_BIG_MESSAGE
    assert Image.MAX_IMAGE_PIXELS == 89478485


def test_size_limit_is_checked_first_and_exactly():
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(b"\0" * (logos.MAX_FILE_BYTES + 1), "x.png")
    assert refusal.value.message == "L'image dépasse 2 Mo."
    with pytest.raises(LogoRefused) as refusal:  # at the limit: judged on its content
        prepare_logo(b"\0" * logos.MAX_FILE_BYTES, "x.png")
    assert "n'est pas une image" in refusal.value.message


@pytest.mark.parametrize("cut", [60, 200, -13])
def test_damaged_png_is_refused(cut):
    data = encoded(picture((300, 300)))
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(data[:cut])
    assert refusal.value.message == DAMAGED_MESSAGE


def test_corrupt_checksum_is_refused():
    data = bytearray(encoded(picture((50, 50))))
    data[data.index(b"IDAT") + 10] ^= 0xFF  # the image data's CRC no longer matches
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(bytes(data))
    assert refusal.value.message == DAMAGED_MESSAGE


def test_message_shows_the_file_name_only_and_goes_through_gettext():
    calls = []

    def gettext(message, **params):
        calls.append(message)
        return "TRADUIT " + message % params

    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(SVG, "C:\\Users\\olivia\\Documents\\logo.svg", gettext)
    assert refusal.value.message == (
        "TRADUIT Le fichier « logo.svg » n'est pas une image PNG, JPEG ou WebP.")
    assert calls == ["Le fichier « %(name)s » n'est pas une image PNG, JPEG ou WebP."]
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(SVG, "x" * 200 + ".svg")
    assert "…" in refusal.value.message and len(refusal.value.message) < 150


def test_reencoding_is_deterministic_and_strips_metadata():
    first = prepare_logo(jpeg_with_metadata())
    assert first == prepare_logo(jpeg_with_metadata())
    image = decoded(first.data)
    assert image.format == "PNG" and not image.getexif()
    assert not set(image.info) & {"exif", "icc_profile", "comment", "dpi"}
