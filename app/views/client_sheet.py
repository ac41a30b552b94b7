"""« Fiche client » and the per-client action screens (issue 3).

One FAB BaseView under /clients, guarded by ClientView's permissions so the
roles of app/security/roles.py apply unchanged: read screens need `can_show`,
changes `can_edit`, the access screen `can_manage_access`. Every client is
loaded through the tenant rules (visible_or_404): another cabinet's client, or
for Accès restreint an unassigned one, answers 404 as if it did not exist.
Every change is a POST (CSRFProtect checks the token of each one).
"""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l, ngettext
from flask_wtf import FlaskForm
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.clients.dossiers import dossier_code_owner
from app.clients.pins import pin_clients, unpin_clients
from app.clients.staff import staff_members
from app.extensions import db
from app.imports.service import recent_imports
from app.models import (
    AccountingPlan, AppUser, Client, DashboardPin, PlanAccount, PlanPaymentMode,
    PlanVatRate,
)
from app.plans.copying import apply_plan as give_client_plan
from app.plans.diff import orphaned_records, plan_diff
from app.security.roles import RESTRICTED
from app.security.tenancy import NOTHING, ScopeKind, current_scope, visible_criteria
from app.validators import RuleError, clean_dossier_code
from app.formatting import format_siren
from app.views.base import is_visible, safe_next, visible_or_404

# name in the URL → (model attribute, message when turned on, message when turned off)
SWITCHES = {
    "multi_vat": (
        "multi_vat",
        _l("Multi-TVA activée pour « %(name)s »."),
        _l("Multi-TVA désactivée pour « %(name)s »."),
    ),
    "client_can_edit_accounting": (
        "client_can_edit_accounting",
        _l("« %(name)s » a désormais accès à ses paramètres comptables."),
        _l("« %(name)s » n'a plus accès à ses paramètres comptables."),
    ),
}
TABS = ("tableau-de-bord", "informations", "comptabilite", "imports")
# A bulk selection comes from one list page, at most MAX_PAGE_SIZE (500) rows.
MAX_BULK_CLIENTS = 1000
MAX_ID = 2**63 - 1
MODE_ADD, MODE_REPLACE = "add", "replace"


# Helpers -----------------------------------------------------------------------------

def parse_client_ids():
    """`ids=1,2,3` (query string or form, possibly repeated) → sorted unique ints.
    Anything that is not a plausible id answers 404, like an unknown client."""
    raw = ",".join(request.values.getlist("ids"))
    ids = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= MAX_ID:
            abort(404)
        ids.add(int(part))
    if len(ids) > MAX_BULK_CLIENTS:
        abort(400, description=gettext(
            "Trop de clients sélectionnés : %(max)d au plus à la fois.", max=MAX_BULK_CLIENTS))
    return sorted(ids)


def visible_clients_or_404(ids):
    """visible_or_404 for several ids at once, in one query: the same tenant rule,
    and 404 as soon as one of them is not visible (or does not exist)."""
    if len(ids) == 1:
        return [visible_or_404(Client, ids[0])]
    statement = select(Client).where(Client.id.in_(ids)).order_by(Client.name, Client.id)
    criteria = visible_criteria(Client, current_scope() or NOTHING)
    if criteria is not None:
        statement = statement.where(criteria)
    clients = db.session.scalars(statement).all()
    if len(clients) != len(ids):
        abort(404)
    return clients


class DossierForm(FlaskForm):
    """« Mettre à jour le numéro de dossier » (Isacompta dossier code and label)."""

    dossier_code = StringField(
        _l("Numéro de dossier"),
        validators=[DataRequired(message=_l("Le numéro de dossier est obligatoire."))],
        description=_l("Code du dossier dans Isacompta : lettres sans accent, chiffres, "
                       "« - » et « _ », 20 caractères au plus."),
    )
    dossier_label = StringField(
        _l("Libellé du dossier"),
        validators=[Length(max=120, message=_l("120 caractères au plus."))],
        description=_l("Facultatif : le nom du dossier tel qu'il apparaît dans Isacompta."),
    )

    def __init__(self, client, **kwargs):
        super().__init__(**kwargs)
        self.client = client

    def validate_dossier_code(self, field):
        try:
            field.data = clean_dossier_code(field.data)
        except RuleError as error:
            raise ValidationError(str(error)) from None
        other = dossier_code_owner(db.session, self.client.cabinet_id, field.data, self.client.id)
        if other is not None:
            raise ValidationError(self.used_by_message(other))

    @staticmethod
    def used_by_message(other):
        if is_visible(other):
            return gettext("Ce numéro de dossier est déjà utilisé par « %(name)s ».",
                           name=other.name)
        return gettext("Ce numéro de dossier est déjà utilisé par un autre client du cabinet.")

    def validate_dossier_label(self, field):
        field.data = (field.data or "").strip() or None


