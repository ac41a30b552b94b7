"""Accounting exports end to end (app/exports, app/views/exports.py, the CLI):
the check before export, the preview, exports that carry each document once,
batches downloaded again identically, bulk exports, isolation on every route,
and all-or-nothing when something is wrong."""
import datetime as dt
import hashlib
import io
import zipfile
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text as sql
from sqlalchemy.exc import IntegrityError

from app.exports.batches import ExportBlocked, ExportRequest, run_export
from app.extensions import db
from app.invoicing import documents as docs
from app.models import (
    AccountingPlan, Article, ArticleCategory, Charge, Client, Contact, Invoice,
)
from app.models.exports import (
    ExportBatch, ExportBatchDocument, ExportBatchPayment, ExportFileChunk,
)
from app.plans.copying import apply_plan
from conftest import Browser, update_client
from fec_checker import check_fec

TODAY = dt.date(2026, 11, 20)
YEAR = {"start": "2026-01-01", "end": "2026-12-31"}


def plain_gettext(text, **params):
    """No translation: the message as written, for run_export called directly."""
    return text % params if params else text


def _line(label="Prestation", price="100.00", rate="20", nature="services", quantity="1",
          article=None):
    return docs.LineInput(label=label, quantity=D(quantity), unit_price_ht=D(price),
                          vat_rate=D(rate), nature=nature,
                          article_id=article.id if article is not None else None)


def _issue(client, contact, *lines, day, kind="invoice", **extra):
    document = docs.save_draft(db.session, client, docs.DraftInput(
        kind=kind, contact_id=contact.id, lines=list(lines), issue_date=day, **extra))
    docs.issue(db.session, client, document, TODAY)
    db.session.flush()
    return document


def _pay(client, contact, amount, day, mode, *allocations):
    return docs.record_payment(db.session, client, docs.PaymentInput(
        contact_id=contact.id, date=day, amount=D(amount), payment_mode=mode,
        allocations=[docs.AllocationInput(invoice_id=document.id, amount=D(part))
                     for document, part in allocations]), TODAY)


def seed_documents(client_id, start_day=dt.date(2026, 3, 2)):
    """An invoice with two rates and a fee, paid by transfer; a credit note on a
    second invoice; a deposit and the final invoice that deducts it, paid by cheque."""
    client = db.session.get(Client, client_id)
    client.multi_vat = True
    category = ArticleCategory(client_id=client.id, name="Créations", account="701")
    article = Article(client_id=client.id, label="Robe sur mesure", nature="goods",
                      vat_rate=D("20"), unit_price_ht=D("300"), category=category)
    fee = Charge(client_id=client.id, kind="fee", label="Port", amount=D("12.50"),
                 vat_rate=D("20"), account="7085")
    martin = Contact(client_id=client.id, name="Boutique Martin", is_company=True,
                     auxiliary_account="CMARTIN")
    durand = Contact(client_id=client.id, name="Durand", first_name="Léa", is_company=False)
    db.session.add_all([category, article, fee, martin, durand])
    db.session.flush()
    day = start_day
    invoice = _issue(client, martin, _line(article=article, price="300.00", nature="goods"),
                     _line("Livre", "40.00", "5.5", "goods"), day=day,
                     charges=[docs.ChargeInput(charge_id=fee.id)])
    _pay(client, martin, invoice.total_ttc, day + dt.timedelta(days=10), "Virement",
         (invoice, invoice.total_ttc))
    second = _issue(client, durand, _line(price="200.00"), day=day + dt.timedelta(days=3))
    _issue(client, durand, _line(price="50.00"), kind="credit_note",
           corrects_invoice_id=second.id, day=day + dt.timedelta(days=5))
    deposit = _issue(client, martin, _line("Acompte 30 %", "90.00"), kind="deposit",
                     day=day + dt.timedelta(days=6))
    _pay(client, martin, deposit.total_ttc, day + dt.timedelta(days=7), "Chèque",
         (deposit, deposit.total_ttc))
    final = _issue(client, martin, _line("Solde du chantier", "300.00"),
                   day=day + dt.timedelta(days=20), deposit_ids=[deposit.id])
    db.session.commit()
    return {"invoice": invoice.id, "second": second.id, "deposit": deposit.id,
            "final": final.id}


