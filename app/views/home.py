"""Home page: the login for visitors, the dashboard for a logged-in user.

Firm staff see their cabinet's collaborators, the client activity (with this
month's invoicing figures) and their pinned dossiers; the platform operator a summary over all cabinets; a client
user a short message (their invoicing space comes with a later issue).
Every figure goes through the tenant criteria (app.security.tenancy), queried
in app.clients.dashboard with a constant number of queries.
"""
from babel.dates import format_date
from flask import current_app, g, redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import get_locale

from app.clients import dashboard
from app.extensions import db
from app.invoicing.reporting import today_in
from app.models import Client
from app.models.mixins import utcnow
from app.security import roles
from app.security.tenancy import ScopeKind, current_scope, visible_criteria

STAFF_SCOPES = (ScopeKind.CABINET, ScopeKind.RESTRICTED, ScopeKind.PLATFORM)
# Who may manage the cabinet's collaborators (DESIGN.md §1).
MANAGERS = {roles.OWNER, roles.ADMINISTRATOR}

# The client list's filters behind each figure (app/clients/listing.py).
LIST_LINKS = {
    "all": "/clientview/list/",
    "never": "/clientview/list/?last_login=never",
    "month": "/clientview/list/?created=month",
    "missing": "/clientview/list/?dossier=missing",
}


def client_sheet_url(pk):
    """« Voir la fiche client »."""
    return url_for("ClientSheetView.sheet", pk=pk)


def client_account_url(pk):
    """« Accéder au compte »: the client's invoicing space."""
    return url_for("ClientSheetView.account", pk=pk)


def client_unpin_url(pk):
    """« Retirer »: unpin, then come back to the dashboard."""
    return url_for("ClientSheetView.unpin", pk=pk, next="/")


def local_today():
    """Today in the firm's time zone: the month of the invoicing figures."""
    return today_in(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"))


def user_level(user):
    """The user's highest staff role (owner first), or None."""
    names = user.role_names
    return next((name for name in roles.STAFF_ROLES if name in names), None)


class HomeView(IndexView):
    index_template = "passerelle/home.html"

    @expose("/")
    def index(self):
        if not g.user or not g.user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.__class__.__name__ + ".login"))
        scope = current_scope()
        if scope is not None and scope.kind is ScopeKind.CLIENT:
            # A client user's home is their invoicing space.
            return redirect(url_for("SpaceHomeView.index"))
        if scope is None or scope.kind not in STAFF_SCOPES:
            return self.render_template(self.index_template, staff=False, scope=scope)

        session = db.session
        visible = visible_criteria(Client, scope)
        now = utcnow()
        invoicing = dashboard.invoicing_this_month(session, visible, local_today())
        context = {
            "staff": True,
            "scope": scope,
            "platform": scope.is_platform,
            "restricted": scope.kind is ScopeKind.RESTRICTED,
            # The platform operator gets the figures only, not other cabinets' connections.
            "activity": dashboard.client_activity(
                session, visible, now,
                recent_limit=0 if scope.is_platform else dashboard.RECENT_CONNECTIONS),
            "month_start": dashboard.month_start(now),
            "invoicing": invoicing,
            "invoicing_month": format_date(invoicing.month, "MMMM y",
                                           locale=str(get_locale() or "fr")),
            "pins": dashboard.pinned_cards(session, scope.user_id, visible),
            "links": LIST_LINKS,
            "sheet_url": client_sheet_url,
            "account_url": client_account_url,
            "unpin_url": client_unpin_url,
        }
        if scope.is_platform:
            context["summary"] = dashboard.platform_summary(session)
        else:
            level = user_level(g.user)
            context.update(
                level=level,
                can_manage_collaborators=level in MANAGERS,
                collaborators=dashboard.collaborators(session, scope.cabinet_id, visible),
            )
        return self.render_template(self.index_template, **context)