# The view ----------------------------------------------------------------------------

class ClientSheetView(BaseView):
    route_base = "/clients"
    default_view = "sheet"
    class_permission_name = "ClientView"
    method_permission_name = {
        "sheet": "show",
        "account": "show",
        # Pins are the user's own dashboard, not a change to the client: whoever may
        # open the sheet may pin it.
        "pin": "show",
        "unpin": "show",
        "switch": "edit",
        "dossier": "edit",
        "access": "manage_access",
        "apply_plan": "edit",
    }

    # 1. Fiche client ------------------------------------------------------------
    @expose("/<int:pk>/")
    @has_access
    def sheet(self, pk):
        client = visible_or_404(Client, pk)
        tab = request.args.get("onglet")
        active_tab = tab if tab in TABS else TABS[0]
        return self.render_template(
            "passerelle/clients/sheet.html",
            title=client.name,
            client=client,
            siren=format_siren(client.siren),
            pinned=self._is_pinned(client),
            can_edit=self._can("can_edit"),
            can_manage_access=self._can("can_manage_access"),
            show_cabinet=(current_scope() or NOTHING).kind is ScopeKind.PLATFORM,
            active_tab=active_tab,
            # The invoicing figures are computed for the tab shown only: the other
            # tabs holding figures are reached by reloading the page (?onglet=…).
            lazy_tabs=[key for key in REPORTING_TABS if key != active_tab],
            **sheet_reporting(client, active_tab),
            **sheet_accounting(client),
            **sheet_export(client),
            **sheet_imports(client),
            switches=[
                ("multi_vat", _l("Multi-TVA"), client.multi_vat,
                 _l("Le client facture avec plusieurs taux de TVA.")),
                ("client_can_edit_accounting", _l("Accès aux paramètres comptables"),
                 client.client_can_edit_accounting,
                 _l("Le client peut modifier lui-même ses paramètres comptables.")),
            ],
        )

    # 2. Switches ----------------------------------------------------------------
    @expose("/<int:pk>/switch/<name>", methods=["POST"])
    @has_access
    def switch(self, pk, name):
        if name not in SWITCHES:
            abort(404)
        client = visible_or_404(Client, pk)
        value = request.form.get("value")
        if value not in ("0", "1"):
            abort(400, description=gettext("Valeur attendue : 1 (activer) ou 0 (désactiver)."))
        attribute, message_on, message_off = SWITCHES[name]
        setattr(client, attribute, value == "1")
        db.session.commit()
        flash(str(message_on if value == "1" else message_off) % {"name": client.name}, "success")
        return redirect(url_for(".sheet", pk=client.id))

    # 2b. Appliquer un plan comptable -------------------------------------------
    @expose("/<int:pk>/plan-comptable", methods=["GET", "POST"])
    @has_access
    def apply_plan(self, pk):
        """Apply a default plan or a firm template: the client gets its own copy.
        Replacing a plan it already has first shows what would change."""
        client = visible_or_404(Client, pk)
        source = self._applicable_plan(request.values.get("plan"))
        current = client_plan(client)
        if request.method == "POST":
            give_client_plan(db.session, source, client)
            db.session.commit()
            flash(gettext("Plan « %(name)s » appliqué à « %(client)s ».", name=source.name,
                          client=client.name), "success")
            return redirect(url_for(".sheet", pk=client.id, onglet="comptabilite"))
        changes = plan_diff(current, source) if current is not None else []
        return self.render_template(
            "passerelle/clients/apply_plan.html", title=gettext("Appliquer un plan comptable"),
            client=client, source=source, current=current, changes=changes,
            orphans=orphaned_records(db.session, client.id, source))

    @staticmethod
    def _applicable_plan(plan_id):
        """A default plan or one of the cabinet's templates the user sees, else 404."""
        source = visible_or_404(AccountingPlan, plan_id)
        if source.client_id is not None:
            abort(404)
        return source

    # 3. Numéro de dossier -------------------------------------------------------
    @expose("/<int:pk>/dossier", methods=["GET", "POST"])
    @has_access
    def dossier(self, pk):
        client = visible_or_404(Client, pk)
        form = DossierForm(client, obj=client)
        if form.validate_on_submit():
            client.dossier_code = form.dossier_code.data
            client.dossier_label = form.dossier_label.data
            try:
                db.session.commit()
            except IntegrityError:  # the same code saved meanwhile by someone else
                db.session.rollback()
                client = visible_or_404(Client, pk)
                other = dossier_code_owner(db.session, client.cabinet_id, form.dossier_code.data, client.id)
                form.dossier_code.errors = [
                    DossierForm.used_by_message(other) if other is not None
                    else gettext("Ce numéro de dossier est déjà utilisé.")]
            else:
                flash(gettext("Numéro de dossier de « %(name)s » enregistré : %(code)s.",
                              name=client.name, code=client.dossier_code), "success")
                return redirect(url_for(".sheet", pk=client.id))
        return self.render_template(
            "passerelle/clients/dossier.html",
            title=gettext("Numéro de dossier — %(name)s", name=client.name),
            client=client, form=form,
        )

    # 4. Gérer l'accès -----------------------------------------------------------
    @expose("/access", methods=["GET", "POST"])
    @has_access
    def access(self):
        ids = parse_client_ids()
        if not ids:
            flash(gettext("Sélectionnez au moins un client."), "warning")
            return redirect(safe_next(url_for("ClientView.list")))
        clients = visible_clients_or_404(ids)
        single = len(clients) == 1
        default_next = url_for(".sheet", pk=clients[0].id) if single else url_for("ClientView.list")
        back = safe_next(default_next)
        cabinets = {client.cabinet_id for client in clients}
        if len(cabinets) > 1:  # only a platform admin can pick clients of several cabinets
            return self._render_access(clients, [], set(), MODE_ADD, back, errors=[gettext(
                "Ces clients appartiennent à des cabinets différents : gérez leur accès "
                "cabinet par cabinet.")])
        staff = staff_members(db.session, AppUser.cabinet_id == cabinets.pop())
        staff_ids = {user.id for user, _role in staff}

        if request.method == "GET":
            checked = {user.id for user in clients[0].collaborators} if single else set()
            return self._render_access(clients, staff, checked, MODE_ADD, back)

        mode = MODE_REPLACE if single else request.form.get("mode", MODE_ADD)
        submitted = request.form.getlist("users")
        errors = []
        if mode not in (MODE_ADD, MODE_REPLACE):
            errors.append(gettext("Choisissez « Ajouter à l'accès existant » ou « Remplacer l'accès »."))
            mode = MODE_ADD
        chosen = set()
        for value in submitted:
            if not value.isdigit() or int(value) not in staff_ids:
                errors.append(gettext(
                    "Un des collaborateurs choisis n'appartient pas à ce cabinet : rien n'a été "
                    "enregistré."))
                break
            chosen.add(int(value))
        if not errors and mode == MODE_ADD and not chosen:
            errors.append(gettext("Choisissez au moins un collaborateur à ajouter."))
        if errors:
            checked = {int(v) for v in submitted if v.isdigit() and int(v) in staff_ids}
            return self._render_access(clients, staff, checked, mode, back, errors=errors)

        users = [user for user, _role in staff if user.id in chosen]
        for client in clients:
            if mode == MODE_REPLACE:
                client.collaborators = list(users)
            else:
                current = {user.id for user in client.collaborators}
                client.collaborators.extend(user for user in users if user.id not in current)
        db.session.commit()
        flash(ngettext("Accès mis à jour pour %(num)d client.",
                       "Accès mis à jour pour %(num)d clients.", len(clients)), "success")
        return redirect(back)

    # 5. Accéder au compte ------------------------------------------------------
    @expose("/<int:pk>/compte")
    @has_access
    def account(self, pk):
        """« Accéder au compte »: open the client's invoicing space (recorded)."""
        from flask_login import current_user

        from app.views.space import open_account

        client = visible_or_404(Client, pk)
        open_account(client, current_user)
        return redirect(url_for("SpaceHomeView.index"))

    # 6. Dashboard pins ---------------------------------------------------------
    @expose("/<int:pk>/pin", methods=["POST"])
    @has_access
    def pin(self, pk):
        return self._change_pin(
            pk, pin_clients,
            _l("« %(name)s » est épinglé à votre tableau de bord."),
            _l("« %(name)s » était déjà sur votre tableau de bord."))

    @expose("/<int:pk>/unpin", methods=["POST"])
    @has_access
    def unpin(self, pk):
        return self._change_pin(
            pk, unpin_clients,
            _l("« %(name)s » est retiré de votre tableau de bord."),
            _l("« %(name)s » n'était pas sur votre tableau de bord."))

    @staticmethod
    def _change_pin(pk, change, done, unchanged):
        """Pin or unpin one visible client for the current user, say so, go back."""
        client = visible_or_404(Client, pk)
        changed = change(db.session, g.user.id, [client.id])
        db.session.commit()
        message = done if changed else unchanged
        flash(str(message) % {"name": client.name}, "success" if changed else "info")
        return redirect(safe_next(url_for(".sheet", pk=client.id)))

    # ---------------------------------------------------------------------------
    def _can(self, permission):
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    @staticmethod
    def _is_pinned(client):
        return bool(db.session.scalar(select(exists().where(
            DashboardPin.user_id == g.user.id, DashboardPin.client_id == client.id))))

    def _render_access(self, clients, staff, checked, mode, back, errors=()):
        single = len(clients) == 1
        # For several clients: how many of them each collaborator already follows.
        following = {}
        for client in clients:
            for user in client.collaborators:
                following[user.id] = following.get(user.id, 0) + 1
        return self.render_template(
            "passerelle/clients/access.html",
            title=gettext("Gérer l'accès"),
            clients=clients, single=single, staff=staff, checked=checked, mode=mode,
            following=following, back=back, errors=list(errors), restricted_role=RESTRICTED,
            ids=",".join(str(client.id) for client in clients),
            next_url=request.values.get("next") if safe_next(None) else None,
        )


