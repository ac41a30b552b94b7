"""One base for every tenant-scoped screen and API.

TenantModelView and TenantModelRestApi close each gap FAB leaves open
(DESIGN.md §6); the rules themselves live in app.security.tenancy.
"""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import exists, inspect as sa_inspect, select
from sqlalchemy.orm import object_session
from wtforms.validators import ValidationError

from app.extensions import db
from app.models import Client
from app.models.mixins import CabinetOwned, ClientOwned
from app.security.tenancy import (
    NOTHING, ScopeKind, current_scope, is_tenant_model, visible_criteria,
)


class ForeignReference(Exception):
    """A submitted record points at something the user may not see."""


def _refuse_unknown_related_ids():
    """FAB's related select fields drop a submitted id they cannot find (another
    cabinet's, or none) instead of refusing the form: the multiple select checks
    its "invalid" flag before reading the data that sets it, the single select
    turns an unknown id into "nothing selected". Make both refuse it."""
    multiple_pre_validate = QuerySelectMultipleField.pre_validate
    single_pre_validate = QuerySelectField.pre_validate

    def multiple(self, form):
        self.data  # reading the data flags the ids it could not find
        return multiple_pre_validate(self, form)

    def single(self, form):
        submitted = self._formdata
        if submitted not in (None, "", "__None") and self.data is None:
            raise ValidationError(self.gettext("Not a valid choice"))
        return single_pre_validate(self, form)

    QuerySelectMultipleField.pre_validate = multiple
    QuerySelectField.pre_validate = single


_refuse_unknown_related_ids()


class VisibleToCurrentUser(BaseFilter):
    """FAB filter applying the tenant rules to any query on a tenant model."""

    name = _l("Visible par l'utilisateur")
    arg_name = None  # never selectable from a URL or the API

    def apply(self, query, value):
        criteria = visible_criteria(self.model, current_scope() or NOTHING)
        return query if criteria is None else query.filter(criteria)


def _tenant_filter(model):
    return [["id", VisibleToCurrentUser, None]] if is_tenant_model(model) else []


