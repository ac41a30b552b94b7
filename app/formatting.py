"""French formats for screens and exports (Babel): 1 234,56 €, 27/11/2026."""
from decimal import Decimal

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency


def _locale():
    try:
        from flask_babel import get_locale

        return str(get_locale() or "fr")
    except Exception:
        return "fr"


def format_money(amount, currency="EUR"):
    if amount is None:
        return ""
    return format_currency(Decimal(amount), currency, locale=_locale())


def format_date(value):
    if value is None:
        return ""
    return _babel_date(value, format="short" if _locale() != "fr" else "dd/MM/yyyy", locale=_locale())


def format_datetime(value):
    if value is None:
        return ""
    pattern = "dd/MM/yyyy\u00a0HH:mm" if _locale() == "fr" else "short"
    return _babel_datetime(value, format=pattern, locale=_locale(), tzinfo=None)