# Invoicing figures of the sheet (« Tableau de bord », « Informations ») --------------------
# Imported here, with the helpers, to keep this section self-contained.
from types import SimpleNamespace  # noqa: E402

from babel.dates import format_date as babel_format_date  # noqa: E402
from flask import current_app  # noqa: E402
from flask_babel import get_locale  # noqa: E402

from app import charts  # noqa: E402
from app.formatting import format_date, format_money  # noqa: E402
from app.invoicing import reporting  # noqa: E402

def client_plan(client):
    return db.session.scalars(select(AccountingPlan).where(
        AccountingPlan.client_id == client.id)).first()


def applicable_plans():
    """Defaults and the cabinet's templates, as the user sees them."""
    statement = select(AccountingPlan).where(AccountingPlan.client_id.is_(None))
    criteria = visible_criteria(AccountingPlan, current_scope() or NOTHING)
    if criteria is not None:
        statement = statement.where(criteria)
    return db.session.scalars(statement.order_by(AccountingPlan.cabinet_id.is_not(None),
                                                 AccountingPlan.name)).all()


def sheet_accounting(client):
    """The « Comptabilité » tab: the client's plan, and the plans it could get."""
    plan = client_plan(client)
    counts = {}
    if plan is not None:
        counts = {
            "accounts": db.session.scalar(select(func.count()).where(
                PlanAccount.plan_id == plan.id)),
            "vat_rates": db.session.scalar(select(func.count()).where(
                PlanVatRate.plan_id == plan.id)),
            "payment_modes": db.session.scalar(select(func.count()).where(
                PlanPaymentMode.plan_id == plan.id)),
        }
    return {"client_plan": plan, "plan_counts": counts, "applicable_plans": applicable_plans()}


