"""The client's invoicing space (« espace de facturation »): its base and its
simple screens (home, company details, customers, categories, articles,
charges, the firm's access record).

Every space screen derives from SpaceModelView or SpaceView, whose blueprint
checks, before any route runs, the space of the request
(app.security.space.resolve_space) and its mode: in read-only mode only the
routes listed in `read_methods` answer, with GET; every other route of the
view — FAB's own and ours, present and future — is refused with a French
message and changes nothing (default deny: a new route is read-only-safe by
construction). Lists are narrowed to the space's client on top of the tenant
rules, new rows are given to it, and related rows must belong to it.
"""
import datetime as dt
from decimal import Decimal
import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DecimalField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from app.extensions import db
from app.invoicing.reporting import space_figures
from app.formatting import format_date, format_datetime, format_money
from app.models import (
    AccountAccess, AccountingPlan, Article, ArticleCategory, Charge, Contact, Invoice, PlanAccount,
    PlanVatRate,
)
from app.plans import rules
from app.models.invoicing import (
    ACCESS_MODE_LABELS, CHARGE_KIND_LABELS, NATURE_LABELS,
)
from app.models.mixins import ClientOwned
from app.security.space import SpaceMode, enter_space, leave_space, resolve_space
from app.security.tenancy import NOTHING, ScopeKind, current_scope
from app.validators import clean_siren, clean_vat_number, form_validator
from app.views.base import ForeignReference, TenantModelView

VAT_RATES = ("20", "10", "5.5", "2.1", "8.5", "1.05", "0")
MAX_EXPORT_ROWS = 100_000


def vat_rate_choices():
    return [(rate, f"{rate.replace('.', ',')} %") for rate in VAT_RATES]


def plan_vat_rate_choices():
    """The VAT rates of the space client's plan (all French rates while it has none).
    Called each time a form is built, so a rate added to the plan is offered at once."""
    space = current_space()
    plan_id = None
    if space is not None:
        plan_id = db.session.scalar(select(AccountingPlan.id).where(
            AccountingPlan.client_id == space.client_id))
    if plan_id is None:
        return vat_rate_choices()
    rates = db.session.scalars(select(PlanVatRate.rate).where(
        PlanVatRate.plan_id == plan_id).order_by(PlanVatRate.rate.desc()))
    values = [format(Decimal(str(rate)).quantize(Decimal("0.01")).normalize(), "f")
              for rate in rates]
    return [(value, f"{value.replace('.', ',')} %") for value in values]


def current_space():
    return resolve_space(db.session)


def space_client_id():
    """For FAB's FilterEqualFunction: the space's client, or an id matching nothing."""
    space = current_space()
    return space.client_id if space is not None else -1


def read_only_refusal():
    abort(403, description=gettext(
        "Lecture seule : le client n'a pas accordé au cabinet les droits d'administrateur "
        "sur son espace. Aucune modification n'a été faite."))


class SpaceGuarded:
    """The check every space route passes first (see the module's docstring)."""

    # Routes a read-only visitor may open (GET only).
    read_methods = frozenset({"list", "show", "export_xlsx"})
    # Routes a read-only visitor may also POST to: they change nothing of the
    # client's (leaving the space).
    read_only_posts = frozenset()
    # Routes only the client user may use, whatever rights the firm has.
    owner_methods = frozenset()

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint,
                                             static_folder=static_folder)
        blueprint.before_request(self._guard_space)
        return blueprint

    def _guard_space(self):
        if not current_user.is_authenticated:
            return None  # has_access sends them to the login page
        space = current_space()
        if space is None:
            scope = current_scope() or NOTHING
            if scope.kind in (ScopeKind.CABINET, ScopeKind.RESTRICTED, ScopeKind.PLATFORM):
                flash(gettext("Ouvrez d'abord le compte d'un client : « Accéder au compte » "
                              "dans la liste des clients ou sur sa fiche."), "info")
                return redirect(url_for("ClientView.list"))
            abort(404)
        method = (request.endpoint or "").rpartition(".")[2]
        if method in self.owner_methods and space.mode is not SpaceMode.OWNER:
            abort(403, description=gettext("Seul le client peut faire ce réglage."))
        if not space.can_write and method not in self.read_only_posts and (
                method not in self.read_methods or request.method not in ("GET", "HEAD")):
            read_only_refusal()
        g.space = space
        return None


