"""French formats for screens and exports (Babel): 1 234,56 €, 27/11/2026.

Dates in French are written with strftime (a list formats hundreds of them per
page; Babel costs ten times more per call); other locales go through Babel.
"""
import datetime as dt
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal


def _locale():
    try:
        from flask_babel import get_locale

        return str(get_locale() or "fr")
    except Exception:
        return "fr"


def _timezone_name():
    try:
        from flask import current_app

        return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    except RuntimeError:
        return "Europe/Paris"


@lru_cache(maxsize=8)
def _zone(name):
    return ZoneInfo(name)


def format_money(amount, currency="EUR"):
    if amount is None:
        return ""
    return format_currency(Decimal(amount), currency, locale=_locale())


def format_number(value):
    """A quantity or a rate: 2,5 ; 1 200 ; 5,5 (no trailing zeros)."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="#,##0.###", locale=_locale())


def format_date(value):
    if value is None:
        return ""
    locale = _locale()
    if locale == "fr":
        return value.strftime("%d/%m/%Y")
    return _babel_date(value, format="short", locale=locale)


def format_datetime(value):
    """Stored times are naive UTC; people read them in the firm's time zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(_zone(_timezone_name()))
    locale = _locale()
    if locale == "fr":
        return local.strftime("%d/%m/%Y\u00a0%H:%M")
    return _babel_datetime(local, format="short", locale=locale)


def format_siren(siren):
    """732 829 320, with no-break spaces: read in groups of three, never wrapped."""
    if not siren:
        return ""
    return "\u00a0".join((siren[:3], siren[3:6], siren[6:]))
