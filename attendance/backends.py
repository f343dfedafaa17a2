"""Authentication backends that load a logged-in user's roles with the user.

Every page a logged-in user sees asks `is_organizer` and `can_take_attendance` (the header's
“My meetings” link; the lead pages' scoping): two queries a request when asked of a plain user.
These backends load the user (once a request, from the session) with both facts in the same
query, as `_is_organizer` (member of the Organizers group) and `_leads_a_section`, the
attributes `core.roles` and `attendance.roles` read. The facts are read afresh on every
request: a lead removed from their sections loses the link on their next page.

The session remembers the backend that logged a user in, and the user is loaded by that one:
settings.AUTHENTICATION_BACKENDS names both of these (passwords, and django-sesame's sign-in
links) and, after them, the two they replace, so that sessions made before them stay valid
(loaded without the flags, the roles then ask the database as they always did).
"""

from django.contrib.auth import backends as auth_backends
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from sesame import backends as sesame_backends
from sesame import settings as sesame_settings

from core.roles import ORGANIZERS_GROUP
from sections.models import Section


def user_with_roles(field, value):
    """The user whose `field` (a field name, or "pk") is `value`, with `_is_organizer` and
    `_leads_a_section` (booleans), or None.

    One query written as SQL (from the models' table and column names): built by the ORM,
    its two EXISTS subqueries took 0.4 ms to compile each time, as long as running the two
    queries it replaces; this one costs less than Django's own plain user query."""
    user_model = get_user_model()
    meta = user_model._meta
    field = meta.pk if field == "pk" else meta.get_field(field)
    qn = connection.ops.quote_name
    members = user_model.groups.through._meta
    leads = Section.leads.through._meta
    user_id, group_id = (qn(members.get_field(name).column) for name in (meta.model_name, "group"))
    columns = ", ".join(f"u.{qn(f.column)}" for f in meta.concrete_fields)
    sql = (
        f"SELECT {columns}, "
        f"EXISTS(SELECT 1 FROM {qn(members.db_table)} m INNER JOIN {qn(Group._meta.db_table)} g"
        f" ON g.{qn(Group._meta.pk.column)} = m.{group_id}"
        f" WHERE m.{user_id} = u.{qn(meta.pk.column)} AND g.{qn('name')} = %s)"
        f" AS {qn('_is_organizer')}, "
        f"EXISTS(SELECT 1 FROM {qn(leads.db_table)} s"
        f" WHERE s.{qn(leads.get_field('user').column)} = u.{qn(meta.pk.column)})"
        f" AS {qn('_leads_a_section')} "
        f"FROM {qn(meta.db_table)} u WHERE u.{qn(field.column)} = %s"
    )
    value = field.get_db_prep_value(value, connection)  # as a filter(field=value) would
    user = next(iter(user_model._default_manager.raw(sql, [ORGANIZERS_GROUP, value])), None)
    if user is not None:  # SQLite answers 0 or 1
        user._is_organizer = bool(user._is_organizer)
        user._leads_a_section = bool(user._leads_a_section)
    return user


def _active_user(backend, field, value):
    """What the backends' own `get_user` returns (the user, or None when there is none or it
    may not log in), with its roles."""
    user = user_with_roles(field, value)
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(auth_backends.ModelBackend):
    """Django's ModelBackend (user name and password), loading the user with its roles."""

    def get_user(self, user_id):
        return _active_user(self, "pk", user_id)


class SesameBackend(sesame_backends.ModelBackend):
    """django-sesame's ModelBackend (sign-in links), loading the user with its roles."""

    def get_user(self, user_id):
        return _active_user(self, sesame_settings.PRIMARY_KEY_FIELD, user_id)
