"""Request guards for inputs FAB turns into 500s (DESIGN.md §6)."""
import prison
from flask import abort, current_app, jsonify, request
from werkzeug.exceptions import MethodNotAllowed
from flask_babel import gettext

MAX_ID = 2**63 - 1


def _positive_int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _bad_request(message):
    if request.path.startswith("/api/"):
        response = jsonify(message=message)
        response.status_code = 400
        abort(response)
    abort(400, description=message)


def check_list_arguments():
    """psize_<View> and page_<View> must be sane integers; ids must fit in 64 bits;
    an API `q` must be a Rison object."""
    max_size = current_app.config["MAX_PAGE_SIZE"]
    for name, value in request.args.items():
        if name.startswith("psize_"):
            size = _positive_int(value)
            if size is None or size > max_size:
                _bad_request(gettext(
                    "Taille de page invalide : « %(value)s ». Indiquez un nombre entier entre 1 et %(max)d.",
                    value=value[:20], max=max_size))
        elif name.startswith("page_"):
            if _positive_int(value) is None and value != "0":
                _bad_request(gettext("Numéro de page invalide : « %(value)s ».", value=value[:20]))
    if isinstance(request.routing_exception, MethodNotAllowed) and request.path.startswith("/api/"):
        # GET /api/v1/client/abc matches the PUT/DELETE rule /<pk>: it is an unknown
        # record, not a wrong method.
        last = request.path.rstrip("/").rsplit("/", 1)[-1]
        number = _positive_int(last)
        if number is None or number > MAX_ID:
            abort(404)
    for key, value in (request.view_args or {}).items():
        if key == "pk":
            number = _positive_int(value)
            if number is None or number > MAX_ID:
                abort(404)
    if request.path.startswith("/api/") and "q" in request.args:
        try:
            parsed = prison.loads(request.args["q"])
        except Exception:
            parsed = None
        if not isinstance(parsed, dict):
            _bad_request(gettext("Paramètre « q » invalide : un objet Rison est attendu, par exemple (page:0)."))


def check_action_name():
    """FAB's own views (the Security screens) answer 500 to an unknown action name in
    /<view>/action/<name>/<pk>: an unknown action is a page that does not exist."""
    endpoint = request.endpoint or ""
    name = (request.view_args or {}).get("name")
    if name is None or not endpoint.endswith(".action"):
        return
    view_name = endpoint.rsplit(".", 1)[0]
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == view_name and name not in getattr(view, "actions", {}):
            abort(404)


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
