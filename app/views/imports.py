"""« Imports » of a client dossier (issue 8): the templates to download, the upload,
the preview with every problem found, the report of the rejected rows, and the
confirmation that writes all the rows or none.

Thin: reading, validating and writing are app.imports (the pure engine and its
database service). Which client a user may import into is app.security.imports:
another cabinet's client, an unassigned one for Accès restreint, or the client
user's own dossier while the firm keeps its accounting settings closed, answer
404 as if they did not exist. An upload waits for its confirmation in the
database (ImportUpload), reachable only by the user who sent it, with its token.
"""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.formatting import format_number
from app.imports.columns import KINDS
from app.imports.reading import FileRefused, Limits, limits_from, size_limit
from app.imports.service import (
    ImportRefused, client_vat_rates, load_upload, preview_import, purge_expired_uploads,
    recent_imports, run_import, store_upload,
)
from app.imports.spreadsheets import rejected_rows_xlsx, template_csv, template_xlsx
from app.models.mixins import utcnow
from app.security.imports import importable_client
from app.security.tenancy import NOTHING, ScopeKind, current_scope

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
HISTORY_SIZE = 20
PROBLEMS_SHOWN = 500
ROWS_SHOWN = 100
# The columns the preview shows of each row to create or update (contacts have 13:
# those that tell one customer from another).
PREVIEW_KEYS = {
    "contacts": ("is_company", "name", "first_name", "postcode", "city", "email", "siren",
                 "auxiliary_account"),
    "articles": ("reference", "label", "nature", "unit_price_ht", "vat_rate", "category",
                 "account"),
}


def import_limits() -> Limits:
    return limits_from(current_app.config)


def client_or_404(pk):
    client = importable_client(db.session, pk)
    if client is None:
        abort(404)
    return client


def kind_or_404(code):
    kind = KINDS.get(code)
    if kind is None:
        abort(404)
    return kind


