"""« Export comptable »: the check before export, the preview of the entries,
the export of one client or of several, and the batches to download again.

Thin: the check, the entries and the batches are app.exports / app.accounting.
Every client and batch is loaded through the tenant rules (visible_or_404 and
the ORM backstop): another cabinet's client, or for Accès restreint an
unassigned one, answers 404; a bulk export only ever runs on the clients the
user sees, and says which ones were blocked.
"""
from __future__ import annotations

import datetime as dt
import itertools
import zipfile
from contextlib import closing

from flask import Response, abort, current_app, flash, g, redirect, request, stream_with_context, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import select

from app.accounting.entries import Numbering, UnbalancedEntry
from app.accounting.resolver import ResolutionError
from app.exports import checks
from app.exports.batches import (
    ExportBlocked, ExportRequest, _numbering_start, batch_file,
    client_entries, content_type, run_export,
)
from app.exports.reading import Selection, client_plan, count_selection
from app.extensions import db
from app.messages import N_, TranslatableError
from app.models import Client
from app.models.exports import EXPORT_FORMAT_LABELS, ExportBatch
from app.views.base import visible_or_404
from app.views.client_sheet import parse_client_ids, visible_clients_or_404

PREVIEW_PAGE_SIZE = 200
# Above this many documents and payments, an export shows its progress as it runs.
PROGRESS_THRESHOLD_DEFAULT = 5000
MAX_ZIP_BATCHES = 1000


def section_url(client: Client, section: str) -> str:
    """Where to fix a blocker."""
    if section == checks.DOSSIER:
        return url_for("ClientSheetView.dossier", pk=client.id)
    plan = client_plan(db.session, client.id)
    if section == checks.PLAN or plan is None:
        return url_for("ClientSheetView.sheet", pk=client.id, onglet="comptabilite")
    endpoints = {
        checks.JOURNALS: "PlanView.journals", checks.RATES: "PlanVatRateView.list",
        checks.MODES: "PlanPaymentModeView.list", checks.ACCOUNTS: "PlanAccountView.list",
        checks.ARTICLES: "PlanArticleView.list", checks.CATEGORIES: "PlanCategoryView.list",
        checks.CHARGES: "PlanChargeView.list", checks.CONTACTS: "PlanContactView.list",
    }
    return url_for(endpoints[section], plan_id=plan.id)


def blocker_rows(client: Client, blockers) -> list:
    return [{"message": blocker.message, "where": blocker.where(gettext),
             "url": section_url(client, blocker.section)} for blocker in blockers]


def _date(name: str, default: dt.date) -> dt.date:
    value = (request.values.get(name) or "").strip()
    if not value:
        return default
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise TranslatableError(N_("Date invalide : « %(value)s » (attendu JJ/MM/AAAA)."),
                            value=value)


def default_period(today: dt.date) -> tuple:
    """The calendar year so far: what a firm exports most often."""
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def export_request(client_id: int) -> ExportRequest:
    start, end = default_period(dt.date.today())
    return ExportRequest(
        client_id=client_id, start=_date("start", start), end=_date("end", end),
        format=request.values.get("format", "fec"),
        separator=request.values.get("separator", "tab"),
        encoding=request.values.get("encoding", "utf-8"),
        include_exported=request.values.get("include_exported") in ("1", "on", "y"))


def checked_request(client: Client):
    """The export asked by the form, checked; None (and a French message) when invalid."""
    try:
        export = export_request(client.id)
        export.check()
    except TranslatableError as error:
        flash(error.translate(gettext), "danger")
        return None
    return export


def _user_name(user) -> str:
    full = f"{user.first_name or ''} {user.last_name or ''}".strip()
    return full or user.username


