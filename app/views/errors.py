"""Error pages and API errors in French (Werkzeug's own pages are English)."""
from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

TITLES = {
    400: _l("Requête invalide"),
    401: _l("Connexion requise"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Méthode non autorisée"),
    413: _l("Fichier trop volumineux"),
    429: _l("Trop de tentatives"),
    500: _l("Erreur interne"),
}
MESSAGES = {
    403: _l("Votre rôle ne permet pas cette action."),
    404: _l("Cette page n'existe pas ou vous n'y avez pas accès."),
    413: _l("La requête dépasse la taille autorisée."),
    429: _l("Trop de tentatives en peu de temps : patientez quelques secondes avant de réessayer."),
    500: _l("Une erreur inattendue s'est produite. L'équipe technique a été prévenue."),
}


def _own_message(error):
    """Our own abort(…, description=…) messages are French; Werkzeug's default ones are not."""
    default = type(error).description
    return error.description if error.description and error.description != default else None


def render_http_error(error: HTTPException):
    if error.response is not None and error.response.status_code != 200:
        return error.response  # a response built on purpose (e.g. a JSON 400)
    code = error.code or 500
    title = str(TITLES.get(code, _l("Erreur")))
    message = _own_message(error) or (str(MESSAGES[code]) if code in MESSAGES else None)
    if request.path.startswith("/api/"):
        response = jsonify(message=message or title)
        response.status_code = code
        return response
    try:
        body = render_template("errors/error.html", code=code, title=title, message=message,
                               appbuilder=current_app.appbuilder)
    except Exception:  # never let an error page fail
        body = f"<h1>{code} — {title}</h1><p>{message or ''}</p>"
    return body, code


def register_error_pages(app):
    app.register_error_handler(HTTPException, render_http_error)
