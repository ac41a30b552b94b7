"""The six roles of Passerelle, defined here and nowhere else.

They are FAB "builtin" roles: their permissions are regular expressions
checked in code (view name, permission name), so the database only holds the
role rows that users are linked to. `flask sync-roles` (and start-up) creates
those rows; changing a role means changing this file.
"""
from flask_babel import lazy_gettext as _l

ADMIN = "Admin"
OWNER = "Propriétaire"
ADMINISTRATOR = "Administrateur"
COLLABORATOR = "Collaborateur"
RESTRICTED = "Accès restreint"
CLIENT = "Client"
PUBLIC = "Public"

STAFF_ROLES = (OWNER, ADMINISTRATOR, COLLABORATOR, RESTRICTED)
# Roles a cabinet may give its collaborators (Propriétaire only by transfer).
ASSIGNABLE_STAFF_ROLES = (ADMINISTRATOR, COLLABORATOR, RESTRICTED)

ROLE_DESCRIPTIONS = {
    ADMIN: _l("Opérateur de la plateforme : tout, y compris le menu Sécurité"),
    OWNER: _l("Propriétaire du cabinet : tout dans son cabinet"),
    ADMINISTRATOR: _l("Administrateur : tout dans son cabinet sauf supprimer le compte"),
    COLLABORATOR: _l("Collaborateur : tous les clients du cabinet, sans les paramètres"),
    RESTRICTED: _l("Accès restreint : seulement les clients qui lui sont attribués"),
    CLIENT: _l("Client : son propre espace de facturation"),
}


def _exact(*names):
    return "^(" + "|".join(names) + ")$"


# Each capability is a list of (view regex, permission regex) pairs.
OWN_PROFILE = [
    (_exact("UserInfoEditView", "ResetMyPasswordView"), _exact("can_this_form_get", "can_this_form_post")),
    # FAB names the permission after the registered class (our subclass, see manager.py).
    (_exact("PasserelleUserDBModelView"), _exact("can_userinfo")),
    (_exact("Menu"), _exact("can_get")),
]
API_DOCS = [
    (_exact("OpenApi"), _exact("can_get")),
    (_exact("SwaggerView"), _exact("can_show")),
]
CLIENTS_READ_WRITE = [
    (_exact("Clients"), _exact("menu_access")),
    (_exact("ClientView"), _exact("can_list", "can_show", "can_edit")),
    (_exact("ClientApi"), _exact("can_get", "can_put", "can_info")),
]
# « Gérer l'accès »: who follows which client. Not for Accès restreint, who could
# otherwise widen or narrow their own view.
CLIENTS_MANAGE_ACCESS = [
    (_exact("ClientView"), _exact("can_manage_access")),
]
CLIENTS_CREATE_DELETE = [
    (_exact("ClientView"), _exact("can_add", "can_delete")),
    (_exact("ClientApi"), _exact("can_post", "can_delete")),
]
OWN_DOSSIER_READ = [
    (_exact("ClientApi"), _exact("can_get")),
]
# The client's invoicing space. Staff hold the same permissions: whether they may
# use the writing ones in a given client's space is decided per client by
# app.security.space (read only unless the client made the firm administrator).
SPACE_VIEWS = ("SpaceHomeView", "ContactView", "ArticleCategoryView", "ArticleView",
               "ChargeView", "DocumentView", "PaymentView", "AccountAccessView")
SPACE = [
    (_exact(*SPACE_VIEWS), "^can_.*$"),
]
# Only the client user sees the space in the menu; the firm enters it from a client.
SPACE_MENU = [
    (_exact("Facturation", *SPACE_VIEWS), _exact("menu_access")),
]

# Charts of accounts: the plans screen and each plan's sections. Which plan may be
# opened and changed is decided per plan by app.security.plans.
PLAN_SECTION_VIEWS = ("PlanView", "PlanAccountView", "PlanVatRateView", "PlanPaymentModeView",
                      "PlanChargeView", "PlanCategoryView", "PlanContactView", "PlanArticleView")
PLANS = [
    (_exact("Paramètres", "Comptabilité"), _exact("menu_access")),
    (_exact(*PLAN_SECTION_VIEWS), "^can_.*$"),
]
# The client user: its own plan's sections (when the firm allows it), never the
# firm's list of plans nor duplicating them.
OWN_PLAN = [
    (_exact(*PLAN_SECTION_VIEWS[1:]), "^can_.*$"),
    (_exact("PlanView"), _exact("can_show", "can_edit")),
    (_exact("MyAccountingPlan"), _exact("menu_access")),
]

# « Votre compte » (profile and password) and « Contacter le support »: everyone logged in.
OWN_ACCOUNT = [
    (_exact("AccountView"), _exact("can_profile", "can_password")),
    (_exact("SupportView"), _exact("can_send")),
    # The cabinet's logos: its staff see the interface one, its clients the client one
    # (which logo a user may fetch is decided in app.views.cabinet).
    (_exact("CabinetLogoView"), _exact("can_show")),
]
# « Réglages du cabinet »: Propriétaire and Administrateur only (the server refuses
# the others, not only the menu). Deleting the cabinet account is the owner's alone,
# checked in the view against Cabinet.owner_id.
CABINET_SETTINGS = [
    (_exact("Réglages du cabinet", "CabinetSettingsView", "CollaboratorView",
            "CabinetDeletionView"),
     "^(menu_access|can_.*)$"),
]
# Accounting exports of the clients the user sees (Accès restreint: its own clients).
EXPORTS = [
    (_exact("ExportView"), _exact("can_show", "can_export")),
]
# Imports of contacts and articles: into the clients the user sees; the client user
# into its own dossier when the firm allows it (decided in app.security.imports).
IMPORTS = [
    (_exact("ImportView"), _exact("can_show", "can_import")),
]
OWN_IMPORTS = IMPORTS + [(_exact("MyImports"), _exact("menu_access"))]
FIRM_STAFF = (OWN_PROFILE + OWN_ACCOUNT + API_DOCS + CLIENTS_READ_WRITE + CLIENTS_CREATE_DELETE
              + CLIENTS_MANAGE_ACCESS + SPACE + PLANS + EXPORTS + IMPORTS)

ROLE_PERMISSIONS = {
    ADMIN: [(".*", ".*")],
    # Propriétaire and Administrateur differ on the cabinet account itself
    # (deletion), which has no screen yet.
    OWNER: FIRM_STAFF + CABINET_SETTINGS,
    ADMINISTRATOR: FIRM_STAFF + CABINET_SETTINGS,
    COLLABORATOR: FIRM_STAFF,
    RESTRICTED: OWN_PROFILE + OWN_ACCOUNT + API_DOCS + CLIENTS_READ_WRITE + SPACE + PLANS
    + EXPORTS + IMPORTS,
    CLIENT: OWN_PROFILE + OWN_ACCOUNT + OWN_DOSSIER_READ + SPACE + SPACE_MENU + OWN_PLAN
    + OWN_IMPORTS,
}


def fab_roles_config():
    """The FAB_ROLES setting: {role name: [[view regex, permission regex], …]}."""
    return {name: [list(pair) for pair in pairs] for name, pairs in ROLE_PERMISSIONS.items()}


def sync_roles(security_manager, write_permissions=True):
    """Create the role rows that are missing and, optionally, register every
    view's permissions so that the Security screens list them. Idempotent."""
    created = []
    for name in list(ROLE_PERMISSIONS) + [PUBLIC]:
        if security_manager.find_role(name) is None:
            security_manager.add_role(name)
            created.append(name)
    if write_permissions:
        security_manager.appbuilder.add_permissions(update_perms=True)
    return created