def safe_next(default=None):
    """The `next` parameter if it is a relative URL of this site, else `default`."""
    target = (request.values.get("next") or "").strip()
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(char) < 32 for char in target)):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def visible_or_404(model, pk):
    """Load one record the current user may see, or answer 404 as if it did not exist.
    For screens that are not a FAB ModelView (client sheet, forms of actions…)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        abort(404)
    criteria = visible_criteria(model, current_scope() or NOTHING)
    statement = select(model).where(model.id == pk)
    if criteria is not None:
        statement = statement.where(criteria)
    record = db.session.scalars(statement).first()
    if record is None:
        abort(404)
    return record


def is_visible(obj) -> bool:
    """Is this (possibly just submitted) related object visible to the user?"""
    model = type(obj)
    criteria = visible_criteria(model, current_scope() or NOTHING)
    if criteria is None:
        return True
    if obj.id is None:
        return True  # created in the same request, scoped on its own
    statement = select(exists().where(model.id == obj.id, criteria))
    session = object_session(obj) or db.session
    return bool(session.execute(statement.execution_options(skip_tenant_scope=True)).scalar())


class TenantSQLAInterface(SQLAInterface):
    """FAB's data interface, with related objects looked up inside the tenant
    (filters such as ?_flt_0_collaborators=<id> and prefilled related fields)."""

    def get_related_obj(self, col_name, value):
        related = super().get_related_obj(col_name, value)
        return related if related is None or is_visible(related) else None


class TenantScoped:
    """Behaviour shared by tenant views and APIs (mixed in before FAB's class)."""

    def _use_tenant_interface(self):
        if not isinstance(self.datamodel, TenantSQLAInterface):
            self.datamodel = TenantSQLAInterface(self.datamodel.obj, self.datamodel._session)

    def _tenant_rel_filters(self):
        filters = {}
        for column in self.datamodel.get_columns_list():
            if self.datamodel.is_relation(column):
                related = self.datamodel.get_related_model(column)
                if is_tenant_model(related):
                    filters[column] = _tenant_filter(related)
        return filters

    @staticmethod
    def _merge_rel_filters(own, tenant):
        merged = {key: list(value) for key, value in (own or {}).items()}
        for column, filters in tenant.items():
            merged.setdefault(column, [])
            merged[column] = filters + merged[column]
        return merged

    def _scope_datamodel(self):
        self.base_filters = _tenant_filter(self.datamodel.obj) + list(self.base_filters or [])

    # Writes ------------------------------------------------------------------
    def _check_related_visible(self, item):
        # No autoflush: a related object the API could not find arrives as a new,
        # unsaved instance carrying the submitted id, which must not be inserted.
        with db.session.no_autoflush:
            for relationship in item.__mapper__.relationships:
                if relationship.viewonly or relationship.lazy == "dynamic":
                    continue  # not set by a form (e.g. the history's `versions`)
                value = getattr(item, relationship.key, None)
                values = value if isinstance(value, (list, set, tuple)) else [value]
                for related in values:
                    if related is not None and not self._is_known_and_visible(related):
                        raise ForeignReference(gettext(
                            "« %(field)s » : élément introuvable.", field=relationship.key))

    @staticmethod
    def _is_known_and_visible(related):
        state = sa_inspect(related)
        if state.transient and state.identity is None and getattr(related, "id", None) is not None:
            return False  # an id that matched no visible row
        return not is_tenant_model(type(related)) or is_visible(related)

    def _assign_tenant(self, item):
        scope = current_scope() or NOTHING
        if isinstance(item, CabinetOwned):
            if scope.kind in (ScopeKind.CABINET, ScopeKind.RESTRICTED):
                item.cabinet_id = scope.cabinet_id
            elif not scope.is_platform or item.cabinet_id is None:
                raise ForeignReference(gettext("Aucun cabinet ne peut recevoir cet enregistrement."))
        if isinstance(item, ClientOwned):
            if scope.kind is ScopeKind.CLIENT:
                item.client_id = scope.client_id
            elif item.client_id is None:
                raise ForeignReference(gettext("Choisissez le dossier client."))

    def _check_tenant_unchanged(self, item):
        state = sa_inspect(item)
        for column in ("cabinet_id", "client_id"):
            if column in state.attrs and state.attrs[column].history.deleted:
                raise ForeignReference(gettext("Le cabinet ou le dossier d'un enregistrement ne change pas."))

    def pre_add(self, item):
        self._assign_tenant(item)
        self._check_related_visible(item)
        if isinstance(item, ClientOwned):
            client = db.session.get(Client, item.client_id)
            if client is None or not is_visible(client):
                raise ForeignReference(gettext("Dossier client introuvable."))
        super().pre_add(item)

    def pre_update(self, item):
        self._check_tenant_unchanged(item)
        self._check_related_visible(item)
        super().pre_update(item)


class TenantModelView(TenantScoped, ModelView):
    """Base of every screen listing tenant data."""

    def __init__(self, **kwargs):
        self._use_tenant_interface()
        tenant = self._tenant_rel_filters()
        self.add_form_query_rel_fields = self._merge_rel_filters(self.add_form_query_rel_fields, tenant)
        self.edit_form_query_rel_fields = self._merge_rel_filters(self.edit_form_query_rel_fields, tenant)
        self.search_form_query_rel_fields = self._merge_rel_filters(
            self.search_form_query_rel_fields, tenant
        )
        self._scope_datamodel()
        super().__init__(**kwargs)

    def _get_visible_or_404(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if not self.is_get_mutation_allowed():
            abort(405)
        if name not in self.actions:
            abort(404)
        permission_name = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission_name, self.class_permission_name):
            abort(403)
        return self.actions[name].func(self._get_visible_or_404(pk))

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        pks = request.form.getlist("rowid")
        if request.form.get("single"):
            # A row's own button (« action:id ») inside the list's bulk form.
            name, _, pk = request.form["single"].partition(":")
            pks = [pk]
        if name not in self.actions:
            abort(404)
        permission_name = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission_name, self.class_permission_name):
            abort(403)
        items = [self._get_visible_or_404(pk) for pk in pks]
        if not items:
            flash(gettext("Sélectionnez au moins une ligne."), "warning")
            return redirect(self.get_redirect())
        return self.actions[name].func(items)

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        # Files are never served from disk by name: uploads live in the database.
        abort(404)


_FORBIDDEN_RESPONSE = {
    "description": "Forbidden: the user's role does not allow this operation",
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"message": {"type": "string"}}}}},
}


class TenantModelRestApi(TenantScoped, ModelRestApi):
    """Base of every API on tenant data."""

    responses = dict(ModelRestApi.responses, **{"403": _FORBIDDEN_RESPONSE})

    def add_api_spec(self, api_spec):
        """FAB's spec leaves 403 out and declares created ids as strings: fix ours."""
        super().add_api_spec(api_spec)
        prefix = f"/api/{self.version}/{self.resource_name}/"
        for path, operations in api_spec._paths.items():
            if not path.startswith(prefix):
                continue
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                operation["responses"].setdefault("403", {"$ref": "#/components/responses/403"})
                created = operation["responses"].get("201", {})
                schema = created.get("content", {}).get("application/json", {}).get("schema", {})
                if "id" in schema.get("properties", {}):
                    schema["properties"]["id"] = {"type": "integer"}

    def __init__(self):
        self._use_tenant_interface()
        tenant = self._tenant_rel_filters()
        self.add_query_rel_fields = self._merge_rel_filters(self.add_query_rel_fields, tenant)
        self.edit_query_rel_fields = self._merge_rel_filters(self.edit_query_rel_fields, tenant)
        self._scope_datamodel()
        super().__init__()

    def post_headless(self):
        try:
            return super().post_headless()
        except ForeignReference as error:
            db.session.rollback()
            return self.response_422(message=str(error))

    def put_headless(self, pk):
        try:
            return super().put_headless(pk)
        except ForeignReference as error:
            db.session.rollback()
            return self.response_422(message=str(error))
