"""« Réglages du cabinet > Profil du cabinet » and the logos it serves (issue 7).

The profile screen edits the logged-in user's own cabinet, always: the URL
carries no id, and only Propriétaire and Administrateur hold its permission
(roles.CABINET_SETTINGS). A user without a cabinet (the platform Admin) gets 404.

Saving is all or nothing: the form, both logos included, is checked in full
before anything is copied to the cabinet, so a refused field or image leaves the
database as it was. Uploaded images are never stored as sent (app.cabinets.logos).

The logos are served by CabinetLogoView: the firm's staff fetch their own
cabinet's logos, a client user the client-facing logo of its firm, nobody
anything else. The same view gives every template `cabinet_logo_url` (the logo
the navigation bar shows) through a context processor registered with its
blueprint, so nothing else needs wiring.
"""
import datetime as dt
import hashlib
from typing import NamedTuple, Optional

from flask import Response, abort, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional as OptionalField
from wtforms.validators import ValidationError

from app.cabinets.logos import (
    ACCEPTED_FORMATS, MAX_FILE_BYTES, MAX_FILE_LABEL, MAX_HEIGHT, MAX_WIDTH, SERVABLE_MIMETYPES,
    LogoRefused, prepare_logo,
)
from app.extensions import db
from app.models import Cabinet, Client
from app.models.mixins import utcnow
from app.validators import RuleError, clean_siren, clean_siret
from app.views.account import ProfileForm, strip

LOGO_KINDS = ("interface", "client")
# Logo URLs carry a version (`v`): a changed logo gets a new URL, so browsers may
# keep one for a day without asking again.
LOGO_MAX_AGE = 24 * 60 * 60
LOGO_ACCEPT = ",".join(f"image/{name.lower()}" for name in ACCEPTED_FORMATS)


def own_cabinet_or_404():
    """The logged-in staff user's cabinet; anyone else (platform Admin, client
    user) has none to act on."""
    cabinet_id = getattr(current_user, "cabinet_id", None)
    cabinet = db.session.get(Cabinet, cabinet_id) if cabinet_id else None
    if cabinet is None:
        abort(404)
    return cabinet


def has_logo(cabinet, kind):
    # The type column is loaded with the row, the image itself is deferred.
    return getattr(cabinet, f"{kind}_logo_type") is not None


def set_logo(cabinet, kind, logo):
    """Store `logo` (app.cabinets.logos.Logo) as the cabinet's `kind` logo, or
    remove that logo when `logo` is None."""
    setattr(cabinet, f"{kind}_logo", logo.data if logo else None)
    setattr(cabinet, f"{kind}_logo_type", logo.mimetype if logo else None)


def logo_version(cabinet_id, updated_at):
    """An opaque token that changes with the logos, and differs between cabinets
    (two cabinets never share a cached image), without telling the cabinet's id."""
    stamp = updated_at.isoformat() if updated_at else "-"
    return hashlib.sha256(f"{cabinet_id}:{stamp}".encode()).hexdigest()[:16]


def logo_url(kind, cabinet_id, updated_at):
    return url_for("CabinetLogoView.show", kind=kind, v=logo_version(cabinet_id, updated_at))


def logo_rules():
    """What an upload must be, said under each logo field."""
    return gettext("PNG, JPEG ou WebP, %(size)s et %(width)d × %(height)d pixels au plus ; "
                   "l'image est réduite pour l'affichage et enregistrée sans ses métadonnées.",
                   size=MAX_FILE_LABEL, width=MAX_WIDTH, height=MAX_HEIGHT)


# The form ------------------------------------------------------------------------------

