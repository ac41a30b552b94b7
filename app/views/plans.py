"""Charts of accounts (« Paramètres > Comptabilité » and the client sheet's
« Comptabilité » tab): the list of plans, each plan's sections, and the
client-only sections with the « compte utilisé » of every row.

The same screens edit the three kinds of plan (default, firm template,
client's own). A plan's sections live under /comptabilite/plans/<plan_id>/…:
the plan id is part of every URL (never kept in the session, so two browser
tabs on two plans cannot mix them up). Before any route runs, the sections'
blueprint resolves the plan through app.security.plans (404 when the user may
not use it, read-only for the default plans); lists are narrowed to the plan
(or, for the client-only sections, to the plan's client), new rows are given
to it, and the domain rules (app.plans.rules) validate every field.
"""
from itertools import groupby

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, inspect as sa_inspect, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.extensions import db
from app.models import (
    AccountingPlan, Article, ArticleCategory, Charge, Contact, PlanAccount, PlanPaymentMode,
    PlanVatRate,
)
from app.models.accounting import ACCOUNT_KIND_LABELS, ACCOUNT_KINDS
from app.models.invoicing import CHARGE_KIND_LABELS, NATURE_LABELS
from app.plans import resolution, rules
from app.plans.copying import PlanError, duplicate_plan, rename_plan
from app.security.plans import current_plan_context, plan_context
from app.security.tenancy import NOTHING, ScopeKind, current_scope, visible_criteria
from app.views.base import TenantModelView

PLAN_URL = "/comptabilite/plans/<int:plan_id>"


def read_only_plan_refusal():
    abort(403, description=gettext(
        "Les plans par défaut ne se modifient pas : dupliquez-le pour l'adapter. Aucune "
        "modification n'a été faite."))


def plan_or_404(plan_id, write=False):
    """The plan's context for a PlanView route; sets it for the page header."""
    context = plan_context(db.session, plan_id)
    if context is None:
        abort(404)
    if write and not context.can_write:
        read_only_plan_refusal()
    g._plan_context = context
    return context


def rule_message(error):
    """A domain refusal in the screen's language."""
    return error.translate(gettext)


def rule_validator(clean, **options):
    """WTForms adapter for a rule of app.plans.rules: keeps the cleaned value.
    Options given as callables are evaluated with the form (values of other
    fields, the plan's account length…)."""
    def validate(form, field):
        values = {key: (value(form) if callable(value) else value)
                  for key, value in options.items()}
        try:
            field.data = clean(field.data, **values)
        except rules.RuleViolation as error:
            raise ValidationError(rule_message(error)) from None
    return validate


def plan_id_of_request():
    context = current_plan_context()
    return context.plan_id if context is not None else -1


def plan_client_id_of_request():
    context = current_plan_context()
    return context.client.id if context is not None and context.client is not None else -1


def plan_numbers(plan_id):
    return set(db.session.scalars(select(PlanAccount.number).where(PlanAccount.plan_id == plan_id)))


def previous_value(item, column):
    """The value `column` had before this request changed it (None if unchanged):
    read from the object's history, as a query would flush the change first."""
    history = sa_inspect(item).attrs[column].history
    return history.deleted[0] if history.deleted else None


def _edited_pk():
    pk = (request.view_args or {}).get("pk")
    try:
        return int(pk) if pk is not None else None
    except (TypeError, ValueError):
        return None


def _rate_text(value):
    # A non-breaking space keeps « 20 % » on one line in narrow columns.
    return f"{resolution.normalise_rate(value).normalize():f}\u00a0%".replace(".", ",") \
        if value is not None else ""


# Sections -----------------------------------------------------------------------------

def plan_sections(context):
    """Tabs of a plan's page: (key, label, endpoint)."""
    sections = [
        ("comptes", _l("Plan comptable"), "PlanAccountView.list"),
        ("journaux", _l("Journaux"), "PlanView.journals"),
        ("tva", _l("Taux de TVA"), "PlanVatRateView.list"),
        ("paiements", _l("Modes de paiement"), "PlanPaymentModeView.list"),
    ]
    if context.client is not None:
        sections += [
            ("frais", _l("Taxes, frais & remises"), "PlanChargeView.list"),
            ("categories", _l("Catégories d'articles"), "PlanCategoryView.list"),
            ("clients", _l("Clients"), "PlanContactView.list"),
            ("articles", _l("Articles"), "PlanArticleView.list"),
        ]
    sections.append(("historique", _l("Historique"), "PlanView.history"))
    return sections


