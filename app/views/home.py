"""Home page: the login for visitors, a summary for a logged-in user."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, DashboardPin
from app.security.tenancy import ScopeKind, current_scope


class HomeView(IndexView):
    index_template = "passerelle/home.html"

    @expose("/")
    def index(self):
        if not g.user or not g.user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.__class__.__name__ + ".login"))
        scope = current_scope()
        staff = scope is not None and scope.kind in (ScopeKind.CABINET, ScopeKind.RESTRICTED,
                                                     ScopeKind.PLATFORM)
        stats = {}
        if staff:
            # The ORM backstop scopes these counts to what the user may see.
            stats["clients"] = db.session.scalar(select(func.count(Client.id)))
            stats["without_dossier"] = db.session.scalar(
                select(func.count(Client.id)).where(Client.dossier_code.is_(None))
            )
            stats["pins"] = db.session.scalar(
                select(func.count(DashboardPin.id)).where(DashboardPin.user_id == g.user.id)
            )
        return self.render_template(self.index_template, staff=staff, stats=stats, scope=scope)