@pytest.fixture
def exports(app, world):
    """a1 (dossier A001) and b1 (B001) have the PCG applied and documents; a2 has
    neither dossier number nor plan."""
    with app.app_context():
        pcg = db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()
        for client_id in (world.a1, world.b1):
            apply_plan(db.session, pcg, db.session.get(Client, client_id))
        db.session.commit()
        ids = {"a1": seed_documents(world.a1), "b1": seed_documents(world.b1)}
        db.session.remove()
    return ids


def _batches(app, client_id):
    with app.app_context():
        return db.session.scalars(select(ExportBatch).where(ExportBatch.client_id == client_id)
                                  .order_by(ExportBatch.number)).all()


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (ExportBatch, ExportBatchDocument, ExportBatchPayment,
                                   ExportFileChunk))


def _export(browser, client_id, **options):
    data = {**YEAR, "format": "fec", "separator": "tab", "encoding": "utf-8", **options}
    return browser.post(f"/exports/client/{client_id}/exporter", data=data,
                        csrf_from=f"/exports/client/{client_id}/")


def test_export_fec_then_download_it_again_identically(app, world, exports):
    browser = Browser(app, "collab_a")
    response = _export(browser, world.a1)
    assert response.status_code == 302, response.text[:500]
    (batch,) = _batches(app, world.a1)
    assert (batch.number, batch.status, batch.document_count, batch.payment_count) == \
        (1, "done", 5, 2)
    assert batch.entry_count == 7 and batch.file_name == "732829320FEC20261231.txt"
    first = browser.get(f"/exports/lot/{batch.id}/telecharger")
    assert first.status_code == 200
    assert hashlib.sha256(first.data).hexdigest() == batch.sha256
    rows = check_fec(first.data)
    assert len(rows) == batch.line_count
    again = browser.get(f"/exports/lot/{batch.id}/telecharger")
    assert again.data == first.data
    # The customer account carries every document's TTC, less credit notes and deposits deducted.
    with app.app_context():
        issued = db.session.scalars(select(Invoice).where(Invoice.client_id == world.a1)).all()
        expected = sum((doc.total_ttc - doc.deposits_ttc) * (-1 if doc.kind == "credit_note" else 1)
                       for doc in issued)
    customer = [row for row in rows if row["CompteNum"].startswith("411")
                and row["JournalCode"] == "VE"]
    assert sum(row["Debit"] - row["Credit"] for row in customer) == expected
    # Lettering: the paid invoice and its transfer share a code and a date.
    lettered = {row["PieceRef"]: row["EcritureLet"] for row in rows if row["EcritureLet"]}
    assert len(set(lettered.values())) >= 1


def test_the_settlement_graph_letters_settled_groups_only(app, world, exports):
    """Read from the database (both backends): a paid invoice and a paid deposit
    are lettered with their payment, on the payment's date; an invoice a credit
    note only partly corrects, a final invoice not yet paid, and an invoice paid
    by a payment that keeps an unallocated part are not."""
    from app.accounting.lettering import lettering_code
    from app.exports.reading import settlement_graph
    from app.models import Payment, PaymentAllocation

    seeded = exports["a1"]
    with app.app_context():
        client = db.session.get(Client, world.a1)
        martin = db.session.scalars(select(Contact).where(
            Contact.client_id == world.a1, Contact.name == "Boutique Martin")).one()
        third = _issue(client, martin, _line(price="100.00"), day=dt.date(2026, 4, 1))
        _pay(client, martin, "500.00", dt.date(2026, 4, 5), "Virement", (third, "120.00"))
        db.session.commit()
        third_id = third.id

        def payment_of(invoice_id):
            return db.session.scalar(select(PaymentAllocation.payment_id).where(
                PaymentAllocation.invoice_id == invoice_id))

        graph = settlement_graph(db.session, world.a1)
        letterings = {(kind, id_): graph.lettering(kind, id_) for kind, id_ in graph.nodes()}
        credit_note = db.session.scalar(select(Invoice.id).where(
            Invoice.corrects_invoice_id == seeded["second"]))
        paid_on = {payment_id: date for payment_id, date in db.session.execute(
            select(Payment.id, Payment.date).where(Payment.client_id == world.a1))}
        invoice_payment, deposit_payment, third_payment = (
            payment_of(seeded["invoice"]), payment_of(seeded["deposit"]), payment_of(third_id))
    expected = {
        ("document", seeded["invoice"]): (lettering_code(seeded["invoice"]),
                                          paid_on[invoice_payment]),
        ("payment", invoice_payment): (lettering_code(seeded["invoice"]),
                                       paid_on[invoice_payment]),
        ("document", seeded["deposit"]): (lettering_code(seeded["deposit"]),
                                          paid_on[deposit_payment]),
        ("payment", deposit_payment): (lettering_code(seeded["deposit"]),
                                       paid_on[deposit_payment]),
    }
    assert {key: (value.code, value.date) for key, value in letterings.items()
            if value is not None} == expected
    for key in [("document", seeded["second"]), ("document", credit_note),
                ("document", seeded["final"]), ("document", third_id),
                ("payment", third_payment)]:
        assert letterings.get(key) is None, key


