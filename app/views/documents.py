"""Documents (invoices, credit notes, deposit invoices) and payments of the
invoicing space. Thin: every rule is in app.invoicing.documents; the space's
read-only mode is enforced by SpaceModelView (app/views/space.py)."""
import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    DateField, FieldList, Form, FormField, HiddenField, SelectField, SelectMultipleField,
    StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.extensions import db
from app.formatting import format_date, format_money
from app.invoicing import documents as docs
from app.models import Article, Charge, Contact, Invoice, Payment
from app.models.invoicing import DOCUMENT_KIND_LABELS, DOCUMENT_STATUS_LABELS, NATURE_LABELS
from app.views.space import SpaceModelView, vat_rate_choices

PAYMENT_MODES = ("Virement", "Chèque", "Carte bancaire", "Espèces", "Prélèvement",
                 "Effet de commerce")
PAYMENT_MODE_LABELS = {
    "Virement": _l("Virement"), "Chèque": _l("Chèque"), "Carte bancaire": _l("Carte bancaire"),
    "Espèces": _l("Espèces"), "Prélèvement": _l("Prélèvement"),
    "Effet de commerce": _l("Effet de commerce"),
}
NEW_TITLES = {"invoice": _l("Nouvelle facture"), "credit_note": _l("Nouvel avoir"),
              "deposit": _l("Nouvelle facture d'acompte")}
EMPTY_LINES = 3


def parse_decimal(text, places):
    """« 1 234,5 » → Decimal('1234.5'); None when empty; ValueError when not a number."""
    if text is None:
        return None
    cleaned = str(text).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.replace("€", "").replace("%", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(text)
    return value


def kind_label(kind):
    return gettext(DOCUMENT_KIND_LABELS.get(kind, kind))


def status_label(document):
    status = document.display_status
    return gettext(DOCUMENT_STATUS_LABELS.get(status, status))


# Forms -------------------------------------------------------------------------------

class LineForm(Form):
    article_id = SelectField(_l("Article"), coerce=str, validate_choice=False)
    designation = StringField(_l("Désignation"), validators=[Optional(), Length(max=500)])
    quantity = StringField(_l("Quantité"), default="1")
    unit_price_ht = StringField(_l("Prix unitaire HT"))
    discount_pct = StringField(_l("Remise"), default="0")
    vat_rate = SelectField(_l("TVA"), choices=vat_rate_choices(), default="20")
    nature = SelectField(_l("Nature"), choices=[("services", _l("Prestation de services")),
                                                ("goods", _l("Bien"))])

    def is_blank(self):
        return not any((field.data or "").strip()
                       for field in (self.designation, self.article_id, self.unit_price_ht))


class DocumentForm(FlaskForm):
    contact_id = SelectField(_l("Client facturé"), coerce=int, validate_choice=False,
                             validators=[DataRequired(message=_l("Choisissez le client "
                                                                 "facturé."))])
    issue_date = DateField(_l("Date du document"), validators=[Optional()],
                           description=_l("Vide : la date du jour de l'émission."))
    due_date = DateField(_l("Échéance"), validators=[Optional()],
                         description=_l("Vide : selon votre délai de paiement."))
    notes = TextAreaField(_l("Note sur le document"), validators=[Optional(),
                                                                  Length(max=2000)])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=500)
    charge_ids = SelectMultipleField(_l("Taxes, frais et remises"), coerce=int,
                                     validate_choice=False)
    deposit_ids = SelectMultipleField(_l("Acomptes à déduire"), coerce=int,
                                      validate_choice=False)
    corrects_invoice_id = HiddenField()


class PaymentForm(FlaskForm):
    contact_id = SelectField(_l("Client qui règle"), coerce=int, validate_choice=False,
                             validators=[DataRequired(message=_l("Choisissez le client."))])
    date = DateField(_l("Date du règlement"), validators=[DataRequired(
        message=_l("La date du règlement est obligatoire (JJ/MM/AAAA)."))])
    amount = StringField(_l("Montant reçu"), validators=[DataRequired(
        message=_l("Le montant est obligatoire."))])
    payment_mode = SelectField(_l("Mode de paiement"),
                               choices=[(mode, PAYMENT_MODE_LABELS[mode])
                                        for mode in PAYMENT_MODES])
    reference = StringField(_l("Référence"), validators=[Optional(), Length(max=100)],
                            description=_l("N° de chèque, libellé du virement…"))


