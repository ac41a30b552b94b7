"""Registers every screen and API with FAB (one place for the menu)."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder):
    from app.views.clients import ClientApi, ClientView

    appbuilder.add_view(ClientView, "Clients", label=_l("Clients"), icon="fa-briefcase")
    appbuilder.add_api(ClientApi)
    from app.views.client_sheet import ClientSheetView; appbuilder.add_view_no_menu(ClientSheetView)  # noqa: E702