class CabinetProfileForm(FlaskForm):
    """Name, identifiers, contact details and the two logos of the cabinet. The
    upload fields are not named after the cabinet's columns, so that filling the
    form from the cabinet never loads the images."""

    name = StringField(
        _l("Nom du cabinet"), filters=[strip],
        validators=[DataRequired(message=_l("Le nom du cabinet est obligatoire.")),
                    Length(max=200, message=_l("200 caractères au plus."))])
    siren = StringField(
        _l("SIREN"), filters=[strip],
        description=_l("Facultatif : 9 chiffres, espaces permis."))
    siret = StringField(
        _l("SIRET"), filters=[strip],
        description=_l("Facultatif : 14 chiffres, le SIREN suivi du numéro de "
                       "l'établissement (NIC)."))
    address = TextAreaField(
        _l("Adresse"), filters=[strip],
        validators=[Length(max=1000, message=_l("1000 caractères au plus."))],
        render_kw={"rows": 3, "autocomplete": "street-address"})
    email = EmailField(
        _l("Adresse e-mail"), filters=[strip],
        validators=[OptionalField(), Length(max=320, message=_l("320 caractères au plus.")),
                    Email(message=_l("Adresse e-mail invalide."))],
        description=_l("Facultatif : l'adresse de contact du cabinet."),
        render_kw={"autocomplete": "email"})
    phone = StringField(
        _l("Téléphone"), filters=[strip],
        validators=[OptionalField(), Length(max=30, message=_l("30 caractères au plus."))],
        description=_l("Facultatif : par exemple 01 23 45 67 89 ou +33 1 23 45 67 89."),
        render_kw={"autocomplete": "tel"})
    interface_logo_file = FileField(
        _l("Logo de l'interface"),
        description=_l("Facultatif : montré à vos collaborateurs dans la barre de navigation."),
        render_kw={"accept": LOGO_ACCEPT})
    remove_interface_logo = BooleanField(_l("Retirer ce logo"))
    client_logo_file = FileField(
        _l("Logo de l'espace client"),
        description=_l("Facultatif : montré à vos clients dans leur espace de facturation."),
        render_kw={"accept": LOGO_ACCEPT})
    remove_client_logo = BooleanField(_l("Retirer ce logo"))

    # The same rule as a user's own phone number (« Votre compte »).
    validate_phone = ProfileForm.validate_phone

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Re-encoded logos by kind, filled while validating: the upload is read once.
        self.new_logos = {}

    def validate_siren(self, field):
        field.data = _cleaned(clean_siren, field.data)

    def validate_siret(self, field):
        field.data = _cleaned(clean_siret, field.data)
        siren = self.siren.data
        if field.data and siren and not self.siren.errors and not field.data.startswith(siren):
            raise ValidationError(gettext(
                "Ce SIRET ne correspond pas au SIREN : il doit commencer par %(siren)s.",
                siren=siren))

    def validate_interface_logo_file(self, field):
        self._prepare_logo("interface", field)

    def validate_client_logo_file(self, field):
        self._prepare_logo("client", field)

    def _prepare_logo(self, kind, field):
        upload = field.data
        if not upload:
            return
        if self[f"remove_{kind}_logo"].data:
            raise ValidationError(gettext(
                "Choisissez un nouveau logo ou cochez « Retirer ce logo », pas les deux."))
        # One byte past the limit is enough to know the file is too large.
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        try:
            self.new_logos[kind] = prepare_logo(data, upload.filename or "", gettext)
        except LogoRefused as refusal:
            raise ValidationError(refusal.message) from None

    def apply_to(self, cabinet, now):
        """Copy this form's fields, and nothing else, onto `cabinet`."""
        cabinet.name = self.name.data
        cabinet.siren = self.siren.data or None
        cabinet.siret = self.siret.data or None
        cabinet.address = self.address.data or None
        cabinet.email = self.email.data or None
        cabinet.phone = self.phone.data or None
        if self._apply_logos(cabinet):
            cabinet.logos_updated_at = now

    def _apply_logos(self, cabinet):
        """True when a logo was replaced or removed."""
        changed = False
        for kind in LOGO_KINDS:
            if kind in self.new_logos:
                set_logo(cabinet, kind, self.new_logos[kind])
                changed = True
            elif self[f"remove_{kind}_logo"].data and has_logo(cabinet, kind):
                set_logo(cabinet, kind, None)
                changed = True
        return changed


def _cleaned(rule, value):
    try:
        return rule(value)
    except RuleError as error:
        raise ValidationError(str(error)) from None


# « Profil du cabinet » ---------------------------------------------------------------------

class CabinetSettingsView(BaseView):
    route_base = "/cabinet"
    default_view = "profile"
    class_permission_name = "CabinetSettingsView"

    @expose("/profil", methods=["GET", "POST"])
    @has_access
    def profile(self):
        cabinet = own_cabinet_or_404()
        form = CabinetProfileForm(obj=cabinet)
        if form.validate_on_submit():
            form.apply_to(cabinet, utcnow())
            db.session.commit()
            flash(gettext("Profil du cabinet enregistré."), "success")
            return redirect(url_for(".profile"))
        if form.is_submitted():
            # A browser never fills a file input again: say so, as the images
            # chosen with a refused form have to be chosen once more.
            flash(gettext("Rien n'a été enregistré : corrigez les champs signalés, puis "
                          "choisissez de nouveau les logos à envoyer."), "danger")
        return self.render_template(
            "passerelle/cabinet/profile.html", title=gettext("Profil du cabinet"),
            form=form, cabinet=cabinet, logos=self._current_logos(cabinet),
            logo_rules=logo_rules(), is_owner=cabinet.owner_id == current_user.id)

    @staticmethod
    def _current_logos(cabinet):
        """Preview URL of each logo the cabinet has (None for the others)."""
        return {kind: logo_url(kind, cabinet.id, cabinet.logos_updated_at)
                if has_logo(cabinet, kind) else None for kind in LOGO_KINDS}


