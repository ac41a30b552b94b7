"""All models, imported together so that the mappers and Alembic see every table."""
# First: Continuum must listen to the mappers before the versioned models are defined.
from app.models import versioning  # noqa: F401  isort: skip
from app.models.accounting import (
    AccountingPlan, PlanAccount, PlanOwned, PlanPaymentMode, PlanVatRate,
)
from app.models.cabinet import Cabinet
from app.models.clients import PACKS, Client, DashboardPin, UserPreference, client_collaborator
from app.models.invoicing import (
    AccountAccess, Article, ArticleCategory, Charge, Contact, DocumentSequence, Invoice, InvoiceCharge,
    InvoiceDeposit, InvoiceLine, Payment, PaymentAllocation,
)
from app.models.exports import ExportBatch, ExportBatchDocument, ExportBatchPayment, ExportFileChunk
from app.models.imports import ImportRecord, ImportUpload
from app.models.support import SupportMessage
from app.models.users import AppUser
from sqlalchemy import func, select
from sqlalchemy.orm import column_property, configure_mappers, deferred

User = AppUser

# The size of a cabinet, for the platform Admin's list (loaded only when asked for).
Cabinet.client_count = deferred(column_property(
    select(func.count(Client.id)).where(Client.cabinet_id == Cabinet.id)
    .correlate_except(Client).scalar_subquery()))
Cabinet.user_count = deferred(column_property(
    select(func.count(AppUser.id)).where(AppUser.cabinet_id == Cabinet.id)
    .correlate_except(AppUser).scalar_subquery()))

# Last: every model is imported, so Continuum can build the version classes now
# (app.models.versioning), before anything queries them.
configure_mappers()

__all__ = ["AccountingPlan", "PlanAccount", "PlanOwned", "PlanPaymentMode", "PlanVatRate",
           "Cabinet", "Client", "DashboardPin", "PACKS", "User", "AppUser", "client_collaborator", "UserPreference",
           "Contact", "ArticleCategory", "Article", "Charge", "Invoice", "InvoiceLine",
           "InvoiceCharge", "InvoiceDeposit", "AccountAccess", "Payment", "PaymentAllocation", "DocumentSequence",
           "ExportBatch", "ExportBatchDocument", "ExportBatchPayment", "ExportFileChunk",
           "ImportRecord", "ImportUpload", "SupportMessage"]