class ExportView(BaseView):
    route_base = "/exports"
    default_view = "client"
    class_permission_name = "ExportView"
    method_permission_name = {
        "client": "show", "preview": "show", "download": "show", "download_zip": "show",
        "export": "export", "export_many": "export",
    }

    @expose("/client/<int:pk>/")
    @has_access
    def client(self, pk):
        client = visible_or_404(Client, pk)
        try:
            export = export_request(client.id)
        except TranslatableError as error:
            flash(error.translate(gettext), "danger")
            export = ExportRequest(client.id, *default_period(dt.date.today()))
        blockers = checks.export_blockers(db.session, client, gettext)
        selection = Selection(client.id, export.start, export.end, export.include_exported)
        documents, payments = count_selection(db.session, selection)
        batches = db.session.scalars(select(ExportBatch).where(
            ExportBatch.client_id == client.id, ExportBatch.status == "done")
            .order_by(ExportBatch.number.desc())).all()
        return self.render_template(
            "passerelle/exports/client.html", title=gettext("Export comptable — %(name)s",
                                                            name=client.name),
            client=client, export=export, blockers=blocker_rows(client, blockers),
            documents=documents, payments=payments, batches=batches,
            formats=EXPORT_FORMAT_LABELS)

    @expose("/client/<int:pk>/apercu")
    @has_access
    def preview(self, pk):
        client = visible_or_404(Client, pk)
        export = checked_request(client)
        if export is None:
            return redirect(url_for(".client", pk=client.id))
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        selection = Selection(client.id, export.start, export.end, export.include_exported)
        blockers = checks.export_blockers(db.session, client, gettext, selection)
        entries, error, has_more = [], None, False
        if not blockers:
            numbering = Numbering(_numbering_start(db.session, client.id))
            try:
                _generator, stream = client_entries(db.session, client, selection,
                                                    gettext=gettext, numbering=numbering)
                first = (page - 1) * PREVIEW_PAGE_SIZE
                # Closed at once: the page reads part of the stream only, and its
                # server-side cursors must not wait for the garbage collector.
                with closing(stream):
                    entries = list(itertools.islice(stream, first,
                                                    first + PREVIEW_PAGE_SIZE + 1))
            except (ResolutionError, UnbalancedEntry) as failure:
                error = failure.translate(gettext)
            has_more = len(entries) > PREVIEW_PAGE_SIZE
            entries = entries[:PREVIEW_PAGE_SIZE]
        documents, payments = count_selection(db.session, selection)
        return self.render_template(
            "passerelle/exports/preview.html",
            title=gettext("Aperçu des écritures — %(name)s", name=client.name),
            client=client, export=export, entries=entries, page=page, has_more=has_more,
            blockers=blocker_rows(client, blockers), error=error, documents=documents,
            payments=payments, formats=EXPORT_FORMAT_LABELS)

    @expose("/client/<int:pk>/exporter", methods=["POST"])
    @has_access
    def export(self, pk):
        client = visible_or_404(Client, pk)
        export = checked_request(client)
        if export is None:
            return redirect(url_for(".client", pk=client.id))
        selection = Selection(client.id, export.start, export.end, export.include_exported)
        documents, payments = count_selection(db.session, selection)
        threshold = current_app.config.get("EXPORT_PROGRESS_THRESHOLD",
                                           PROGRESS_THRESHOLD_DEFAULT)
        if documents + payments > threshold:
            return self._export_with_progress(client, export, documents + payments)
        try:
            batch = run_export(db.session, client, export, user_id=g.user.id,
                               user_name=_user_name(g.user), gettext=gettext)
        except ExportBlocked as blocked:
            db.session.rollback()
            self._flash_blocked(blocked)
            return redirect(url_for(".client", pk=client.id))
        db.session.commit()
        flash(gettext("Export n° %(number)d terminé : %(entries)d écriture(s). "
                      "Le fichier est prêt à télécharger.", number=batch.number,
                      entries=batch.entry_count), "success")
        return redirect(url_for(".client", pk=client.id, lot=batch.id))

    def _flash_blocked(self, blocked: ExportBlocked):
        message = escape(blocked.translate(gettext))
        if blocked.blockers:
            items = Markup("").join(Markup("<li>{}</li>").format(b.message)
                                    for b in blocked.blockers)
            message = Markup("{}<ul>{}</ul>").format(message, items)
        flash(message, "danger")

    def _export_with_progress(self, client, export: ExportRequest, total: int):
        """A page that shows the progress while the export runs, then links to
        the file: the response is streamed, so no worker thread or shared
        state is needed, whatever the number of servers."""
        user_id, user_name = g.user.id, _user_name(g.user)
        client_id = client.id
        head = self.render_template("passerelle/exports/progress.html", client=client,
                                    total=total, title=gettext("Export en cours"))
        top, _, bottom = head.partition("<!--progress-->")

        def progress(done, all_):
            return f'<script>passerelleExportProgress({done}, {all_});</script>\n'

        def run():
            yield top
            yield " " * 1024 + "\n"   # browsers render a streamed page after the first KiB
            updates = []
            current = db.session.get(Client, client_id)
            try:
                batch = run_export(db.session, current, export, user_id=user_id,
                                   user_name=user_name, gettext=gettext,
                                   on_progress=lambda done, all_: updates.append((done, all_)))
            except ExportBlocked as blocked:
                db.session.rollback()
                items = "".join(f"<li>{escape(b.message)}</li>" for b in blocked.blockers)
                yield (f'<div class="alert alert-danger">{escape(blocked.translate(gettext))}'
                       f'<ul>{items}</ul></div>')
            else:
                db.session.commit()
                for done, all_ in updates[-1:]:
                    yield progress(done, all_)
                link = url_for(".download", batch_id=batch.id)
                yield (f'<div class="alert alert-success export-done">'
                       f'{escape(gettext("Export n° %(number)d terminé : %(entries)d écriture(s).", number=batch.number, entries=batch.entry_count))} '
                       f'<a class="btn btn-primary" href="{link}">'
                       f'{escape(gettext("Télécharger"))}</a></div>')
            yield bottom

        return Response(stream_with_context(run()), mimetype="text/html")

    @expose("/lot/<int:batch_id>/telecharger")
    @has_access
    def download(self, batch_id):
        batch = visible_or_404(ExportBatch, batch_id)
        if not batch.is_done:
            abort(404)
        response = Response(stream_with_context(batch_file(db.session, batch)),
                            content_type=content_type(batch))
        response.headers["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
        response.headers["Content-Length"] = str(batch.file_size)
        response.headers["X-Content-SHA256"] = batch.sha256
        return response

    @expose("/multiple", methods=["GET", "POST"])
    @has_access
    def export_many(self):
        """Exports several clients (one batch and one file each) and reports, per
        client, the batch or why it was blocked. GET shows the form."""
        ids = parse_client_ids()
        if not ids:
            flash(gettext("Sélectionnez au moins un client."), "warning")
            return redirect(url_for("ClientView.list"))
        clients = visible_clients_or_404(ids)
        if request.method == "GET":
            start, end = default_period(dt.date.today())
            return self.render_template(
                "passerelle/exports/many_form.html", title=gettext("Export de plusieurs clients"),
                clients=clients, ids=",".join(str(client.id) for client in clients),
                start=start, end=end, formats=EXPORT_FORMAT_LABELS)
        results = []
        for client in clients:
            try:
                export = export_request(client.id)
                export.check()
                batch = run_export(db.session, client, export, user_id=g.user.id,
                                   user_name=_user_name(g.user), gettext=gettext)
            except ExportBlocked as blocked:
                db.session.rollback()
                results.append({"client": db.session.get(Client, client.id), "batch": None,
                                "message": blocked.translate(gettext),
                                "nothing": not blocked.blockers,
                                "blockers": blocker_rows(client, blocked.blockers)})
            except TranslatableError as error:
                db.session.rollback()
                results.append({"client": db.session.get(Client, client.id), "batch": None,
                                "message": error.translate(gettext), "nothing": False,
                                "blockers": []})
            else:
                db.session.commit()
                results.append({"client": client, "batch": batch, "message": "",
                                "blockers": []})
        batch_ids = [row["batch"].id for row in results if row["batch"] is not None]
        blocked = sum(1 for row in results if row["batch"] is None and not row.get("nothing"))
        return self.render_template(
            "passerelle/exports/many.html", title=gettext("Export de plusieurs clients"),
            results=results, batch_ids=",".join(map(str, batch_ids)),
            exported=len(batch_ids), blocked=blocked,
            up_to_date=len(results) - len(batch_ids) - blocked)

    @expose("/zip")
    @has_access
    def download_zip(self):
        """The files of several batches in one ZIP (one file per client), with a
        « rapport.txt » listing them."""
        try:
            ids = [int(part) for part in (request.args.get("lots") or "").split(",") if part]
        except ValueError:
            abort(404)
        if not ids or len(ids) > MAX_ZIP_BATCHES:
            abort(404)
        batches = [visible_or_404(ExportBatch, batch_id) for batch_id in ids]
        spool = _zip_batches(batches)
        spool.seek(0)
        response = Response(_read_chunks(spool), content_type="application/zip")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="exports_{dt.date.today():%Y%m%d}.zip"')
        return response


def _zip_batches(batches):
    import tempfile
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    report = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        used = set()
        clients = {client.id: client for client in db.session.scalars(
            select(Client).where(Client.id.in_({batch.client_id for batch in batches})))}
        for batch in batches:
            client = clients[batch.client_id]
            folder = "".join(ch for ch in (client.dossier_code or str(client.id))
                             if ch.isalnum() or ch in "-_") or str(client.id)
            name = f"{folder}/{batch.file_name}"
            while name in used:
                name = f"{folder}/lot{batch.number}_{batch.file_name}"
            used.add(name)
            with archive.open(name, "w") as target:
                for data in batch_file(db.session, batch):
                    target.write(data)
            report.append(gettext("%(client)s : export n° %(number)d, %(entries)d écriture(s), "
                                  "%(file)s, SHA-256 %(sha)s", client=client.name,
                                  number=batch.number, entries=batch.entry_count,
                                  file=name, sha=batch.sha256))
        archive.writestr("rapport.txt", "\r\n".join(report) + "\r\n")
    return spool


def _read_chunks(spool, size=1 << 20):
    try:
        while data := spool.read(size):
            yield data
    finally:
        spool.close()