@pytest.mark.parametrize("model", [ExportBatchDocument, ExportBatchPayment])
def test_a_mark_belongs_to_its_batchs_client_and_goes_with_its_batch(app, world, exports,
                                                                      model):
    """The marks have no key of their own to client (migration 0012): their
    composite keys to the batch and to the document keep them in the batch's
    client, and they go with the batch."""
    _export(Browser(app, "collab_a"), world.a1)
    (batch,) = _batches(app, world.a1)
    with app.app_context():
        document = "invoice_id" if model is ExportBatchDocument else "payment_id"
        mark = db.session.scalars(select(model).where(model.batch_id == batch.id)).first()
        with pytest.raises(IntegrityError):
            db.session.execute(sql(f"UPDATE {model.__tablename__} SET client_id = :other "
                                   f"WHERE batch_id = :batch AND {document} = :document"),
                               {"other": world.b1, "batch": batch.id,
                                "document": getattr(mark, document)})
        db.session.rollback()
        count = db.session.scalar(select(func.count()).select_from(model)
                                  .where(model.batch_id == batch.id))
        assert count >= 1
        db.session.execute(sql("DELETE FROM export_batch WHERE id = :id"), {"id": batch.id})
        assert db.session.scalar(select(func.count()).select_from(model)
                                 .where(model.batch_id == batch.id)) == 0
        db.session.rollback()


def test_a_second_export_carries_only_what_is_new(app, world, exports):
    browser = Browser(app, "collab_a")
    _export(browser, world.a1)
    response = _export(browser, world.a1)
    page = browser.get(response.headers["Location"]).text
    assert "Rien à exporter sur cette période" in page
    assert len(_batches(app, world.a1)) == 1
    with app.app_context():
        client = db.session.get(Client, world.a1)
        contact = db.session.scalars(select(Contact).where(Contact.client_id == client.id)).first()
        _issue(client, contact, _line(price="10.00"), day=dt.date(2026, 11, 19))
        db.session.commit()
    _export(browser, world.a1)
    first, second = _batches(app, world.a1)
    assert (second.number, second.document_count, second.payment_count) == (2, 1, 0)
    # Entry numbers go on from the first batch.
    assert second.numbering["VE"] == first.numbering["VE"] + 1
    # Asked explicitly, the exported documents are included again.
    _export(browser, world.a1, include_exported="1")
    third = _batches(app, world.a1)[-1]
    assert (third.document_count, third.payment_count, third.include_exported) == (6, 2, True)