def sheet_export(client):
    """The « Export comptable » card: ready or blocked (and why), last export."""
    from app.exports.batches import last_exports
    from app.exports.checks import export_blockers
    from app.views.exports import blocker_rows

    can_export = current_app.appbuilder.sm.has_access("can_export", "ExportView")
    if not can_export:
        return {"can_export": False, "export_blockers": [], "last_export": None}
    blockers = export_blockers(db.session, client, gettext)
    return {"can_export": True, "export_blockers": blocker_rows(client, blockers),
            "last_export": last_exports(db.session, [client.id]).get(client.id)}


def sheet_imports(client, shown=5):
    """The « Imports » tab: the latest imports of the dossier and the way to import."""
    if not current_app.appbuilder.sm.has_access("can_import", "ImportView"):
        return {"can_import": False, "recent_imports": []}
    return {"can_import": True, "recent_imports": recent_imports(db.session, client.id, shown)}


REPORTING_TABS = ("tableau-de-bord", "informations")
TOP_CUSTOMERS = 5
# The aged balance names its largest debtors; the others are summed on one line.
AGED_CUSTOMERS_SHOWN = 20
AGED_BUCKET_LABELS = {
    reporting.NOT_DUE: _l("Non échu"),
    reporting.OVERDUE_0_30: _l("0–30 jours"),
    reporting.OVERDUE_31_60: _l("31–60 jours"),
    reporting.OVERDUE_61_90: _l("61–90 jours"),
    reporting.OVERDUE_OVER_90: _l("Plus de 90 jours"),
}
# Pattern and colour per bucket: from plain green (not due) to dense dark red, so the
# buckets differ in grey too. Every colour is at least 4.5:1 against white.
AGED_BUCKET_STYLES = {
    reporting.NOT_DUE: ("solid", "#1a7f6b"),
    reporting.OVERDUE_0_30: ("dots", "#8a6100"),
    reporting.OVERDUE_31_60: ("diagonal", "#b34d12"),
    reporting.OVERDUE_61_90: ("crosshatch", "#b03a2e"),
    reporting.OVERDUE_OVER_90: ("dense", "#6e1a1a"),
}
REVENUE_COLOR = "#1f6f8b"
DOCUMENTS_COLOR = "#34495e"
PAYMENTS_COLOR = "#1a7f6b"
CUSTOMERS_COLOR = "#1f6f8b"
# Drawing widths, close to the width the charts get on a desktop screen so that their
# texts keep their size: money by month spans the tab, the others half of it.
WIDE_CHART, HALF_CHART = 1000, 500