class PlanGuarded:
    """Every section screen of a plan: the plan comes from the URL prefix and is
    checked before any route runs (default deny for read-only plans: only
    `read_methods`, with GET, answer)."""

    read_methods = frozenset({"list", "show"})
    client_only = False
    section = ""

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint,
                                             static_folder=static_folder)
        blueprint.url_value_preprocessor(self._pull_plan_id)
        blueprint.url_defaults(self._push_plan_id)
        blueprint.before_request(self._guard_plan)
        return blueprint

    @staticmethod
    def _pull_plan_id(endpoint, values):
        if values is not None:
            g._plan_id = values.pop("plan_id", None)

    @staticmethod
    def _push_plan_id(endpoint, values):
        context = current_plan_context()
        if "plan_id" not in values and context is not None:
            values["plan_id"] = context.plan_id

    def _guard_plan(self):
        if not current_user.is_authenticated:
            return None  # has_access sends them to the login page
        context = plan_context(db.session, g.pop("_plan_id", None))
        if context is None or (self.client_only and context.client is None):
            abort(404)
        g._plan_context = context
        method = (request.endpoint or "").rpartition(".")[2]
        if not context.can_write and (method not in self.read_methods
                                      or request.method not in ("GET", "HEAD")):
            read_only_plan_refusal()
        g.plan_section = self.section
        return None


class PlanListWidget(ListWidget):
    """FAB's list, plus a « compte utilisé » column and, on client-only sections,
    one account field per row saved without opening the record."""

    template = "passerelle/plans/widgets/list.html"


class PlanSectionView(PlanGuarded, TenantModelView):
    """A list of one plan's rows (accounts, VAT rates, payment modes)."""

    list_template = "passerelle/plans/list.html"
    add_template = "passerelle/plans/add.html"
    edit_template = "passerelle/plans/edit.html"
    show_template = "passerelle/plans/show.html"
    list_widget = PlanListWidget
    page_size = 50
    # Columns whose « compte utilisé » the list shows (see `explain_rows`).
    explained = False
    quick_column = None

    def __init__(self, **kwargs):
        self.base_filters = [["plan_id", FilterEqualFunction, plan_id_of_request]] + list(
            self.base_filters or [])
        super().__init__(**kwargs)

    def pre_add(self, item):
        item.plan_id = current_plan_context().plan_id
        super().pre_add(item)
        self._check(item)

    def pre_update(self, item):
        self._check(item)
        super().pre_update(item)

    def _check(self, item):
        """The section's rules on the whole row (uniqueness, use…); raises to refuse."""

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters, **kwargs)
        arguments = widgets["list"].template_args
        arguments["explanations"] = self.explain_rows(arguments["pks"]) if self.explained else {}
        arguments["quick_column"] = self.quick_column
        arguments["explained_label"] = self.explained_label
        return widgets

    explained_label = _l("Compte utilisé")

    def explain_rows(self, pks):
        return {}

    def _refuse(self, error):
        raise ValueError(rule_message(error))


# Plan comptable ----------------------------------------------------------------------

def _account_kind(form):
    return form.kind.data if "kind" in form else None


def _account_length(form=None):
    return current_plan_context().plan.account_length