def test_a_draft_issued_while_the_export_runs_is_carried_and_counted_once(app, world, exports,
                                                                        monkeypatch):
    """Another user issues a draft (stamped before the export's cutoff) once the export
    has counted what it carries. PostgreSQL holds the issue back until the export ends
    (the export's lock on the client row): it goes into the next export. SQLite lets it
    land before the export's first write: the batch carries it, marks it and counts it.
    Either way it is exported once, and the batch's counts are what it carries."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from app.exports import batches
    from app.models.mixins import utcnow

    request = ExportRequest(client_id=world.a1, start=dt.date(2026, 1, 1),
                            end=dt.date(2026, 12, 31), format="fec")
    held_back = []
    with app.app_context():
        client = db.session.get(Client, world.a1)
        contact = db.session.scalars(select(Contact).where(Contact.client_id == client.id)).first()
        draft_id = docs.save_draft(db.session, client, docs.DraftInput(
            kind="invoice", contact_id=contact.id, lines=[_line(price="10.00")],
            issue_date=dt.date(2026, 11, 19))).id
        db.session.commit()
        counted = batches.count_selection

        def count_then_issue_elsewhere(session, selection):
            result = counted(session, selection)
            with Session(db.engine) as other:
                if other.get_bind().dialect.name == "postgresql":
                    other.execute(sql("SET lock_timeout = '1s'"))
                try:
                    docs.issue(other, other.get(Client, world.a1),
                               other.get(Invoice, draft_id), TODAY)
                    other.commit()
                except OperationalError:
                    other.rollback()
                    held_back.append(True)
            return result

        monkeypatch.setattr(batches, "count_selection", count_then_issue_elsewhere)
        # The cutoff after the other user's issue: its transaction stamped the document first.
        first = run_export(db.session, client, request, user_id=None, user_name="test",
                           gettext=plain_gettext, now=utcnow() + dt.timedelta(minutes=5))
        db.session.commit()
        monkeypatch.setattr(batches, "count_selection", counted)
        postgres = db.session.get_bind().dialect.name == "postgresql"
        assert held_back == ([True] if postgres else [])

        def carried(batch):
            return db.session.scalars(select(ExportBatchDocument.invoice_id).where(
                ExportBatchDocument.batch_id == batch.id)).all()
        if postgres:
            assert (first.document_count, first.payment_count) == (5, 2)
            assert draft_id not in carried(first) and len(carried(first)) == 5
            docs.issue(db.session, client, db.session.get(Invoice, draft_id), TODAY)
            db.session.commit()
            second = run_export(db.session, client, request, user_id=None, user_name="test",
                                gettext=plain_gettext, now=utcnow() + dt.timedelta(minutes=6))
            assert (second.document_count, second.payment_count, carried(second)) == \
                (1, 0, [draft_id])
        else:
            assert (first.document_count, first.payment_count) == (6, 2)
            assert draft_id in carried(first) and len(carried(first)) == 6
            assert first.progress_done == first.progress_total == 8
            with pytest.raises(ExportBlocked):
                run_export(db.session, client, request, user_id=None, user_name="test",
                           gettext=plain_gettext, now=utcnow() + dt.timedelta(minutes=6))
        db.session.rollback()
        db.session.remove()


def test_no_export_without_a_dossier_number_and_nothing_is_written(app, world, exports):
    update_client(app, world.a1, dossier_code=None)
    before = _counts(app)
    browser = Browser(app, "collab_a")
    sheet = browser.get(f"/exports/client/{world.a1}/").text
    assert "Aucun numéro de dossier" in sheet and "bloqué" in sheet
    response = _export(browser, world.a1)
    page = browser.get(response.headers["Location"]).text
    assert "Export refusé" in page and "Aucun numéro de dossier" in page
    assert _counts(app) == before


def test_a_missing_account_blocks_and_says_where(app, world, exports):
    with app.app_context():
        plan = db.session.scalars(select(AccountingPlan)
                                  .where(AccountingPlan.client_id == world.a1)).one()
        plan.bank_account = None
        for mode in plan.payment_modes:
            if mode.label == "Chèque":
                mode.account = None
        db.session.commit()
    browser = Browser(app, "collab_a")
    page = browser.get(f"/exports/client/{world.a1}/").text
    assert "Chèque" in page and "Modes de paiement" in page
    before = _counts(app)
    _export(browser, world.a1)
    assert _counts(app) == before


def test_an_unbalanced_entry_stops_the_export_and_nothing_is_written(app, world, exports):
    with app.app_context():
        # A stored TTC that does not match its lines (only possible by hand in SQL).
        db.session.execute(sql("UPDATE invoice SET total_ttc = total_ttc + 1, "
                               "total_ht = total_ht + 1 WHERE id = :id"),
                           {"id": exports["a1"]["second"]})
        db.session.commit()
        client = db.session.get(Client, world.a1)
        with pytest.raises(ExportBlocked) as blocked:
            run_export(db.session, client, ExportRequest(world.a1, dt.date(2026, 1, 1),
                                                         dt.date(2026, 12, 31)),
                       user_id=None, user_name="test", gettext=plain_gettext)
        db.session.rollback()
        assert "n'est pas équilibrée" in blocked.value.blockers[0].message
    assert _counts(app) == (0, 0, 0, 0)


def test_preview_shows_the_journal_with_provenance_and_writes_nothing(app, world, exports):
    browser = Browser(app, "collab_a")
    page = browser.get(f"/exports/client/{world.a1}/apercu?start=2026-01-01&end=2026-12-31").text
    assert "Aperçu des écritures" in page
    assert "VE000001" in page and "41100000" in page and "CMARTIN" in page
    assert "compte de la catégorie « Créations »" in page   # why the dress goes to 701
    assert "70100000" in page
    assert _counts(app) == (0, 0, 0, 0)


def test_isacompta_and_xlsx_exports(app, world, exports):
    browser = Browser(app, "collab_a")
    _export(browser, world.a1, format="isacompta")
    (batch,) = _batches(app, world.a1)
    data = browser.get(f"/exports/lot/{batch.id}/telecharger").data
    lines = data.decode("iso-8859-15").splitlines()
    assert len(lines) == batch.line_count
    assert all(len(line.split(";")) == 13 for line in lines)
    _export(browser, world.a1, format="xlsx", include_exported="1")
    xlsx = _batches(app, world.a1)[-1]
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(browser.get(f"/exports/lot/{xlsx.id}/telecharger").data),
                          read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == xlsx.line_count + 1 and "Provenance" in rows[0]


def test_progress_page_for_long_exports(app, world, exports):
    threshold = app.config["EXPORT_PROGRESS_THRESHOLD"]
    app.config["EXPORT_PROGRESS_THRESHOLD"] = 0
    try:
        browser = Browser(app, "collab_a")
        response = _export(browser, world.a1)
        page = response.get_data(as_text=True)
    finally:
        app.config["EXPORT_PROGRESS_THRESHOLD"] = threshold
    assert "passerelleExportProgress(7, 7)" in page
    (batch,) = _batches(app, world.a1)
    assert f"/exports/lot/{batch.id}/telecharger" in page


def test_bulk_export_reports_blocked_clients_and_zips_the_others(app, world, exports):
    browser = Browser(app, "owner_a")
    form = browser.get(f"/exports/multiple?ids={world.a1},{world.a2}")
    assert form.status_code == 200 and "Alpha Deux SAS" in form.text
    response = browser.post("/exports/multiple", data=dict(
        YEAR, ids=f"{world.a1},{world.a2}", format="isacompta"), csrf_from="/clientview/list/")
    assert response.status_code == 200
    assert "1 client(s) exporté(s), 1 bloqué(s)" in response.text
    assert "Aucun numéro de dossier" in response.text
    (batch,) = _batches(app, world.a1)
    archive = zipfile.ZipFile(io.BytesIO(browser.get(f"/exports/zip?lots={batch.id}").data))
    names = archive.namelist()
    assert "rapport.txt" in names and any(name.startswith("A001/") for name in names)


def test_another_cabinets_exports_answer_404_on_every_route(app, world, exports):
    owner_b = Browser(app, "owner_b")
    _export(owner_b, world.b1)
    (foreign,) = _batches(app, world.b1)
    browser = Browser(app, "owner_a")
    token = browser.csrf("/clientview/list/")
    for path in (f"/exports/client/{world.b1}/", f"/exports/client/{world.b1}/apercu",
                 f"/exports/lot/{foreign.id}/telecharger", f"/exports/zip?lots={foreign.id}",
                 f"/exports/multiple?ids={world.b1}"):
        assert browser.get(path).status_code == 404, path
    for path, data in ((f"/exports/client/{world.b1}/exporter", YEAR),
                       ("/exports/multiple", dict(YEAR, ids=str(world.b1)))):
        assert browser.post(path, data=dict(data, csrf_token=token)).status_code == 404, path
    assert len(_batches(app, world.b1)) == 1


def test_restricted_collaborator_exports_only_assigned_clients(app, world, exports):
    update_client(app, world.a2, dossier_code="A002")
    browser = Browser(app, "restricted_a")
    assert browser.get(f"/exports/client/{world.a1}/").status_code == 200
    assert browser.get(f"/exports/client/{world.a2}/").status_code == 404
    token = browser.csrf("/clientview/list/")
    response = browser.post("/exports/multiple", data=dict(
        YEAR, ids=f"{world.a1},{world.a2}", csrf_token=token))
    assert response.status_code == 404
    assert _batches(app, world.a1) == [] and _batches(app, world.a2) == []


def test_the_client_user_cannot_export(app, world, exports):
    browser = Browser(app, "client_a1")
    response = browser.get(f"/exports/client/{world.a1}/")
    assert response.status_code in (302, 403, 404)
    assert _batches(app, world.a1) == []


def test_cli_exports_and_fails_in_french_when_blocked(app, world, exports, tmp_path):
    runner = app.test_cli_runner()
    output = tmp_path / "a1.txt"
    result = runner.invoke(args=["export-entries", "--client", "A001", "--start", "2026-01-01",
                                 "--end", "2026-12-31", "--format", "fec",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = check_fec(output.read_bytes())
    (batch,) = _batches(app, world.a1)
    assert len(rows) == batch.line_count
    assert hashlib.sha256(output.read_bytes()).hexdigest() == batch.sha256
    again = runner.invoke(args=["export-entries", "--client", "A001", "--start", "2026-01-01",
                                "--end", "2026-12-31", "--output", str(tmp_path / "b.txt")])
    assert again.exit_code != 0 and "Rien à exporter" in again.output
    assert not (tmp_path / "b.txt").exists()
    update_client(app, world.a1, dossier_code="A001")
    with app.app_context():
        plan = db.session.scalars(select(AccountingPlan)
                                  .where(AccountingPlan.client_id == world.a1)).one()
        plan.sales_journal = None
        db.session.commit()
    blocked = runner.invoke(args=["export-entries", "--client", "A001", "--start", "2026-01-01",
                                  "--end", "2026-12-31", "--include-exported",
                                  "--output", str(tmp_path / "c.txt")])
    assert blocked.exit_code != 0 and "Aucun journal des ventes" in blocked.output
    unknown = runner.invoke(args=["export-entries", "--client", "ZZZ", "--start", "2026-01-01",
                                  "--end", "2026-12-31", "--output", str(tmp_path / "d.txt")])
    assert unknown.exit_code != 0 and "Aucun client avec le numéro de dossier" in unknown.output


def test_client_list_and_sheet_show_ready_or_blocked_and_last_export(app, world, exports):
    browser = Browser(app, "collab_a")
    _export(browser, world.a1)
    sheet = browser.get(f"/clients/{world.a1}/?onglet=comptabilite").text
    assert "Export comptable" in sheet and "Dernier export" in sheet
    blocked = browser.get(f"/clients/{world.a2}/?onglet=comptabilite").text
    assert "Aucun numéro de dossier" in blocked
    listing = browser.get("/clientview/list/").text
    rows = {row.split('data-id="')[1].split('"')[0]: row
            for row in listing.split("<tr ")[1:] if 'data-id="' in row}
    assert "label-success" in rows[str(world.a1)] and ">prêt<" in rows[str(world.a1)]
    assert ">bloqué<" in rows[str(world.a2)]
    assert "numéro de dossier manquant, aucun plan comptable" in rows[str(world.a2)]


def test_an_exported_payment_can_no_longer_be_deleted(app, world, exports):
    _export(Browser(app, "collab_a"), world.a1)
    with app.app_context():
        payment_id = db.session.scalar(select(ExportBatchPayment.payment_id)
                                       .where(ExportBatchPayment.client_id == world.a1))
    user = Browser(app, "client_a1")
    response = user.post(f"/espace/reglements/delete/{payment_id}",
                         csrf_from="/espace/reglements/list/", follow_redirects=True)
    assert "a été exporté en comptabilité (export n° 1)" in response.text
    with app.app_context():
        from app.models import Payment
        assert db.session.get(Payment, payment_id) is not None


def test_one_missing_account_met_by_several_documents_is_said_once(app, world, exports):
    """The 20 % services account is used by the second invoice, the final invoice
    and the credit note (three groups of lines): the check says so once, with the
    number of lines and one of the documents."""
    from app.exports.checks import export_blockers
    with app.app_context():
        plan = db.session.scalars(select(AccountingPlan)
                                  .where(AccountingPlan.client_id == world.a1)).one()
        twenty = next(rate for rate in plan.vat_rates if rate.rate == D("20"))
        twenty.services_sales_account = "706999"
        db.session.commit()
        client = db.session.get(Client, world.a1)
        blockers = export_blockers(db.session, client, lambda m, **p: m % p if p else m)
        db.session.remove()
    about = [blocker.message for blocker in blockers if "706999" in blocker.message]
    assert about == ["Le compte 706999 (compte de vente des prestations de services du taux "
                     "20 %) n'existe pas dans le plan comptable. (3 lignes, dont le document "
                     "AV-2026-00001)"]
