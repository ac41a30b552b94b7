"""Registers every screen and API with FAB (one place for the menu)."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder):
    from app.views.clients import ClientApi, ClientView

    appbuilder.add_view(ClientView, "Clients", label=_l("Clients"), icon="fa-briefcase")
    appbuilder.add_api(ClientApi)
    from app.views.client_sheet import ClientSheetView

    appbuilder.add_view_no_menu(ClientSheetView)
    from app.views.exports import ExportView

    appbuilder.add_view_no_menu(ExportView)
    from app.views.account import AccountView

    appbuilder.add_view_no_menu(AccountView)
    from app.views.support import SupportMessageView, SupportView

    appbuilder.add_view_no_menu(SupportView)
    # « Plateforme » holds the platform Admin's screens: no other role matches it.
    appbuilder.add_view(SupportMessageView, "SupportMessageView",
                        label=_l("Messages au support"), icon="fa-life-ring",
                        category="Plateforme", category_label=_l("Plateforme"),
                        category_icon="fa-server")
    register_space_views(appbuilder)
    register_plan_views(appbuilder)
    register_cabinet_views(appbuilder)


def register_cabinet_views(appbuilder):
    """« Réglages du cabinet » (Propriétaire and Administrateur, roles.CABINET_SETTINGS);
    the logos are served to every logged-in user of the cabinet and of its clients."""
    from app.views.cabinet import CabinetLogoView, CabinetSettingsView
    from app.views.cabinet_account import CabinetAdminView, CabinetDeletionView
    from app.views.collaborators import CollaboratorView

    category = {"category": "Réglages du cabinet", "category_label": _l("Réglages du cabinet"),
                "category_icon": "fa-building"}
    appbuilder.add_view(CabinetSettingsView, "CabinetSettingsView",
                        label=_l("Profil du cabinet"), icon="fa-id-card-o", **category)
    appbuilder.add_view(CollaboratorView, "CollaboratorView", label=_l("Collaborateurs"),
                        icon="fa-users", **category)
    appbuilder.add_view_no_menu(CabinetDeletionView)
    appbuilder.add_view(CabinetAdminView, "CabinetAdminView", label=_l("Cabinets"),
                        icon="fa-building", category="Plateforme",
                        category_label=_l("Plateforme"), category_icon="fa-server")
    appbuilder.add_view_no_menu(CabinetLogoView)


def register_plan_views(appbuilder):
    """« Paramètres > Comptabilité » for the firm; a plan's sections have no menu
    entry (they are reached from a plan); the client user, when the firm allows
    it, finds its own plan under « Facturation »."""
    from app.views.plans import (
        PlanAccountView, PlanArticleView, PlanCategoryView, PlanChargeView, PlanContactView,
        PlanPaymentModeView, PlanVatRateView, PlanView,
    )

    appbuilder.add_view(PlanView, "Comptabilité", label=_l("Comptabilité"), icon="fa-book",
                        category="Paramètres", category_label=_l("Paramètres"),
                        category_icon="fa-cog")
    for view in (PlanAccountView, PlanVatRateView, PlanPaymentModeView, PlanChargeView,
                 PlanCategoryView, PlanContactView, PlanArticleView):
        appbuilder.add_view_no_menu(view)
    appbuilder.add_link("MyAccountingPlan", href="/comptabilite/plans/mon-plan",
                        label=_l("Paramètres comptables"), icon="fa-book",
                        category="Facturation")
    from app.views.imports import ImportView

    appbuilder.add_view_no_menu(ImportView)
    appbuilder.add_link("MyImports", href="/imports/mon-dossier", label=_l("Imports"),
                        icon="fa-upload", category="Facturation")


def register_space_views(appbuilder):
    """The invoicing space: in the menu of the client user only (roles.SPACE_MENU);
    the firm reaches it from a client (« Accéder au compte »)."""
    from app.views.documents import DocumentView, PaymentView
    from app.views.space import (
        AccountAccessView, ArticleCategoryView, ArticleView, ChargeView, ContactView,
        SpaceHomeView,
    )

    category = "Facturation"
    menu = [
        (SpaceHomeView, _l("Accueil"), "fa-home"),
        (DocumentView, _l("Documents"), "fa-file-text-o"),
        (PaymentView, _l("Règlements"), "fa-money"),
        (ContactView, _l("Clients facturés"), "fa-address-book"),
        (ArticleView, _l("Articles"), "fa-cube"),
        (ArticleCategoryView, _l("Catégories d'articles"), "fa-tags"),
        (ChargeView, _l("Taxes, frais et remises"), "fa-percent"),
        (AccountAccessView, _l("Accès du cabinet"), "fa-eye"),
    ]
    for view, label, icon in menu:
        appbuilder.add_view(view, view.__name__, label=label, icon=icon, category=category,
                            category_label=_l("Facturation"), category_icon="fa-file-text-o")