# Documents ---------------------------------------------------------------------------

def _money_or_blank(value):
    return format_money(value) if value is not None else ""


class DocumentView(SpaceModelView):
    route_base = "/espace/documents"
    datamodel = SQLAInterface(Invoice)
    list_template = "passerelle/space/documents.html"
    list_title = _l("Documents")
    export_title = _l("Documents")
    export_filename = "documents"
    read_methods = SpaceModelView.read_methods | {"print_view", "pdf"}
    method_permission_name = {
        "export_xlsx": "list", "print_view": "show", "pdf": "show",
        "issue": "edit", "credit_note": "add",
    }
    # FAB builds these forms; the editor below replaces them.
    add_columns = edit_columns = show_columns = ["notes"]
    list_columns = ["number", "kind", "issue_date", "contact", "total_ht", "total_ttc",
                    "balance_due", "due_date", "display_status"]
    export_columns = ["number", "kind", "issue_date", "due_date", "contact", "total_ht",
                      "total_vat", "total_ttc", "deposits_ttc", "credited_ttc", "paid_ttc",
                      "balance_due", "status"]
    search_columns = ["number", "kind", "status", "contact", "issue_date", "due_date",
                      "total_ttc"]
    order_columns = ["number", "kind", "issue_date", "total_ht", "total_ttc", "due_date",
                     "status"]
    base_order = ("created_at", "desc")
    label_columns = {
        "number": _l("Numéro"), "kind": _l("Type"), "issue_date": _l("Date"),
        "due_date": _l("Échéance"), "contact": _l("Client facturé"),
        "total_ht": _l("Total HT"), "total_vat": _l("TVA"), "total_ttc": _l("Total TTC"),
        "deposits_ttc": _l("Acomptes déduits"), "credited_ttc": _l("Avoirs"),
        "paid_ttc": _l("Réglé"), "balance_due": _l("Reste dû"), "status": _l("Statut"),
        "display_status": _l("Statut"),
    }
    formatters_columns = {
        "number": lambda value: value or gettext("Brouillon"),
        "kind": kind_label, "issue_date": format_date, "due_date": format_date,
        "total_ht": format_money, "total_ttc": format_money, "balance_due": _money_or_blank,
        "status": lambda value: gettext(DOCUMENT_STATUS_LABELS.get(value, value)),
        "display_status": lambda value: gettext(DOCUMENT_STATUS_LABELS.get(value, value)),
    }
    export_formatters = {
        "kind": lambda item: kind_label(item.kind),
        "status": lambda item: status_label(item),
        "number": lambda item: item.number or gettext("Brouillon"),
    }

    # Reading -----------------------------------------------------------------------
    def _document_or_404(self, pk):
        document = db.session.scalars(
            select(Invoice).where(Invoice.id == pk, Invoice.client_id == g.space.client_id)
            .options(selectinload(Invoice.lines), selectinload(Invoice.charges),
                     selectinload(Invoice.deposit_deductions))
        ).first()
        if document is None:
            abort(404)
        return document

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        document = self._document_or_404(pk)
        today = dt.date.today()
        credit_notes = db.session.scalars(
            select(Invoice).where(Invoice.client_id == g.space.client_id,
                                  Invoice.corrects_invoice_id == document.id)
            .order_by(Invoice.issue_date, Invoice.id)).all()
        allocations = []
        if not document.is_draft:
            from app.models import PaymentAllocation

            allocations = db.session.execute(
                select(PaymentAllocation, Payment)
                .join(Payment, Payment.id == PaymentAllocation.payment_id)
                .where(PaymentAllocation.invoice_id == document.id,
                       PaymentAllocation.client_id == g.space.client_id)
                .order_by(Payment.date)).all()
        return self.render_template(
            "passerelle/space/document.html", title=self._title(document),
            document=document, space=g.space, today=today, credit_notes=credit_notes,
            allocations=allocations, kind_label=kind_label(document.kind),
            status=status_label(document), status_key=document.display_status,
            can_write=g.space.can_write,
            creditable=docs.creditable_ttc(document) if document.kind != "credit_note" else 0,
        )

    @staticmethod
    def _title(document):
        if document.number:
            return f"{kind_label(document.kind)} {document.number}"
        return gettext("%(kind)s (brouillon)", kind=kind_label(document.kind))

    def _presentation(self, document):
        from app.invoicing.presentation import document_view

        return document_view(document, g.space.client, today=dt.date.today())

    @expose("/print/<int:pk>")
    @has_access
    def print_view(self, pk):
        document = self._document_or_404(pk)
        return self.render_template(
            "passerelle/space/document_print.html", view=self._presentation(document),
            document=document, pdf_url=url_for(".pdf", pk=pk),
            back_url=url_for(".show", pk=pk))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        from app.invoicing.pdf import render_pdf

        document = self._document_or_404(pk)
        view = self._presentation(document)
        response = make_response(render_pdf(view))
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = f'attachment; filename="{view.filename}"'
        return response

    # Writing -----------------------------------------------------------------------
    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        kind = request.args.get("type", "invoice")
        if kind not in ("invoice", "deposit"):
            abort(404)
        form = DocumentForm()
        if request.method == "GET":
            while len(form.lines) < EMPTY_LINES:
                form.lines.append_entry()
        return self._editor(form, kind, document=None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        document = self._document_or_404(pk)
        if not document.is_draft:
            flash(gettext("Le document %(number)s est émis : il ne peut plus être modifié. "
                          "Pour le corriger, émettez un avoir.", number=document.number),
                  "warning")
            return redirect(url_for(".show", pk=pk))
        form = DocumentForm(obj=None if request.method == "POST" else document)
        if request.method == "GET":
            self._fill_form(form, document)
        return self._editor(form, document.kind, document=document)

    @expose("/avoir/<int:pk>", methods=["GET", "POST"])
    @has_access
    def credit_note(self, pk):
        invoice = self._document_or_404(pk)
        if invoice.kind == "credit_note" or invoice.status not in docs.ISSUED_STATUSES:
            flash(gettext("Un avoir corrige une facture émise."), "warning")
            return redirect(url_for(".show", pk=pk))
        form = DocumentForm()
        if request.method == "GET":
            form.contact_id.data = invoice.contact_id
            form.corrects_invoice_id.data = str(invoice.id)
            self._fill_lines(form, docs.credit_note_lines(invoice))
        return self._editor(form, "credit_note", document=None, corrected=invoice)

    def _fill_form(self, form, document):
        form.contact_id.data = document.contact_id
        form.issue_date.data = document.issue_date
        form.due_date.data = document.due_date
        form.notes.data = document.notes
        form.charge_ids.data = [item.charge_id for item in document.charges if item.charge_id]
        form.deposit_ids.data = [item.deposit_id for item in document.deposit_deductions]
        form.corrects_invoice_id.data = str(document.corrects_invoice_id or "")
        self._fill_lines(form, document.lines)

    @staticmethod
    def _fill_lines(form, lines):
        while len(form.lines):
            form.lines.pop_entry()
        for line in lines:
            entry = form.lines.append_entry()
            entry.article_id.data = str(line.article_id or "")
            entry.designation.data = line.label
            entry.quantity.data = _plain(line.quantity)
            entry.unit_price_ht.data = _plain(line.unit_price_ht)
            entry.discount_pct.data = _plain(line.discount_pct)
            entry.vat_rate.data = _plain(line.vat_rate)
            entry.nature.data = line.nature

    def _editor(self, form, kind, document, corrected=None):
        space = g.space
        client_id = space.client_id
        contacts = db.session.scalars(select(Contact).where(Contact.client_id == client_id)
                                      .order_by(Contact.name)).all()
        articles = db.session.scalars(select(Article).where(Article.client_id == client_id)
                                      .order_by(Article.label)).all()
        charges = db.session.scalars(select(Charge).where(Charge.client_id == client_id)
                                     .order_by(Charge.label)).all()
        if corrected is None and document is not None and document.corrects_invoice_id:
            corrected = db.session.get(Invoice, document.corrects_invoice_id)
        form.contact_id.choices = [(contact.id, contact.display_name) for contact in contacts]
        form.charge_ids.choices = [(charge.id, charge.label) for charge in charges]
        article_choices = [("", gettext("— saisie libre —"))] + [
            (str(article.id), f"{article.reference} · {article.label}" if article.reference
             else article.label) for article in articles]
        for entry in form.lines:
            entry.article_id.choices = article_choices
        deposits = []
        if kind == "invoice" and form.contact_id.data:
            deposits = docs.deductible_deposits(db.session, client_id, form.contact_id.data,
                                                document.id if document else None)
        form.deposit_ids.choices = [(deposit.id, deposit.number) for deposit in deposits]

        if request.method == "POST" and form.validate_on_submit() \
                and request.form.get("refresh") is None:
            try:
                saved = docs.save_draft(db.session, space.client,
                                        self._draft_input(form, kind, corrected), document)
                if request.form.get("then") == "issue":
                    docs.issue(db.session, space.client, saved, dt.date.today())
                db.session.commit()
            except docs.DocumentError as error:
                db.session.rollback()
                form.form_errors.append(gettext(error.msgid, **error.params))
            except ValueError as error:
                db.session.rollback()
                form.form_errors.append(str(error))
            else:
                if saved.is_draft:
                    flash(gettext("Brouillon enregistré : total TTC %(total)s.",
                                  total=format_money(saved.total_ttc)), "success")
                else:
                    flash(gettext("%(kind)s %(number)s émise.", kind=kind_label(saved.kind),
                                  number=saved.number), "success")
                return redirect(url_for(".show", pk=saved.id))
        return self.render_template(
            "passerelle/space/document_form.html",
            title=gettext("Modifier le brouillon") if document else NEW_TITLES[kind],
            form=form, kind=kind, kind_label=kind_label(kind), document=document,
            corrected=corrected, space=space, deposits=deposits,
            articles_json=json.dumps({str(article.id): {
                "label": article.label, "price": _plain(article.unit_price_ht, comma=True),
                "vat": _plain(article.vat_rate), "nature": article.nature}
                for article in articles}),
            nature_labels=NATURE_LABELS,
        )

    def _draft_input(self, form, kind, corrected):
        lines = []
        for position, entry in enumerate(form.lines, start=1):
            if entry.form.is_blank():
                continue
            try:
                quantity = parse_decimal(entry.quantity.data, 3)
                price = parse_decimal(entry.unit_price_ht.data, 2)
                discount = parse_decimal(entry.discount_pct.data, 2) or Decimal("0")
                rate = parse_decimal(entry.vat_rate.data, 2)
            except ValueError as error:
                raise ValueError(gettext("Ligne %(position)d : « %(value)s » n'est pas un "
                                         "nombre.", position=position, value=error.args[0]))
            if quantity is None or price is None or rate is None:
                raise ValueError(gettext("Ligne %(position)d : indiquez la quantité, le prix "
                                         "unitaire HT et le taux de TVA.", position=position))
            article_id = entry.article_id.data
            lines.append(docs.LineInput(
                label=entry.designation.data or "", quantity=quantity, unit_price_ht=price,
                vat_rate=rate, discount_pct=discount, nature=entry.nature.data,
                article_id=int(article_id) if (article_id or "").isdigit() else None))
        return docs.DraftInput(
            kind=kind, contact_id=form.contact_id.data, lines=lines,
            charges=[docs.ChargeInput(charge_id) for charge_id in form.charge_ids.data or []],
            deposit_ids=list(form.deposit_ids.data or []),
            issue_date=form.issue_date.data, due_date=form.due_date.data,
            notes=form.notes.data,
            corrects_invoice_id=corrected.id if corrected is not None else None)

    @expose("/emettre/<int:pk>", methods=["POST"])
    @has_access
    def issue(self, pk):
        document = self._document_or_404(pk)
        try:
            docs.issue(db.session, g.space.client, document, dt.date.today())
            db.session.commit()
        except docs.DocumentError as error:
            db.session.rollback()
            flash(gettext(error.msgid, **error.params), "danger")
        else:
            flash(gettext("%(kind)s %(number)s émise.", kind=kind_label(document.kind),
                          number=document.number), "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        document = self._document_or_404(pk)
        try:
            docs.delete_draft(db.session, document)
            db.session.commit()
        except docs.DocumentError as error:
            db.session.rollback()
            flash(gettext(error.msgid, **error.params), "danger")
            return redirect(url_for(".show", pk=pk))
        flash(gettext("Brouillon supprimé."), "success")
        return redirect(url_for(".list"))


def _plain(value, comma=False):
    """Decimal('20.00') → '20', Decimal('12.50') → '12.5' (a form field's text)."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",") if comma else text


# Payments ----------------------------------------------------------------------------

class PaymentView(SpaceModelView):
    route_base = "/espace/reglements"
    datamodel = SQLAInterface(Payment)
    list_title = _l("Règlements")
    show_title = _l("Règlement")
    export_title = _l("Règlements")
    export_filename = "reglements"
    base_permissions = ["can_list", "can_show", "can_add", "can_delete"]
    list_columns = ["date", "contact", "amount", "payment_mode", "reference", "documents"]
    show_columns = ["date", "contact", "amount", "payment_mode", "reference", "documents",
                    "created_at"]
    export_columns = ["date", "contact", "amount", "payment_mode", "reference", "documents"]
    search_columns = ["date", "contact", "amount", "payment_mode", "reference"]
    order_columns = ["date", "amount", "payment_mode"]
    base_order = ("date", "desc")
    label_columns = {"date": _l("Date"), "contact": _l("Client"), "amount": _l("Montant"),
                     "payment_mode": _l("Mode de paiement"), "reference": _l("Référence"),
                     "documents": _l("Documents réglés"), "created_at": _l("Saisi le")}
    formatters_columns = {"date": format_date, "amount": format_money,
                          "payment_mode": lambda value: gettext(
                              PAYMENT_MODE_LABELS.get(value, value)) if value in
                          PAYMENT_MODE_LABELS else value}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        space = g.space
        form = PaymentForm()
        contacts = db.session.scalars(select(Contact).where(Contact.client_id == space.client_id)
                                      .order_by(Contact.name)).all()
        form.contact_id.choices = [(contact.id, contact.display_name) for contact in contacts]
        if request.method == "GET":
            form.date.data = dt.date.today()
            if request.args.get("contact_id", "").isdigit():
                form.contact_id.data = int(request.args["contact_id"])
        contact_id = form.contact_id.data
        open_documents = docs.open_documents(db.session, space.client_id, contact_id) \
            if contact_id else []
        errors = []
        if request.method == "POST" and request.form.get("refresh") is None \
                and form.validate_on_submit():
            try:
                payment = docs.record_payment(
                    db.session, space.client,
                    docs.PaymentInput(
                        contact_id=contact_id, date=form.date.data,
                        amount=parse_decimal(form.amount.data, 2),
                        payment_mode=form.payment_mode.data, reference=form.reference.data,
                        allocations=self._allocations(open_documents)),
                    dt.date.today())
                db.session.commit()
            except docs.DocumentError as error:
                db.session.rollback()
                errors.append(gettext(error.msgid, **error.params))
            except ValueError as error:
                db.session.rollback()
                errors.append(str(error) or gettext("Montant invalide."))
            else:
                flash(gettext("Règlement de %(amount)s enregistré.",
                              amount=format_money(payment.amount)), "success")
                return redirect(url_for(".list"))
        return self.render_template(
            "passerelle/space/payment_form.html", title=gettext("Nouveau règlement"),
            form=form, space=space, open_documents=open_documents, errors=errors,
            submitted={key: request.form.get(key, "") for key in request.form})

    @staticmethod
    def _allocations(open_documents):
        allocations = []
        for document in open_documents:
            raw = request.form.get(f"allocation-{document.id}", "")
            try:
                amount = parse_decimal(raw, 2)
            except ValueError:
                raise ValueError(gettext("%(number)s : « %(value)s » n'est pas un montant.",
                                         number=document.number, value=raw)) from None
            if amount:
                allocations.append(docs.AllocationInput(document.id, amount))
        return allocations

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        payment = db.session.scalars(select(Payment).where(
            Payment.id == pk, Payment.client_id == g.space.client_id)).first()
        if payment is None:
            abort(404)
        try:
            docs.delete_payment(db.session, payment)
        except docs.DocumentError as error:
            db.session.rollback()
            flash(error.translate(gettext), "danger")
            return redirect(url_for(".list"))
        db.session.commit()
        flash(gettext("Règlement supprimé : les documents qu'il réglait sont de nouveau dus."),
              "success")
        return redirect(url_for(".list"))
