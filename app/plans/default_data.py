"""The default charts of accounts shipped with the product (DESIGN.md §3).

Plain data: app.plans.defaults writes it to the database and keeps it up to
date. A firm never changes these plans; it duplicates them.
"""
from decimal import Decimal

ACCOUNTS = (
    ("411000", "Clients", "customer"),
    ("4191", "Clients - avances et acomptes reçus", "deposit"),
    ("44571", "TVA collectée", "vat"),
    ("44574", "TVA collectée sur encaissements", "vat"),
    ("467", "Autres comptes débiteurs ou créditeurs", "other"),
    ("471", "Compte d'attente", "other"),
    ("5112", "Chèques à encaisser", "bank"),
    ("512", "Banques", "bank"),
    ("530", "Caisse", "cash"),
    ("627", "Services bancaires", "other"),
    ("665", "Escomptes accordés", "other"),
    ("701", "Ventes de produits finis", "sales"),
    ("704", "Travaux", "sales"),
    ("706", "Prestations de services", "sales"),
    ("707", "Ventes de marchandises", "sales"),
    ("708", "Produits des activités annexes", "sales"),
    ("7085", "Ports et frais accessoires facturés", "sales"),
    ("709", "Rabais, remises et ristournes accordés", "discount"),
)

SETTINGS = {
    "account_length": 8,
    "sales_journal": "VE",
    "customer_account": "411000",
    "auxiliary_root": "C",
    "sales_account": "706",
    "deposit_account": "4191",
    "credit_note_account": None,
    "incorporate_vat_deposit": False,
    "incorporate_vat_article": False,
    "split_vat_by_nature": False,
    "bank_journal": "BQ",
    "bank_account": "512",
}

PAYMENT_MODES = (
    ("Virement", "512", "BQ"),
    ("Chèque", "5112", "BQ"),
    ("Espèces", "530", "CA"),
    ("Carte bancaire", "512", "BQ"),
    ("Prélèvement", "512", "BQ"),
)


def _rate(rate, label, vat_account):
    """A rate whose goods sell on 707 and services on 706, VAT on its sub-account."""
    return {"rate": Decimal(rate), "label": label,
            "goods_vat_account": vat_account, "services_vat_account": vat_account,
            "goods_sales_account": "707", "services_sales_account": "706"}


def _vat_accounts(rates):
    return tuple((rate["goods_vat_account"], f"TVA collectée {rate['label']}", "vat")
                 for rate in rates if rate["goods_vat_account"])


MAINLAND_RATES = (
    _rate("20", "20 %", "44571200"),
    _rate("10", "10 %", "44571100"),
    _rate("5.5", "5,5 %", "44571055"),
    _rate("2.1", "2,1 %", "44571021"),
    _rate("0", "0 % (exonéré)", None),
)
OVERSEAS_RATES = (
    _rate("8.5", "8,5 %", "44571085"),
    _rate("2.1", "2,1 %", "44571021"),
    _rate("1.05", "1,05 %", "44571105"),
    _rate("0", "0 % (exonéré)", None),
)

DEFAULT_PLANS = (
    {"code": "pcg", "name": "Plan comptable général",
     "accounts": ACCOUNTS + _vat_accounts(MAINLAND_RATES), "settings": SETTINGS,
     "vat_rates": MAINLAND_RATES, "payment_modes": PAYMENT_MODES},
    {"code": "pcg-dom", "name": "Plan comptable général — Guadeloupe, Martinique, Réunion",
     "accounts": ACCOUNTS + _vat_accounts(OVERSEAS_RATES), "settings": SETTINGS,
     "vat_rates": OVERSEAS_RATES, "payment_modes": PAYMENT_MODES},
)