class PlanAccountView(PlanSectionView):
    route_base = PLAN_URL + "/comptes"
    datamodel = SQLAInterface(PlanAccount)
    section = "comptes"
    add_row_message = _l("Compte ajouté.")
    edit_row_message = _l("Compte enregistré.")
    delete_row_message = _l("Compte supprimé.")
    list_title = _l("Plan comptable")
    add_title = _l("Nouveau compte")
    edit_title = _l("Modifier le compte")
    show_title = _l("Compte")
    list_columns = ["number", "label", "kind"]
    add_columns = ["number", "label", "kind"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["number", "label", "kind"]
    order_columns = ["number", "label", "kind"]
    base_order = ("number", "asc")
    label_columns = {"number": _l("Numéro"), "label": _l("Libellé"), "kind": _l("Type")}
    formatters_columns = {"kind": lambda value: gettext(ACCOUNT_KIND_LABELS.get(value, value))}
    description_columns = {
        "number": _l("Chiffres uniquement, sans les zéros de complément (ils sont ajoutés "
                     "à l'export selon la taille des comptes)."),
    }
    add_form_extra_fields = {
        "kind": SelectField(_l("Type"), choices=[(kind, _l(ACCOUNT_KIND_LABELS[kind]))
                                                 for kind in ACCOUNT_KINDS], default="other"),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {
        "number": [rule_validator(rules.clean_account_number, kind=_account_kind,
                                  account_length=_account_length)],
        "label": [DataRequired(message=_l("Le libellé est obligatoire.")), Length(max=200)],
    }

    def _check(self, item):
        context = current_plan_context()
        try:
            rules.unique_account_number(db.session, context.plan_id, item.number,
                                        exclude_id=item.id)
            previous = previous_value(item, "number")
            if previous is not None and previous != item.number:
                rules.check_account_renumber(db.session, context.plan, previous, item.number)
        except rules.RuleViolation as error:
            self._refuse(error)

    def pre_delete(self, item):
        try:
            rules.check_account_deletable(db.session, current_plan_context().plan, item)
        except rules.RuleViolation as error:
            self._refuse(error)
        super().pre_delete(item)

    @action("duplicate", _l("Dupliquer"), multiple=False, single=True, icon="fa-copy")
    def duplicate(self, item):
        """« Autre action > Dupliquer »: the new account's form, filled from this one."""
        return redirect(url_for(".add", copier=item.id))

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        source_id = request.args.get("copier", type=int)
        if request.method == "GET" and source_id:
            source = db.session.scalars(select(PlanAccount).where(
                PlanAccount.id == source_id,
                PlanAccount.plan_id == current_plan_context().plan_id)).first()
            if source is not None:
                form.number.data = source.number
                form.label.data = gettext("%(label)s (copie)", label=source.label)
                form.kind.data = source.kind
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)


# Taux de TVA -------------------------------------------------------------------------

def _optional_account(kind):
    return [Optional(), rule_validator(rules.clean_account_number, kind=kind,
                                       account_length=_account_length)]


class PlanVatRateView(PlanSectionView):
    route_base = PLAN_URL + "/tva"
    datamodel = SQLAInterface(PlanVatRate)
    section = "tva"
    add_row_message = _l("Taux de TVA ajouté.")
    edit_row_message = _l("Taux de TVA enregistré.")
    delete_row_message = _l("Taux de TVA supprimé.")
    explained = True
    explained_label = _l("Comptes utilisés")
    list_title = _l("Taux de TVA")
    add_title = _l("Nouveau taux de TVA")
    edit_title = _l("Modifier le taux de TVA")
    show_title = _l("Taux de TVA")
    list_columns = ["rate", "label", "goods_vat_account", "goods_sales_account",
                    "services_vat_account", "services_sales_account"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns
    search_columns = ["label"]
    order_columns = ["rate", "label"]
    base_order = ("rate", "desc")
    label_columns = {
        "rate": _l("Taux"), "label": _l("Libellé"),
        "goods_vat_account": _l("TVA des biens"), "goods_sales_account": _l("Vente des biens"),
        "services_vat_account": _l("TVA des services"),
        "services_sales_account": _l("Vente des services"),
    }
    formatters_columns = {"rate": _rate_text}
    description_columns = {
        "rate": _l("En pourcentage, deux décimales au plus (par exemple 5,5)."),
        "goods_vat_account": _l("TVA collectée sur les ventes de biens (par exemple 44571200)."),
        "services_vat_account": _l("TVA collectée sur les prestations de services ; utilisée "
                                   "quand « Séparation des TVA par nature » est active."),
        "goods_sales_account": _l("Compte de vente des biens à ce taux, si l'article ou sa "
                                  "catégorie n'en ont pas."),
        "services_sales_account": _l("Compte de vente des prestations à ce taux, si "
                                     "l'article ou sa catégorie n'en ont pas."),
    }
    add_form_extra_fields = {
        "rate": StringField(_l("Taux"), validators=[
            DataRequired(message=_l("Le taux est obligatoire.")),
            rule_validator(rules.clean_vat_rate)]),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {
        "label": [DataRequired(message=_l("Le libellé est obligatoire.")), Length(max=120)],
        "goods_vat_account": _optional_account("vat"),
        "services_vat_account": _optional_account("vat"),
        "goods_sales_account": _optional_account("sales"),
        "services_sales_account": _optional_account("sales"),
    }

    def _check(self, item):
        context = current_plan_context()
        numbers = plan_numbers(context.plan_id)
        try:
            rules.unique_vat_rate(db.session, context.plan_id, item.rate, exclude_id=item.id)
            for column in ("goods_vat_account", "services_vat_account", "goods_sales_account",
                           "services_sales_account"):
                rules.require_account_in_plan(getattr(item, column), numbers,
                                              context.plan.account_length,
                                              str(self.label_columns[column]))
            previous = previous_value(item, "rate")
            if previous is not None and resolution.normalise_rate(previous) != item.rate:
                rules.check_vat_rate_change(db.session, context.plan, _RateAt(previous), item.rate)
        except rules.RuleViolation as error:
            self._refuse(error)

    def pre_delete(self, item):
        try:
            rules.check_vat_rate_deletable(db.session, current_plan_context().plan, item)
        except rules.RuleViolation as error:
            self._refuse(error)
        super().pre_delete(item)

    def explain_rows(self, pks):
        context = current_plan_context()
        rows = db.session.scalars(select(PlanVatRate).where(PlanVatRate.id.in_(pks))).all()
        plan = resolution.plan_for_resolver(db.session, context.plan)
        explained = {}
        for row in rows:
            by_nature = resolution.explain_vat_rate(plan, row, gettext)
            entries = [(gettext("Vente des biens"), by_nature["goods"]["sales"]),
                       (gettext("Vente des services"), by_nature["services"]["sales"])]
            # An exempt rate posts no VAT line: no VAT account is needed.
            if resolution.normalise_rate(row.rate) != 0:
                entries[1:1] = [(gettext("TVA des biens"), by_nature["goods"]["vat"])]
                entries.append((gettext("TVA des services"), by_nature["services"]["vat"]))
            explained[row.id] = entries
        return explained


class _RateAt:
    """A VAT rate value as it was before an edit (for the « in use » rule)."""

    def __init__(self, rate):
        self.rate = rate
        self.id = None


# Modes de paiement -------------------------------------------------------------------

class PlanPaymentModeView(PlanSectionView):
    route_base = PLAN_URL + "/modes-de-paiement"
    datamodel = SQLAInterface(PlanPaymentMode)
    section = "paiements"
    add_row_message = _l("Mode de paiement ajouté.")
    edit_row_message = _l("Mode de paiement enregistré.")
    delete_row_message = _l("Mode de paiement supprimé.")
    explained = True
    list_title = _l("Modes de paiement")
    add_title = _l("Nouveau mode de paiement")
    edit_title = _l("Modifier le mode de paiement")
    show_title = _l("Mode de paiement")
    list_columns = ["label", "account", "journal_code"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns
    search_columns = ["label", "account", "journal_code"]
    order_columns = ["label", "account", "journal_code"]
    base_order = ("label", "asc")
    label_columns = {"label": _l("Mode de paiement"), "account": _l("Compte"),
                     "journal_code": _l("Code journal")}
    description_columns = {
        "account": _l("Compte de trésorerie des règlements (512 banque, 5112 chèques à "
                      "encaisser, 530 caisse). Vide : le compte de banque des journaux."),
        "journal_code": _l("1 à 4 lettres majuscules ou chiffres. Vide : le journal de "
                           "banque des journaux."),
    }
    validators_columns = {
        "label": [DataRequired(message=_l("Le libellé est obligatoire.")), Length(max=60)],
        "account": [Optional(), rule_validator(rules.clean_account_number,
                                               account_length=_account_length)],
        "journal_code": [Optional(), rule_validator(rules.clean_journal_code)],
    }

    def _check(self, item):
        context = current_plan_context()
        try:
            values = rules.check_payment_mode(
                plan_numbers(context.plan_id), context.plan.account_length,
                {"label": item.label, "account": item.account,
                 "journal_code": item.journal_code})
            rules.unique_payment_mode(db.session, context.plan_id, values["label"],
                                      exclude_id=item.id)
        except rules.RuleErrors as errors:
            self._refuse(next(iter(errors.errors.values())))
        except rules.RuleViolation as error:
            self._refuse(error)
        for key, value in values.items():
            setattr(item, key, value)

    def explain_rows(self, pks):
        context = current_plan_context()
        rows = db.session.scalars(select(PlanPaymentMode).where(
            PlanPaymentMode.id.in_(pks))).all()
        plan = resolution.plan_for_resolver(db.session, context.plan)
        return {row.id: [("", resolution.explain_payment_mode(plan, row.label, gettext))]
                for row in rows}


# Client-only sections: the accounts of the client's own records ----------------------

class ClientRecordsView(PlanSectionView):
    """A client's records with their account: search, paging, one field per row
    saved at once (`set_account`), and the account each one actually uses."""

    client_only = True
    explained = True
    base_permissions = ["can_list", "can_set_account"]
    method_permission_name = {"set_account": "set_account"}
    account_column = "account"
    account_kind = "sales"
    page_size = 25

    def __init__(self, **kwargs):
        # Narrowed to the plan's client instead of the plan (these rows are the client's).
        self.base_filters = [["client_id", FilterEqualFunction, plan_client_id_of_request]]
        TenantModelView.__init__(self, **kwargs)

    @property
    def quick_column(self):
        return self.account_column

    def clean_account(self, value):
        context = current_plan_context()
        if not (value or "").strip():
            return None
        number = rules.clean_account_number(value, kind=self.account_kind,
                                            account_length=context.plan.account_length)
        return rules.require_account_in_plan(number, plan_numbers(context.plan_id),
                                             context.plan.account_length,
                                             str(self.label_columns[self.account_column]))

    def explain_items(self, plan, items):
        raise NotImplementedError

    def load_items(self, pks):
        return db.session.scalars(select(self.datamodel.obj).where(
            self.datamodel.obj.id.in_(pks))).all()

    def explain_rows(self, pks):
        context = current_plan_context()
        items = self.load_items(pks)
        plan = resolution.plan_for_resolver(db.session, context.plan)
        return {item_id: [("", explanation)]
                for item_id, explanation in self.explain_items(plan, items).items()}

    @expose("/compte/<int:pk>", methods=["POST"])
    @has_access
    def set_account(self, pk):
        """Save one row's account; answers JSON to the page's script, else goes back."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        wants_json = request.headers.get("X-Requested-With") == "fetch"
        try:
            value = self.clean_account(request.form.get("account", ""))
        except rules.RuleViolation as error:
            message = gettext("« %(record)s » : %(message)s", record=str(item),
                              message=rule_message(error))
            if wants_json:
                return jsonify(ok=False, message=message), 422
            flash(message, "danger")
            return redirect(self._back())
        setattr(item, self.account_column, value)
        db.session.commit()
        message = gettext("« %(record)s » : compte enregistré.", record=str(item))
        if wants_json:
            explanations = (self.explain_rows([item.id]).get(item.id, [])
                            if self.explained else [])
            return jsonify(ok=True, message=message, value=value or "",
                           used=render_template("passerelle/plans/_used.html",
                                                entries=explanations))
        flash(message, "success")
        return redirect(self._back())

    def _back(self):
        target = request.form.get("next") or ""
        if target.startswith("/") and not target.startswith("//"):
            return target
        return url_for(".list")


def _nature(value):
    return gettext(NATURE_LABELS.get(value, value))


class PlanChargeView(ClientRecordsView):
    route_base = PLAN_URL + "/frais"
    datamodel = SQLAInterface(Charge)
    section = "frais"
    list_title = _l("Taxes, frais & remises")
    list_columns = ["kind", "label", "vat_rate", "account"]
    search_columns = ["kind", "label", "account"]
    order_columns = ["kind", "label", "account"]
    base_order = ("label", "asc")
    label_columns = {"kind": _l("Type"), "label": _l("Libellé"), "vat_rate": _l("TVA"),
                     "account": _l("Compte")}
    formatters_columns = {"kind": lambda value: gettext(CHARGE_KIND_LABELS.get(value, value)),
                          "vat_rate": _rate_text}

    def explain_items(self, plan, items):
        return resolution.explain_charges(db.session, plan, items, gettext)


class PlanCategoryView(ClientRecordsView):
    route_base = PLAN_URL + "/categories"
    datamodel = SQLAInterface(ArticleCategory)
    section = "categories"
    explained = False
    list_title = _l("Catégories d'articles")
    list_columns = ["name", "account"]
    search_columns = ["name", "account"]
    order_columns = ["name", "account"]
    base_order = ("name", "asc")
    label_columns = {"name": _l("Catégorie"), "account": _l("Compte de vente")}

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters, **kwargs)
        arguments = widgets["list"].template_args
        arguments["counts"] = dict(db.session.execute(
            select(Article.category_id, func.count()).where(
                Article.category_id.in_(arguments["pks"] or [-1]))
            .group_by(Article.category_id)).all())
        arguments["counts_label"] = gettext("Articles de la catégorie")
        return widgets


class PlanContactView(ClientRecordsView):
    route_base = PLAN_URL + "/clients"
    datamodel = SQLAInterface(Contact)
    section = "clients"
    account_column = "auxiliary_account"
    list_title = _l("Clients")
    list_columns = ["name", "first_name", "city", "siren", "auxiliary_account"]
    search_columns = ["name", "first_name", "city", "siren", "auxiliary_account"]
    order_columns = ["name", "city", "siren", "auxiliary_account"]
    base_order = ("name", "asc")
    label_columns = {"name": _l("Nom ou raison sociale"), "first_name": _l("Prénom"),
                     "city": _l("Ville"), "siren": _l("SIREN"),
                     "auxiliary_account": _l("Compte auxiliaire")}

    def clean_account(self, value):
        code = rules.clean_auxiliary_code(value)
        if code is not None:
            rules.unique_auxiliary_code(db.session, current_plan_context().client.id, code,
                                        exclude_contact_id=_edited_pk())
        return code

    def explain_items(self, plan, items):
        return resolution.explain_contacts(db.session, plan, items, gettext)


class PlanArticleView(ClientRecordsView):
    route_base = PLAN_URL + "/articles"
    datamodel = SQLAInterface(Article)
    section = "articles"
    list_title = _l("Articles")
    list_columns = ["reference", "label", "category", "nature", "vat_rate", "account"]
    search_columns = ["reference", "label", "category", "nature", "account"]
    order_columns = ["reference", "label", "nature", "vat_rate", "account"]
    base_order = ("label", "asc")
    label_columns = {"reference": _l("Référence"), "label": _l("Désignation"),
                     "category": _l("Catégorie"), "nature": _l("Nature"),
                     "vat_rate": _l("TVA"), "account": _l("Compte de vente")}
    formatters_columns = {"nature": _nature, "vat_rate": _rate_text}
    search_form_query_rel_fields = {
        "category": [["client_id", FilterEqualFunction, plan_client_id_of_request]]}

    def load_items(self, pks):
        return db.session.scalars(select(Article).where(Article.id.in_(pks)).options(
            selectinload(Article.category))).all()

    def explain_items(self, plan, items):
        return resolution.explain_articles(db.session, plan, items, gettext)


# The plans themselves: list, duplicate, rename, delete, journals, history ------------

class DuplicateForm(FlaskForm):
    name = StringField(_l("Nom du nouveau plan"), validators=[
        DataRequired(message=_l("Donnez un nom au nouveau plan.")), Length(max=120)])


class RenameForm(FlaskForm):
    name = StringField(_l("Nom du plan"), validators=[
        DataRequired(message=_l("Le nom du plan est obligatoire.")), Length(max=120)])


JOURNAL_ACCOUNT_FIELDS = ("customer_account", "sales_account", "deposit_account",
                          "credit_note_account", "bank_account")


class JournalsForm(FlaskForm):
    """« Journaux »: the settings the accounting software needs."""

    account_length = IntegerField(
        _l("Taille des comptes"),
        validators=[DataRequired(message=_l("La taille des comptes est obligatoire."))],
        description=_l("Nombre de chiffres des comptes généraux dans le logiciel comptable "
                       "(de 4 à 13) : les comptes sont complétés par des zéros à l'export."))
    sales_journal = StringField(_l("Journal des ventes"),
                                description=_l("Code du journal, 1 à 4 lettres ou chiffres "
                                               "(par exemple VT)."))
    customer_account = StringField(_l("Compte client général"),
                                   description=_l("Collectif des clients (par exemple 411000)."))
    auxiliary_root = StringField(_l("Racine des comptes auxiliaires"),
                                 description=_l("Début des codes auxiliaires créés pour les "
                                                "clients qui n'en ont pas (par exemple C)."))
    sales_account = StringField(_l("Compte de vente"),
                                description=_l("Si ni l'article, ni sa catégorie, ni le taux "
                                               "de TVA n'en donnent un."))
    deposit_account = StringField(_l("Compte d'acomptes"),
                                  description=_l("Acomptes reçus (par exemple 4191)."))
    credit_note_account = StringField(_l("Compte d'avoirs"),
                                      description=_l("Facultatif : sinon l'avoir reprend le "
                                                     "compte de vente de chaque ligne."))
    incorporate_vat_deposit = BooleanField(_l("Incorporer TVA : acomptes"))
    incorporate_vat_article = BooleanField(_l("Incorporer TVA : articles"))
    split_vat_by_nature = BooleanField(_l("Séparation des TVA par nature d'articles"))
    bank_journal = StringField(_l("Journal de banque"),
                               description=_l("Journal des règlements dont le mode de "
                                              "paiement n'a pas le sien (par exemple BQ)."))
    bank_account = StringField(_l("Compte de banque"),
                               description=_l("Contrepartie des règlements (par exemple 512)."))


class PlanView(BaseView):
    route_base = "/comptabilite/plans"
    default_view = "index"
    class_permission_name = "PlanView"
    method_permission_name = {
        "index": "list", "open": "show", "journals": "show", "history": "show",
        "own_plan": "show", "duplicate": "duplicate", "rename": "edit", "delete": "delete",
        "save_journals": "edit",
    }

    @expose("/")
    @has_access
    def index(self):
        scope = current_scope() or NOTHING
        if scope.kind is ScopeKind.CLIENT:
            return redirect(url_for(".own_plan"))
        statement = select(AccountingPlan).where(AccountingPlan.client_id.is_(None))
        criteria = visible_criteria(AccountingPlan, scope)
        if criteria is not None:
            statement = statement.where(criteria)
        plans = db.session.scalars(statement.order_by(
            AccountingPlan.cabinet_id.is_not(None), AccountingPlan.name)).all()
        usage = dict(db.session.execute(
            select(AccountingPlan.source_plan_id, func.count()).where(
                AccountingPlan.client_id.is_not(None),
                AccountingPlan.source_plan_id.in_([plan.id for plan in plans] or [-1]))
            .group_by(AccountingPlan.source_plan_id)).all())
        return self.render_template("passerelle/plans/index.html",
                                    title=gettext("Plans comptables"), plans=plans,
                                    usage=usage, duplicate_form=DuplicateForm())

    @expose("/mon-plan")
    @has_access
    def own_plan(self):
        """The client user's entry: their dossier's plan, when the firm allows it."""
        scope = current_scope() or NOTHING
        plan_id = None
        if scope.kind is ScopeKind.CLIENT:
            plan_id = db.session.scalar(select(AccountingPlan.id).where(
                AccountingPlan.client_id == scope.client_id))
        if plan_id is None or plan_context(db.session, plan_id) is None:
            abort(404, description=gettext(
                "Vos paramètres comptables ne sont pas ouverts : votre cabinet les gère pour "
                "vous."))
        return redirect(url_for("PlanAccountView.list", plan_id=plan_id))

    @expose("/<int:plan_id>/")
    @has_access
    def open(self, plan_id):
        plan_or_404(plan_id)
        return redirect(url_for("PlanAccountView.list", plan_id=plan_id))

    @expose("/<int:plan_id>/dupliquer", methods=["GET", "POST"])
    @has_access
    def duplicate(self, plan_id):
        context = plan_or_404(plan_id)
        scope = current_scope() or NOTHING
        if scope.cabinet_id is None:
            abort(403, description=gettext("Seul un membre d'un cabinet crée des modèles de "
                                           "plan."))
        form = DuplicateForm()
        if request.method == "GET":
            form.name.data = gettext("Copie de %(name)s", name=context.plan.name)
        if form.validate_on_submit():
            try:
                copy = duplicate_plan(db.session, context.plan, form.name.data,
                                      scope.cabinet_id)
            except PlanError as error:
                db.session.rollback()
                form.name.errors.append(error.translate(gettext))
            else:
                db.session.commit()
                flash(gettext("Plan « %(name)s » créé à partir de « %(source)s ».",
                              name=copy.name, source=context.plan.name), "success")
                return redirect(url_for("PlanAccountView.list", plan_id=copy.id))
        return self.render_template("passerelle/plans/name_form.html",
                                    title=gettext("Dupliquer le plan"), form=form,
                                    context=context, action="duplicate")

    @expose("/<int:plan_id>/renommer", methods=["GET", "POST"])
    @has_access
    def rename(self, plan_id):
        context = plan_or_404(plan_id, write=True)
        form = RenameForm(obj=context.plan)
        if form.validate_on_submit():
            try:
                rename_plan(db.session, context.plan, form.name.data)
            except PlanError as error:
                db.session.rollback()
                form.name.errors.append(error.translate(gettext))
            else:
                db.session.commit()
                flash(gettext("Plan renommé « %(name)s ».", name=context.plan.name), "success")
                return redirect(url_for("PlanAccountView.list", plan_id=plan_id))
        return self.render_template("passerelle/plans/name_form.html",
                                    title=gettext("Renommer le plan"), form=form,
                                    context=context, action="rename")

    @expose("/<int:plan_id>/supprimer", methods=["POST"])
    @has_access
    def delete(self, plan_id):
        context = plan_or_404(plan_id, write=True)
        try:
            rules.check_plan_deletable(db.session, context.plan)
        except rules.RuleViolation as error:
            flash(rule_message(error), "danger")
            return redirect(url_for(".index"))
        name = context.plan.name
        db.session.delete(context.plan)
        db.session.commit()
        flash(gettext("Plan « %(name)s » supprimé.", name=name), "success")
        return redirect(url_for(".index"))

    @expose("/<int:plan_id>/journaux", methods=["GET"])
    @has_access
    def journals(self, plan_id):
        context = plan_or_404(plan_id)
        g.plan_section = "journaux"
        return self._render_journals(context, JournalsForm(obj=context.plan))

    @expose("/<int:plan_id>/journaux", methods=["POST"])
    @has_access
    def save_journals(self, plan_id):
        context = plan_or_404(plan_id, write=True)
        g.plan_section = "journaux"
        form = JournalsForm()
        if form.validate_on_submit():
            values = {name: form[name].data for name in form.data if name != "csrf_token"}
            numbers = plan_numbers(context.plan_id)
            longest = max((len(number) for number in numbers), default=0)
            try:
                cleaned = rules.check_journal_settings(numbers, values, longest)
            except rules.RuleErrors as errors:
                for name, error in errors.errors.items():
                    form[name].errors.append(rule_message(error))
            else:
                for name, value in cleaned.items():
                    setattr(context.plan, name, value)
                db.session.commit()
                flash(gettext("Journaux enregistrés."), "success")
                return redirect(url_for(".journals", plan_id=plan_id))
        return self._render_journals(context, form)

    def _render_journals(self, context, form):
        return self.render_template("passerelle/plans/journals.html",
                                    title=gettext("Journaux"), form=form, context=context)

    @expose("/<int:plan_id>/historique")
    @has_access
    def history(self, plan_id):
        from app.plans.history import plan_history

        context = plan_or_404(plan_id)
        g.plan_section = "historique"
        entries = plan_history(db.session, context.plan, gettext)
        # One group per saving (same time, same person): applying a plan changes
        # dozens of rows at once, a quick edit one.
        groups = [(key, list(rows)) for key, rows in
                  groupby(entries, key=lambda entry: (entry.at, entry.user))]
        return self.render_template("passerelle/plans/history.html",
                                    title=gettext("Historique"), groups=groups,
                                    context=context)