def sheet_today():
    """Today in the firm's time zone (the figures' months and overdue days)."""
    return reporting.today_in(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"))


def _locale_name():
    return str(get_locale() or "fr")


def sheet_reporting(client, tab):
    """Template variables holding the figures of `tab` (only that one's)."""
    if tab == "tableau-de-bord":
        return {"invoicing": invoicing_activity(client, sheet_today())}
    if tab == "informations":
        return {"aged": aged_balance_figures(client, sheet_today())}
    return {}


def _month_bars(months, value_of, display, short):
    locale = _locale_name()
    bars = []
    for index, figures in enumerate(months):
        value = value_of(figures)
        first_of_year = index == 0 or figures.month.month == 1
        bars.append(charts.Bar(
            label=babel_format_date(figures.month, "MMM", locale=locale),
            sublabel=str(figures.month.year) if first_of_year else None,
            name=babel_format_date(figures.month, "MMMM y", locale=locale),
            value=value, display=display(value), short=short(value)))
    return bars


def invoicing_activity(client, today):
    """« Tableau de bord »: the last 12 months (revenue, documents, payments) and
    the best customers, as charts with their data tables. Three statements."""
    months = reporting.monthly_activity(db.session, client.id, today)
    customers = reporting.top_customers(db.session, client.id, today, limit=TOP_CUSTOMERS)
    locale = _locale_name()
    whole_euros = charts.money_formatter(locale, cents=False)
    ticks = charts.money_formatter(locale, cents=None)
    count = charts.count_formatter(locale)
    revenue = sum((month.revenue_ht for month in months), reporting.ZERO)
    documents = sum(month.documents for month in months)
    payments = sum((month.payments for month in months), reporting.ZERO)
    toggle = gettext("Afficher les données")
    month_header = gettext("Mois")
    period = gettext("%(first)s à %(last)s",
                     first=babel_format_date(months[0].month, "MMMM y", locale=locale),
                     last=babel_format_date(months[-1].month, "MMMM y", locale=locale))
    by_month = gettext("Barres verticales, une par mois, de %(period)s. Les valeurs figurent "
                       "aussi dans le tableau des données.", period=period)
    total_label = gettext("Total sur 12 mois")

    revenue_chart = charts.vertical_bar_chart(
        _month_bars(months, lambda m: m.revenue_ht, format_money, whole_euros),
        chart_id=f"ca-ht-{client.id}", title=gettext("CA HT par mois"),
        subtitle=gettext("Total sur 12 mois : %(amount)s", amount=format_money(revenue)),
        label_header=month_header, value_header=gettext("CA HT"), tick_format=ticks,
        description=by_month, total=(total_label, format_money(revenue)),
        toggle_label=toggle, color=REVENUE_COLOR, width=WIDE_CHART, plot_height=170)
    documents_chart = charts.vertical_bar_chart(
        _month_bars(months, lambda m: m.documents, count, count),
        chart_id=f"documents-{client.id}", title=gettext("Documents émis par mois"),
        subtitle=ngettext("%(num)d document émis sur 12 mois",
                          "%(num)d documents émis sur 12 mois", documents),
        label_header=month_header, value_header=gettext("Documents émis"), tick_format=count,
        integer=True, description=by_month, total=(total_label, count(documents)),
        toggle_label=toggle, color=DOCUMENTS_COLOR, width=HALF_CHART)
    payments_chart = charts.vertical_bar_chart(
        _month_bars(months, lambda m: m.payments, format_money, whole_euros),
        chart_id=f"reglements-{client.id}", title=gettext("Règlements reçus par mois"),
        subtitle=gettext("Total sur 12 mois : %(amount)s", amount=format_money(payments)),
        label_header=month_header, value_header=gettext("Règlements reçus"),
        tick_format=ticks, description=by_month,
        total=(total_label, format_money(payments)), toggle_label=toggle, color=PAYMENTS_COLOR,
        width=WIDE_CHART, plot_height=170)
    customers_chart = None
    if customers:
        customers_chart = charts.horizontal_bar_chart(
            [charts.Bar(label=customer.name, value=customer.revenue_ht,
                        display=format_money(customer.revenue_ht))
             for customer in customers],
            chart_id=f"meilleurs-clients-{client.id}", title=gettext("Meilleurs clients"),
            subtitle=gettext("CA HT sur 12 mois, %(period)s", period=period),
            label_header=gettext("Client"), value_header=gettext("CA HT"),
            description=gettext("Barres horizontales, une par client, du plus important au "
                                "moins important. Les valeurs figurent aussi dans le tableau "
                                "des données."),
            toggle_label=toggle, color=CUSTOMERS_COLOR, width=HALF_CHART, row_height=34)
    return SimpleNamespace(
        months=months, customers=customers, revenue=revenue, documents=documents,
        payments=payments, period=period,
        is_empty=documents == 0 and payments == 0,
        revenue_chart=revenue_chart, documents_chart=documents_chart,
        payments_chart=payments_chart, customers_chart=customers_chart)


def aged_balance_figures(client, today):
    """« Balance âgée »: what the client's customers owe by age, as a chart of the
    buckets and a table of the customers behind them. One statement."""
    aged = reporting.aged_balance(db.session, client.id, today,
                                  customer_limit=AGED_CUSTOMERS_SHOWN)
    buckets = [
        SimpleNamespace(key=key, label=AGED_BUCKET_LABELS[key], amount=aged.buckets[key],
                        swatch=charts.pattern_swatch(*AGED_BUCKET_STYLES[key],
                                                     ident=f"aged-{client.id}-{key}"))
        for key in reporting.BUCKETS]
    chart = None
    if not aged.is_empty:
        chart = charts.horizontal_bar_chart(
            [charts.Bar(label=str(bucket.label), value=bucket.amount,
                        display=format_money(bucket.amount),
                        pattern=AGED_BUCKET_STYLES[bucket.key][0],
                        color=AGED_BUCKET_STYLES[bucket.key][1])
             for bucket in buckets],
            chart_id=f"balance-agee-{client.id}",
            title=gettext("Balance âgée au %(date)s", date=format_date(today)),
            label_header=gettext("Ancienneté"), value_header=gettext("Montant dû"),
            description=gettext("Barres horizontales, une par ancienneté de créance, chacune "
                                "avec son motif. Le détail par client figure dans le tableau "
                                "qui suit."),
            caption=False, data_table=False, label_width=130, width=600)
    return SimpleNamespace(balance=aged, buckets=buckets, chart=chart, today=today,
                           as_of=format_date(today))