# Serving the logos -------------------------------------------------------------------------

class LogoRow(NamedTuple):
    cabinet_id: int
    cabinet_name: str
    mimetype: Optional[str]
    updated_at: Optional[dt.datetime]


def logo_statement(user, kind, *columns):
    """SELECT `columns` of the one cabinet whose `kind` logo `user` may see, or
    None: staff see their own cabinet's two logos, a client user the client
    logo of the cabinet its dossier belongs to, anyone else nothing."""
    if getattr(user, "cabinet_id", None):
        return select(*columns).where(Cabinet.id == user.cabinet_id)
    if getattr(user, "client_id", None) and kind == "client":
        return (select(*columns).join(Client, Client.cabinet_id == Cabinet.id)
                .where(Client.id == user.client_id))
    return None


def visible_logo(user, kind) -> Optional[LogoRow]:
    """Who owns the logo, its type and version, without the image itself."""
    statement = logo_statement(user, kind, Cabinet.id, Cabinet.name,
                               getattr(Cabinet, f"{kind}_logo_type"), Cabinet.logos_updated_at)
    row = db.session.execute(statement).first() if statement is not None else None
    return LogoRow(*row) if row is not None else None


def user_kind(user):
    """The logo the navigation bar shows to `user`: the interface one to staff,
    the client one to client users, none to anyone else."""
    if getattr(user, "cabinet_id", None):
        return "interface"
    if getattr(user, "client_id", None):
        return "client"
    return None


def cabinet_logo_context():
    """`cabinet_logo_url` and `cabinet_logo_alt` for every template. No query for
    anonymous users or users without a cabinet, one small one (no image) for the
    others, once per request."""
    if not has_request_context():
        return {"cabinet_logo_url": None, "cabinet_logo_alt": None}
    if "cabinet_logo" not in g:
        g.cabinet_logo = _navbar_logo()
    return g.cabinet_logo


def _navbar_logo():
    none = {"cabinet_logo_url": None, "cabinet_logo_alt": None}
    if not current_user or not current_user.is_authenticated:
        return none
    kind = user_kind(current_user)
    row = visible_logo(current_user, kind) if kind else None
    if row is None or row.mimetype is None:
        return none
    return {"cabinet_logo_url": logo_url(kind, row.cabinet_id, row.updated_at),
            "cabinet_logo_alt": row.cabinet_name}


class CabinetLogoView(BaseView):
    route_base = "/logo"
    class_permission_name = "CabinetLogoView"
    method_permission_name = {"show": "show"}

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        """The navigation bar's logo URL comes with the view that serves it."""
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        blueprint.app_context_processor(cabinet_logo_context)
        return blueprint

    @expose("/<kind>")
    @has_access
    def show(self, kind):
        if kind not in LOGO_KINDS:
            abort(404)
        row = visible_logo(current_user, kind)
        if row is None or row.mimetype not in SERVABLE_MIMETYPES:
            abort(404)
        etag = f"{kind}-{logo_version(row.cabinet_id, row.updated_at)}"
        if request.if_none_match.contains_weak(etag):
            response = Response(status=304)
        else:
            response = Response(self._image(row.cabinet_id, kind), mimetype=row.mimetype)
        return self._with_cache_headers(response, etag)

    @staticmethod
    def _image(cabinet_id, kind):
        """The image alone, read only when it is sent (the column is deferred)."""
        column = getattr(Cabinet, f"{kind}_logo")
        data = db.session.scalar(select(column).where(Cabinet.id == cabinet_id))
        if data is None:  # removed between the two reads
            abort(404)
        return data

    @staticmethod
    def _with_cache_headers(response, etag):
        response.set_etag(etag)
        response.cache_control.private = True
        response.cache_control.max_age = LOGO_MAX_AGE
        # The same URL answers each user with their own cabinet's logo.
        response.vary.add("Cookie")
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Opened on its own, the image runs nothing and loads nothing.
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