def read_upload(limits: Limits):
    """The uploaded file's name and bytes, read up to one byte past the limit (the
    engine then refuses it by its size, without the whole file in memory)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, None
    return upload.filename, upload.stream.read(limits.max_bytes + 1)


def vat_rates_of(client):
    return sorted(client_vat_rates(db.session, client.id))


def is_staff() -> bool:
    """Firm staff reach the imports from the client sheet; the client user from its space."""
    return (current_scope() or NOTHING).kind is not ScopeKind.CLIENT


def preview_rows(outcome, kind) -> list:
    """The first rows the import would write: (line, action, values as typed)."""
    plan = outcome.plan
    raw = {row.line: row.values for row in outcome.table.rows}
    keys = PREVIEW_KEYS[kind.code]
    actions = [(line, "create") for line in plan.create_lines]
    actions += [(line, "update") for line in plan.update_lines]
    actions.sort()
    return [(line, action, [raw[line].get(key) for key in keys])
            for line, action in actions[:ROWS_SHOWN]]


def download(data: bytes, file_name: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _size_text(size: int) -> str:
    """« 16 Mo », « 200 ko »: the size limit, in the unit the refusal will use."""
    amount, unit = size_limit(size)
    if unit == "Mo":
        return gettext("%(amount)s Mo", amount=format_number(amount))
    return gettext("%(amount)s ko", amount=format_number(amount))


class ImportView(BaseView):
    route_base = "/imports"
    default_view = "mine"
    class_permission_name = "ImportView"
    method_permission_name = {
        "index": "show", "template": "show", "mine": "show",
        "check": "import", "preview": "import", "rejected": "import", "confirm": "import",
        "cancel": "import",
    }

    @expose("/mon-dossier")
    @has_access
    def mine(self):
        """The client user's entry (menu « Imports »): their own dossier."""
        scope = current_scope() or NOTHING
        if scope.kind is not ScopeKind.CLIENT:
            abort(404)
        return redirect(url_for(".index", pk=client_or_404(scope.client_id).id))

    @expose("/client/<int:pk>/")
    @has_access
    def index(self, pk):
        return self._render_index(client_or_404(pk))

    def _render_index(self, client, error=None, kind_code=None, status=200):
        records = recent_imports(db.session, client.id, HISTORY_SIZE)
        limits = import_limits()
        return self.render_template(
            "passerelle/imports/index.html", title=gettext("Imports"), client=client,
            kinds=list(KINDS.values()), kinds_by_code=KINDS, records=records, error=error,
            error_kind=kind_code, max_size=_size_text(limits.max_bytes),
            max_rows=format_number(limits.max_rows), is_staff=is_staff()), status

    @expose("/client/<int:pk>/modele/<kind>.<fmt>")
    @has_access
    def template(self, pk, kind, fmt):
        client = client_or_404(pk)
        import_kind = kind_or_404(kind)
        name = f"modele-import-{import_kind.code}"
        if fmt == "xlsx":
            return download(template_xlsx(import_kind, vat_rates_of(client), gettext=gettext),
                            f"{name}.xlsx", XLSX_TYPE)
        if fmt == "csv":
            return download(template_csv(import_kind), f"{name}.csv", CSV_TYPE)
        abort(404)

    @expose("/client/<int:pk>/verifier", methods=["POST"])
    @has_access
    def check(self, pk):
        """Read and validate the file (nothing is written), keep it for the
        confirmation, and show the preview."""
        client = client_or_404(pk)
        kind = kind_or_404(request.form.get("kind"))
        limits = import_limits()
        file_name, data = read_upload(limits)
        if data is None:
            return self._render_index(client, gettext("Choisissez un fichier à importer."),
                                      kind.code, 400)
        update = request.form.get("update_existing") == "1"
        try:
            preview_import(db.session, client, kind.code, data, file_name,
                           update_existing=update, gettext=gettext, limits=limits,
                           format_number=format_number)
        except FileRefused as refused:
            db.session.rollback()
            return self._render_index(client, refused.message, kind.code, 400)
        now = utcnow()
        purge_expired_uploads(db.session, now)
        upload = store_upload(
            db.session, client.id, current_user.id, kind.code, file_name, data, update, now,
            dt.timedelta(minutes=current_app.config["IMPORT_UPLOAD_TTL_MINUTES"]))
        db.session.commit()
        return redirect(url_for(".preview", pk=client.id, upload_id=upload.id,
                                token=upload.token))

    def _upload_or_404(self, client, upload_id):
        upload = load_upload(db.session, upload_id, request.values.get("token"),
                             current_user.id)
        if upload is None or upload.client_id != client.id:
            abort(404)
        return upload

    def _outcome(self, client, upload):
        return preview_import(db.session, client, upload.kind, upload.data, upload.file_name,
                              update_existing=upload.update_existing, gettext=gettext,
                              limits=import_limits(), format_number=format_number)

    @expose("/client/<int:pk>/apercu/<int:upload_id>")
    @has_access
    def preview(self, pk, upload_id):
        client = client_or_404(pk)
        upload = self._upload_or_404(client, upload_id)
        try:
            outcome = self._outcome(client, upload)
        except FileRefused as refused:  # the limits changed since the upload
            return self._render_index(client, refused.message, upload.kind, 400)
        return self._render_preview(client, upload, outcome)

    def _render_preview(self, client, upload, outcome, status=200):
        problems = outcome.plan.problems
        kind = KINDS[upload.kind]
        rows = preview_rows(outcome, kind) if outcome.ok else []
        return self.render_template(
            "passerelle/imports/preview.html", title=gettext("Aperçu de l'import"),
            client=client, upload=upload, kind=kind, outcome=outcome, is_staff=is_staff(),
            problems=problems[:PROBLEMS_SHOWN],
            hidden_problems=max(0, len(problems) - PROBLEMS_SHOWN),
            rows=rows, row_headers=[kind.column(key).header for key in PREVIEW_KEYS[kind.code]],
            hidden_rows=max(0, len(outcome.plan.creates) + len(outcome.plan.updates)
                            - len(rows))), status

    @expose("/client/<int:pk>/apercu/<int:upload_id>/lignes-refusees.xlsx")
    @has_access
    def rejected(self, pk, upload_id):
        client = client_or_404(pk)
        upload = self._upload_or_404(client, upload_id)
        outcome = self._outcome(client, upload)
        stem = upload.file_name.rsplit(".", 1)[0] or "import"
        return download(rejected_rows_xlsx(outcome.table, outcome.plan, gettext=gettext),
                        f"{stem}-lignes-refusees.xlsx", XLSX_TYPE)

    @expose("/client/<int:pk>/importer/<int:upload_id>", methods=["POST"])
    @has_access
    def confirm(self, pk, upload_id):
        """Validate again (the dossier may have changed since the preview) and write
        every row in this one transaction, or nothing."""
        client = client_or_404(pk)
        upload = self._upload_or_404(client, upload_id)
        try:
            outcome = run_import(
                db.session, client, upload.kind, upload.data, upload.file_name,
                update_existing=upload.update_existing, user_id=current_user.id,
                user_name=current_user.full_name or current_user.username, gettext=gettext,
                limits=import_limits(), format_number=format_number)
        except ImportRefused as refused:
            self._keep_refusal(refused)
            flash(gettext("Rien n'a été importé : le fichier contient des erreurs, listées "
                          "ci-dessous."), "danger")
            return self._render_preview(client, upload, refused.outcome, 409)
        except FileRefused as refused:
            db.session.rollback()
            return self._render_index(client, refused.message, upload.kind, 400)
        except IntegrityError:
            db.session.rollback()
            flash(gettext("Rien n'a été importé : le dossier a changé pendant l'import "
                          "(un même enregistrement a été créé entre-temps). Relancez "
                          "l'aperçu."), "danger")
            return redirect(url_for(".preview", pk=client.id, upload_id=upload.id,
                                    token=upload.token))
        db.session.delete(upload)
        db.session.commit()
        flash(self._summary(outcome), "success")
        return redirect(url_for(".index", pk=client.id))

    @staticmethod
    def _keep_refusal(refused):
        """The data is rolled back; the record of the refused attempt is kept."""
        db.session.rollback()
        db.session.add(refused.record)
        db.session.commit()

    @staticmethod
    def _summary(outcome):
        return gettext("Import terminé : %(created)d créé(s), %(updated)d mis à jour.",
                       created=outcome.created, updated=outcome.updated)

    @expose("/client/<int:pk>/annuler/<int:upload_id>", methods=["POST"])
    @has_access
    def cancel(self, pk, upload_id):
        client = client_or_404(pk)
        upload = self._upload_or_404(client, upload_id)
        db.session.delete(upload)
        db.session.commit()
        flash(gettext("Import abandonné : rien n'a été écrit."), "info")
        return redirect(url_for(".index", pk=client.id))
