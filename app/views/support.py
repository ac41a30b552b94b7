"""« Contacter le support » (issue 7): the support panel's form, and the platform
Admin's list of the messages received.

SupportView is open to every logged-in role (roles.OWN_ACCOUNT gives `can_send`);
SupportMessageView belongs to the Admin alone (no other role matches its names).
A message is not tenant data: the Admin reads them all, so no tenant filter applies.
The sender, their cabinet and client always come from the logged-in user, never
from the form; the only submitted context, the page, is stored (truncated) and is
used as a redirect only when it is a relative URL of this site.
"""
import datetime as dt
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.formatting import format_datetime
from app.models import Client, SupportMessage
from app.models.mixins import utcnow

SUBJECT_MAX = 200
MESSAGE_MAX = 5000
PAGE_MAX = 500  # the size of SupportMessage.page
NAME_MAX = 200  # the size of SupportMessage.user_name
# Enough for a real conversation, too few to flood the Admin's list.
MAX_MESSAGES_PER_HOUR = 10
SUPPORT_ENDPOINTS = ("SupportView.contact", "SupportView.send")


# The form ---------------------------------------------------------------------------

def one_line_breaks(value):
    """Browsers send a textarea's line breaks as CRLF, which the server would count
    twice while the page's maxlength counts them once: count them once, and ignore
    surrounding blanks (a message of spaces is no message)."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def page_as_stored(value):
    """The page a message came from is only context for the support: kept as sent,
    cut to the column's size."""
    return (value or "").strip()[:PAGE_MAX]


class SupportForm(FlaskForm):
    """The message form of the panel (every page) and of the page /support/."""

    subject = StringField(_l("Objet"), filters=[one_line_breaks], validators=[
        DataRequired(message=_l("Indiquez l'objet de votre message.")),
        Length(max=SUBJECT_MAX, message=_l("L'objet fait %(max)d caractères au plus.")),
    ])
    message = TextAreaField(_l("Votre message"), filters=[one_line_breaks], validators=[
        DataRequired(message=_l("Écrivez votre message.")),
        Length(max=MESSAGE_MAX, message=_l("Le message fait %(max)d caractères au plus.")),
    ])
    page = HiddenField(filters=[page_as_stored])


# Helpers ----------------------------------------------------------------------------

def safe_relative_url(target):
    """`target` if it is a relative URL of this site, else None: the rule of
    app.views.base.safe_next (which reads the `next` parameter), for the page a
    message came from. `//host`, `/\\host`, schemes and control characters are out."""
    target = (target or "").strip()
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(char) < 32 for char in target)):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def current_page():
    """The URL (path and query) of the page being rendered, as the panel's hidden
    `page`: taken from the request on the server, never from the browser."""
    return request.full_path.removesuffix("?")[:PAGE_MAX]


def sender_name(user):
    """What the Admin reads in the list: the person's name, else their login."""
    return (user.full_name or user.username)[:NAME_MAX]


def sender_cabinet_id(user):
    """A staff user's cabinet; for a client user, the cabinet of their dossier, so
    the Admin knows which firm the question concerns."""
    if user.cabinet_id is not None or user.client_id is None:
        return user.cabinet_id
    return db.session.scalar(select(Client.cabinet_id).where(Client.id == user.client_id))


def sent_in_the_last_hour(user_id):
    """Counted in the database, so the limit holds across workers and restarts."""
    since = utcnow() - dt.timedelta(hours=1)
    return db.session.scalar(
        select(func.count(SupportMessage.id))
        .where(SupportMessage.user_id == user_id, SupportMessage.created_at >= since))


def store_message(user, form):
    message = SupportMessage(
        user_id=user.id, user_name=sender_name(user), email=user.email,
        cabinet_id=sender_cabinet_id(user), client_id=user.client_id,
        page=form.page.data or None, subject=form.subject.data, message=form.message.data)
    db.session.add(message)
    db.session.commit()
    return message


def may_send():
    """Whether the support button is shown: logged in and allowed to send."""
    return bool(current_user.is_authenticated
                and current_app.appbuilder.sm.has_access("can_send", "SupportView"))


def support_panel(error_page=False):
    """Everything the panel of passerelle/base.html needs, or None where it is not
    shown (anonymous visitors, the support page itself). An error page carries no
    page URL: it must read the same whatever URL was asked (a hidden record answers
    exactly like a missing one); support.js fills it in the browser instead."""
    if request.endpoint in SUPPORT_ENDPOINTS or not may_send():
        return None
    page = "" if error_page else current_page()
    return SimpleNamespace(
        form=SupportForm(formdata=None, page=page), page=page,
        link=url_for("SupportView.contact", page=page or None), **contact_details())


def contact_details():
    """The configured phone (and its tel: form, digits only) and address."""
    phone = current_app.config["SUPPORT_PHONE"]
    dial = "".join(char for char in phone if char.isdigit() or char == "+")
    return {"phone": phone, "tel": dial, "email": current_app.config["SUPPORT_EMAIL"]}