class SpaceView(SpaceGuarded, BaseView):
    """A space screen that is not a model list."""


class SpaceModelView(SpaceGuarded, TenantModelView):
    """A list of the space client's rows, with FAB's CRUD, search and an XLSX export."""

    list_template = "passerelle/space/list.html"
    page_size = 25
    # FAB's permission names for our extra routes.
    method_permission_name = {"export_xlsx": "list"}
    export_columns = None
    export_title = _l("Export")

    def __init__(self, **kwargs):
        space_rule = [["client_id", FilterEqualFunction, space_client_id]]
        self.base_filters = space_rule + list(self.base_filters or [])
        for attribute in ("add_form_query_rel_fields", "edit_form_query_rel_fields",
                          "search_form_query_rel_fields"):
            rules = dict(getattr(self, attribute) or {})
            for column in self._client_owned_relations():
                rules[column] = space_rule + list(rules.get(column, []))
            setattr(self, attribute, rules)
        super().__init__(**kwargs)

    def _client_owned_relations(self):
        model = self.datamodel.obj
        return [rel.key for rel in model.__mapper__.relationships
                if isinstance(rel.mapper.class_, type) and issubclass(rel.mapper.class_, ClientOwned)]

    # Writes stay inside the space's client --------------------------------------
    def pre_add(self, item):
        item.client_id = current_space().client_id
        self._check_same_client(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._check_same_client(item)
        super().pre_update(item)

    def _check_same_client(self, item):
        client_id = current_space().client_id
        for relationship in item.__mapper__.relationships:
            related = getattr(item, relationship.key, None)
            for value in related if isinstance(related, (list, set, tuple)) else [related]:
                if isinstance(value, ClientOwned) and value.client_id not in (None, client_id):
                    raise ForeignReference(gettext("« %(field)s » : élément introuvable.",
                                                   field=relationship.key))

    def _add(self):
        try:
            return super()._add()
        except ForeignReference as error:
            db.session.rollback()
            flash(str(error), "danger")
            return None

    def _edit(self, pk):
        try:
            return super()._edit(pk)
        except ForeignReference as error:
            db.session.rollback()
            flash(str(error), "danger")
            return None

    # XLSX export of the current list (its filters and order) --------------------
    @expose("/export.xlsx")
    @has_access
    def export_xlsx(self):
        from app.spreadsheets import write_xlsx

        get_filter_args(self._filters)
        filters = self._filters.get_joined_filters(self._base_filters)
        order_column, order_direction = get_order_args().get(
            self.__class__.__name__, self.base_order or ("", ""))
        if order_column not in self.order_columns:
            order_column, order_direction = self.base_order or ("", "")
        _count, items = self.datamodel.query(filters, order_column, order_direction,
                                             page=0, page_size=MAX_EXPORT_ROWS)
        columns = self.export_columns or self.list_columns
        headers = [str(self.label_columns.get(column, column)) for column in columns]
        rows = [[self._export_value(item, column) for column in columns] for item in items]
        space = current_space()
        content = write_xlsx(str(self.export_title), headers, rows)
        filename = f"{self.export_filename}-{space.client_id}-{dt.date.today():%Y%m%d}.xlsx"
        return send_file(io.BytesIO(content), as_attachment=True, download_name=filename,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")

    export_filename = "export"
    export_formatters = {}

    def _export_value(self, item, column):
        if column in self.export_formatters:
            return self.export_formatters[column](item)
        value = item
        for part in column.split("."):
            value = getattr(value, part, None) if value is not None else None
        if value is None or isinstance(value, (int, float, str, dt.date)):
            return value
        if isinstance(value, Decimal):
            return value
        return str(value)


def yes_no(value):
    return gettext("oui") if value else gettext("non")


# Space home, company details and the firm's rights -----------------------------------

class FirmRightsForm(FlaskForm):
    mode = RadioField(_l("Droits du cabinet sur votre espace"), choices=[
        ("read", _l("Lecture seule : le cabinet consulte et exporte, sans rien modifier")),
        ("admin", _l("Administrateur : le cabinet peut agir comme vous dans l'espace")),
    ], validators=[DataRequired(message=_l("Choisissez un mode."))])


class CompanyForm(FlaskForm):
    """The seller's details printed on every document."""

    legal_form = StringField(_l("Forme juridique"), validators=[Optional(), Length(max=60)],
                             description=_l("Par exemple SARL, SAS, EI."))
    share_capital = StringField(_l("Capital social"), validators=[Optional(), Length(max=40)],
                                description=_l("Par exemple 10 000 €."))
    rcs_city = StringField(_l("Ville du RCS"), validators=[Optional(), Length(max=80)])
    address_line1 = StringField(_l("Adresse"), validators=[Optional(), Length(max=200)])
    address_line2 = StringField(_l("Complément d'adresse"),
                                validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Code postal"), validators=[Optional(), Length(max=20)])
    city = StringField(_l("Ville"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Téléphone"), validators=[Optional(), Length(max=30)])
    vat_number = StringField(_l("N° de TVA intracommunautaire"),
                             validators=[Optional(), form_validator(clean_vat_number)])
    vat_exempt = BooleanField(_l("TVA non applicable (franchise en base, art. 293 B du CGI)"))
    payment_terms_days = IntegerField(
        _l("Délai de paiement (jours)"), default=30,
        validators=[DataRequired(message=_l("Indiquez un délai en jours.")),
                    NumberRange(min=0, max=60, message=_l(
                        "Le délai de paiement est de 0 à 60 jours (Code de commerce, "
                        "art. L441-10)."))])


class SpaceHomeView(SpaceView):
    route_base = "/espace"
    default_view = "index"
    class_permission_name = "SpaceHomeView"
    read_methods = frozenset({"index"})
    read_only_posts = frozenset({"leave"})
    owner_methods = frozenset({"firm_rights"})
    method_permission_name = {"index": "show", "company": "edit", "firm_rights": "edit",
                              "leave": "show"}

    @expose("/")
    @has_access
    def index(self):
        space = g.space
        today = dt.date.today()
        figures = space_figures(db.session, space.client_id, today)
        recent = db.session.scalars(
            select(Invoice).where(Invoice.client_id == space.client_id)
            .order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(8)
        ).all()
        accesses = []
        if space.mode is SpaceMode.OWNER:
            accesses = db.session.scalars(
                select(AccountAccess).where(AccountAccess.client_id == space.client_id)
                .order_by(AccountAccess.at.desc()).limit(5)
            ).all()
        form = FirmRightsForm(mode="admin" if space.client.accountant_is_admin else "read")
        return self.render_template(
            "passerelle/space/home.html", title=gettext("Espace de facturation"),
            space=space, figures=figures, recent=recent, accesses=accesses,
            rights_form=form, today=today)

    @expose("/entreprise", methods=["GET", "POST"])
    @has_access
    def company(self):
        space = g.space
        if request.method == "GET" and not space.can_write:
            read_only_refusal()
        form = CompanyForm(obj=space.client)
        if form.validate_on_submit():
            form.populate_obj(space.client)
            for name in ("legal_form", "share_capital", "rcs_city", "address_line1",
                         "address_line2", "postcode", "city", "phone"):
                value = getattr(space.client, name)
                setattr(space.client, name, (value or "").strip() or None)
            db.session.commit()
            flash(gettext("Coordonnées de l'entreprise enregistrées : elles figurent sur "
                          "vos prochains documents."), "success")
            return redirect(url_for(".index"))
        return self.render_template("passerelle/space/company.html",
                                    title=gettext("Mon entreprise"), space=space, form=form)

    @expose("/droits-du-cabinet", methods=["POST"])
    @has_access
    def firm_rights(self):
        space = g.space
        form = FirmRightsForm()
        if not form.validate_on_submit():
            flash(gettext("Choisissez « Lecture seule » ou « Administrateur »."), "danger")
            return redirect(url_for(".index"))
        space.client.accountant_is_admin = form.mode.data == "admin"
        db.session.commit()
        if space.client.accountant_is_admin:
            flash(gettext("Le cabinet peut désormais agir dans votre espace comme "
                          "administrateur."), "success")
        else:
            flash(gettext("Le cabinet consulte désormais votre espace en lecture seule."),
                  "success")
        return redirect(url_for(".index"))

    @expose("/quitter", methods=["POST"])
    @has_access
    def leave(self):
        space = g.space
        leave_space()
        if space.is_firm:
            return redirect(url_for("ClientSheetView.sheet", pk=space.client_id))
        return redirect(url_for(".index"))


# Customers, categories, articles, charges --------------------------------------------

CONTACT_LABELS = {
    "is_company": _l("Professionnel"), "name": _l("Nom ou raison sociale"),
    "first_name": _l("Prénom"), "display_name": _l("Client"),
    "address_line1": _l("Adresse"), "address_line2": _l("Complément d'adresse"),
    "postcode": _l("Code postal"), "city": _l("Ville"), "country": _l("Pays"),
    "email": _l("E-mail"), "phone": _l("Téléphone"), "siren": _l("SIREN"),
    "vat_number": _l("N° de TVA intracommunautaire"),
    "auxiliary_account": _l("Compte auxiliaire"), "created_at": _l("Créé le"),
}


def _country(form, field):
    value = (field.data or "FR").strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValidationError(gettext("Code pays sur deux lettres (FR, BE, DE…)."))
    field.data = value


def _auxiliary_account(form, field):
    try:
        field.data = rules.clean_auxiliary_code(field.data)
    except rules.RuleViolation as error:
        raise ValidationError(error.translate(gettext)) from None


def _plan_account(form, field):
    """An item's own sales account: a valid number, and one of the client's plan
    when it has one (the same rules as its « Comptabilité » screens)."""
    if not (field.data or "").strip():
        field.data = None
        return
    plan = db.session.scalars(select(AccountingPlan).where(
        AccountingPlan.client_id == current_space().client_id)).first()
    try:
        number = rules.clean_account_number(
            field.data, kind="sales", account_length=plan.account_length if plan else None)
        if plan is not None:
            numbers = set(db.session.scalars(select(PlanAccount.number).where(
                PlanAccount.plan_id == plan.id)))
            number = rules.require_account_in_plan(number, numbers, plan.account_length,
                                                   str(field.label.text))
    except rules.RuleViolation as error:
        raise ValidationError(error.translate(gettext)) from None
    field.data = number


class ContactView(SpaceModelView):
    route_base = "/espace/clients"
    datamodel = SQLAInterface(Contact)
    list_title = _l("Clients facturés")
    show_title = _l("Client facturé")
    add_title = _l("Nouveau client facturé")
    edit_title = _l("Modifier le client facturé")
    export_title = _l("Clients facturés")
    export_filename = "clients-factures"
    list_columns = ["display_name", "city", "email", "siren", "auxiliary_account"]
    show_columns = ["is_company", "name", "first_name", "address_line1", "address_line2",
                    "postcode", "city", "country", "email", "phone", "siren", "vat_number",
                    "auxiliary_account", "created_at"]
    add_columns = ["is_company", "name", "first_name", "address_line1", "address_line2",
                   "postcode", "city", "country", "email", "phone", "siren", "vat_number",
                   "auxiliary_account"]
    edit_columns = add_columns
    export_columns = ["name", "first_name", "is_company", "address_line1", "address_line2",
                      "postcode", "city", "country", "email", "phone", "siren", "vat_number",
                      "auxiliary_account"]
    search_columns = ["name", "first_name", "city", "email", "siren", "auxiliary_account"]
    order_columns = ["name", "city", "email", "siren", "auxiliary_account"]
    base_order = ("name", "asc")
    label_columns = CONTACT_LABELS
    formatters_columns = {"is_company": yes_no, "created_at": format_date}
    add_form_extra_fields = {
        "is_company": BooleanField(_l("Professionnel"), default=True,
                                   description=_l("Décochez pour un particulier.")),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {
        "name": [DataRequired(message=_l("Le nom est obligatoire.")), Length(max=200)],
        "email": [Optional(), Email(message=_l("Adresse e-mail invalide.")), Length(max=320)],
        "siren": [Optional(), form_validator(clean_siren)],
        "vat_number": [Optional(), form_validator(clean_vat_number)],
        "country": [_country],
        "auxiliary_account": [Optional(), Length(max=20), _auxiliary_account],
    }


class ArticleCategoryView(SpaceModelView):
    route_base = "/espace/categories"
    datamodel = SQLAInterface(ArticleCategory)
    list_title = _l("Catégories d'articles")
    show_title = _l("Catégorie d'articles")
    add_title = _l("Nouvelle catégorie")
    edit_title = _l("Modifier la catégorie")
    export_title = _l("Catégories d'articles")
    export_filename = "categories"
    list_columns = ["name", "account"]
    show_columns = list_columns
    add_columns = list_columns
    edit_columns = list_columns
    search_columns = ["name", "account"]
    order_columns = ["name", "account"]
    base_order = ("name", "asc")
    label_columns = {"name": _l("Catégorie"), "account": _l("Compte de vente")}
    description_columns = {"account": _l("Facultatif : le compte de vente de ses articles "
                                         "(par exemple 707100).")}
    validators_columns = {"name": [DataRequired(message=_l("Le nom est obligatoire.")),
                                   Length(max=120)],
                          "account": [Optional(), _plan_account]}


ARTICLE_LABELS = {
    "reference": _l("Référence"), "label": _l("Désignation"), "nature": _l("Nature"),
    "unit_price_ht": _l("Prix unitaire HT"), "vat_rate": _l("TVA"),
    "category": _l("Catégorie"), "account": _l("Compte de vente"),
}


def _rate_display(value):
    return f"{value.normalize():f} %".replace(".", ",") if value is not None else ""


class ArticleView(SpaceModelView):
    route_base = "/espace/articles"
    datamodel = SQLAInterface(Article)
    list_title = _l("Articles")
    show_title = _l("Article")
    add_title = _l("Nouvel article")
    edit_title = _l("Modifier l'article")
    export_title = _l("Articles")
    export_filename = "articles"
    list_columns = ["reference", "label", "nature", "unit_price_ht", "vat_rate", "category"]
    show_columns = ["reference", "label", "nature", "unit_price_ht", "vat_rate", "category",
                    "account"]
    add_columns = show_columns
    edit_columns = show_columns
    export_columns = show_columns
    search_columns = ["reference", "label", "nature", "category"]
    order_columns = ["reference", "label", "nature", "unit_price_ht", "vat_rate"]
    base_order = ("label", "asc")
    label_columns = ARTICLE_LABELS
    formatters_columns = {"nature": lambda value: gettext(NATURE_LABELS.get(value, value)),
                          "unit_price_ht": format_money, "vat_rate": _rate_display}
    export_formatters = {"nature": lambda item: gettext(NATURE_LABELS.get(item.nature,
                                                                          item.nature))}
    add_form_extra_fields = {
        "nature": SelectField(_l("Nature"), choices=[
            ("goods", _l("Bien")), ("services", _l("Prestation de services"))],
            default="services"),
        "vat_rate": SelectField(_l("TVA"), choices=plan_vat_rate_choices, default="20"),
        "unit_price_ht": DecimalField(_l("Prix unitaire HT"), places=2, validators=[
            DataRequired(message=_l("Le prix est obligatoire.")),
            NumberRange(min=0, message=_l("Le prix ne peut pas être négatif."))]),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {"label": [DataRequired(message=_l("La désignation est obligatoire.")),
                                    Length(max=200)],
                          "reference": [Optional(), Length(max=40)],
                          "account": [Optional(), _plan_account]}


class ChargeView(SpaceModelView):
    route_base = "/espace/frais"
    datamodel = SQLAInterface(Charge)
    list_title = _l("Taxes, frais et remises")
    show_title = _l("Taxe, frais ou remise")
    add_title = _l("Nouvelle taxe, frais ou remise")
    edit_title = _l("Modifier la taxe, les frais ou la remise")
    export_title = _l("Taxes, frais et remises")
    export_filename = "taxes-frais-remises"
    list_columns = ["kind", "label", "amount", "percentage", "vat_rate", "account"]
    show_columns = list_columns
    add_columns = list_columns
    edit_columns = list_columns
    search_columns = ["kind", "label"]
    order_columns = ["kind", "label"]
    base_order = ("label", "asc")
    label_columns = {"kind": _l("Type"), "label": _l("Libellé"), "amount": _l("Montant HT"),
                     "percentage": _l("Pourcentage"), "vat_rate": _l("TVA"),
                     "account": _l("Compte")}
    description_columns = {"amount": _l("Un montant fixe ou un pourcentage des lignes HT, "
                                        "pas les deux.")}
    formatters_columns = {"kind": lambda value: gettext(CHARGE_KIND_LABELS.get(value, value)),
                          "amount": lambda value: format_money(value) if value is not None
                          else "", "percentage": _rate_display, "vat_rate": _rate_display}
    add_form_extra_fields = {
        "kind": SelectField(_l("Type"), choices=[
            ("fee", _l("Frais")), ("tax", _l("Taxe")), ("discount", _l("Remise"))]),
        "vat_rate": SelectField(_l("TVA"), choices=plan_vat_rate_choices, default="20"),
        "amount": DecimalField(_l("Montant HT"), places=2, validators=[
            Optional(), NumberRange(min=0, message=_l("Le montant ne peut pas être négatif."))]),
        "percentage": DecimalField(_l("Pourcentage"), places=2, validators=[
            Optional(), NumberRange(min=0, max=100, message=_l(
                "Le pourcentage est compris entre 0 et 100."))]),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {"label": [DataRequired(message=_l("Le libellé est obligatoire.")),
                                    Length(max=200)],
                          "account": [Optional(), _plan_account]}

    def _check_amount_or_percentage(self, item):
        if (item.amount is None) == (item.percentage is None):
            raise ForeignReference(gettext("Indiquez soit un montant, soit un pourcentage."))

    def pre_add(self, item):
        self._check_amount_or_percentage(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._check_amount_or_percentage(item)
        super().pre_update(item)


class AccountAccessView(SpaceModelView):
    """The firm's openings of the space, for the client user to see."""

    route_base = "/espace/acces-du-cabinet"
    datamodel = SQLAInterface(AccountAccess)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Accès du cabinet à votre espace")
    export_title = _l("Accès du cabinet")
    export_filename = "acces-du-cabinet"
    list_columns = ["at", "user_name", "mode"]
    show_columns = list_columns
    search_columns = ["user_name", "mode", "at"]
    order_columns = ["at", "user_name", "mode"]
    base_order = ("at", "desc")
    label_columns = {"at": _l("Date et heure"), "user_name": _l("Collaborateur"),
                     "mode": _l("Mode")}
    formatters_columns = {"at": format_datetime,
                          "mode": lambda value: gettext(ACCESS_MODE_LABELS.get(value, value))}
    export_formatters = {"mode": lambda item: gettext(ACCESS_MODE_LABELS.get(item.mode,
                                                                            item.mode))}


def open_account(client, user):
    """« Accéder au compte »: the firm enters a visible client's space."""
    enter_space(db.session, client, user)
    db.session.commit()