# The views --------------------------------------------------------------------------

class SupportView(BaseView):
    """/support/: the panel's content as a page (without JavaScript, or after an
    error) and the form's target. Every logged-in role holds `can_send`."""

    route_base = "/support"
    default_view = "contact"
    class_permission_name = "SupportView"
    method_permission_name = {"contact": "send", "send": "send"}

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        """Also offer `support_panel()` to every template (the base layout's panel)."""
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        blueprint.add_app_template_global(support_panel, "support_panel")
        return blueprint

    @expose("/")
    @has_access
    def contact(self):
        form = SupportForm(page=request.args.get("page", ""))
        return self._render(form)

    @expose("/envoyer", methods=["POST"])
    @has_access
    def send(self):
        form = SupportForm()
        if not form.validate_on_submit():
            return self._render(form)
        if sent_in_the_last_hour(current_user.id) >= MAX_MESSAGES_PER_HOUR:
            limit = gettext(
                "Vous avez déjà envoyé %(max)d messages au support dans l'heure : votre message "
                "n'est pas parti. Réessayez plus tard, ou appelez-nous au %(phone)s.",
                max=MAX_MESSAGES_PER_HOUR, phone=contact_details()["phone"])
            return self._render(form, limit_error=limit), 429
        store_message(current_user, form)
        flash(gettext("Message envoyé au support : nous vous répondons par e-mail."), "success")
        return redirect(self._back_url(form.page.data))

    def _render(self, form, limit_error=None):
        return self.render_template(
            "passerelle/support/page.html", title=gettext("Contacter le support"), form=form,
            limit_error=limit_error, back_url=self._back_url(form.page.data),
            **contact_details())

    def _back_url(self, page):
        """The page the message came from, if it is ours and can be shown again
        (not the POST-only form target), else the home page."""
        target = safe_relative_url(page)
        if target is None or urlsplit(target).path == url_for(".send"):
            return self.appbuilder.get_url_for_index
        return target


def _format_client(client_id):
    """The dossier's name on the message's page (one message: one lookup)."""
    if client_id is None:
        return ""
    client = db.session.get(Client, client_id)
    return client.name if client is not None else gettext("dossier supprimé (n° %(id)d)",
                                                          id=client_id)


def _format_handled(value):
    return format_datetime(value) if value else gettext("à traiter")


def _format_page(value):
    """A long URL wraps instead of widening the list (shown as text, never a link)."""
    return Markup('<span class="support-page-url">{}</span>').format(value or "")


def _format_message(value):
    """Keep the sender's line breaks (the text itself stays escaped)."""
    return Markup('<div class="support-message-text">{}</div>').format(value or "")


class SupportMessageView(ModelView):
    """« Plateforme > Messages au support »: read only, for the platform Admin; the
    only change is « Marquer comme traité »."""

    datamodel = SQLAInterface(SupportMessage)
    include_route_methods = {"list", "show", "action", "action_post"}
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Messages au support")
    show_title = _l("Message au support")
    list_columns = ["created_at", "user_name", "cabinet.name", "page", "subject", "handled_at"]
    show_columns = ["created_at", "user_name", "email", "cabinet.name", "client_id", "page",
                    "subject", "message", "handled_at"]
    search_columns = ["subject", "user_name", "email"]
    order_columns = ["created_at", "user_name", "subject", "handled_at"]
    base_order = ("created_at", "desc")
    page_size = 50
    label_columns = {
        "created_at": _l("Date"),
        "user_name": _l("Expéditeur"),
        "email": _l("E-mail"),
        "cabinet.name": _l("Cabinet"),
        "client_id": _l("Dossier client"),
        "page": _l("Page"),
        "subject": _l("Objet"),
        "message": _l("Message"),
        "handled_at": _l("Traité le"),
    }
    formatters_columns = {
        "created_at": format_datetime,
        "handled_at": _format_handled,
        "client_id": _format_client,
        "page": _format_page,
        "message": _format_message,
    }

    @action("mark_handled", _l("Marquer comme traité"), icon="fa-check", single=True,
            multiple=True)
    def mark_handled(self, items):
        """Stamp the messages not handled yet (a handled one keeps its first date)."""
        items = [item for item in (items if isinstance(items, list) else [items])
                 if item is not None]
        if not items:
            abort(404)
        now = utcnow()
        pending = [item for item in items if item.handled_at is None]
        for item in pending:
            item.handled_at = now
        db.session.commit()
        flash(ngettext("%(num)d message marqué comme traité.",
                       "%(num)d messages marqués comme traités.", len(pending))
              if pending else gettext("Déjà traité."), "success")
        return redirect(url_for(".list"))

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """FAB answers 500 to an unknown action name: it is a page that does not exist."""
        if request.form.get("action") not in self.actions:
            abort(404)
        return super().action_post()
