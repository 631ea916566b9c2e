"""The schema stays ready to be distributed by performer (SPEC S1, docs/scale-out.md).

Every first-party table is either a tenant table, which carries ``performer_id`` and whose
indexes, unique constraints and foreign keys lead with (or include) it, or a declared
reference table. Today's departures from that rule are listed one by one in
``ALLOWED_EXCEPTIONS`` with the step of docs/scale-out.md that removes them, so that a new
table, index, constraint or relation that breaks the rule fails here, and an exception that
is no longer needed must be struck off the list.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models.expressions import OrderBy

TENANT_APPS = ("mycustomers", "contacts", "lists")
TENANT_KEYS = ("performer", "performer_id")

# Replicated to every node (create_reference_table): platform-wide rows that belong to no
# single performer. Third-party tables (auth, sessions, axes, tasks, ...) are out of scope.
REFERENCE_TABLES: dict[str, str] = {
    "mycustomers.Performer": "the tenant itself (the auth user; usernames unique platform-wide)",
    "mycustomers.Member": "platform accounts, customers of many performers; names unique",
    "mycustomers.Performer_groups": "Django's auth link table of the performer (staff groups)",
    "mycustomers.Performer_user_permissions": "Django's auth link table of the performer",
    "mycustomers.WorkerBeat": "the background workers' heartbeats, beside the task queue's rows",
}

# Tables that migrations create in raw SQL, with no model.
RAW_TABLES: dict[str, str] = {
    "performer_data_change": (
        "performers noted by the count-cache triggers, emptied by the same transaction "
        "(mycustomers migration 0009); scale-out.md, step 4"
    ),
}

_STEP_2 = "scale-out.md step 2: the relation becomes (performer_id, {column})"
_STEP_3 = "scale-out.md step 3: {what}"

# (model label, kind, name): why it is allowed today and what removes it. Kinds: "index"
# (Meta.indexes by name, or a field's own index by field name), "unique" (a constraint by
# name, or a unique field by field name) and "foreign key" (by field name).
ALLOWED_EXCEPTIONS: dict[tuple[str, str, str], str] = {
    # Single-column foreign keys between tenant tables: Citus only accepts a foreign key
    # between distributed tables when it includes the distribution column.
    **{
        (label, "foreign key", field): _STEP_2.format(column=f"{field}_id")
        for label, field in [
            ("mycustomers.MassAction", "mail"),
            ("contacts.ContactEvent", "customer"),
            ("contacts.MailDelivery", "mail"),
            ("contacts.MailDelivery", "customer"),
            ("contacts.MailDelivery", "event"),
            ("contacts.Offer", "customer"),
            ("contacts.Feedback", "customer"),
            ("contacts.Note", "customer"),
            ("contacts.Activity", "customer"),
            ("lists.Membership", "customer_list"),
            ("lists.Membership", "customer"),
        ]
    },
    # The index Django gives each of those foreign keys: it serves the foreign-key check when
    # a referenced row is deleted. With the composite relation the check reads the tenant
    # index that leads with (performer_id, <key>), and these go.
    **{
        (label, "index", field): _STEP_3.format(
            what=f"dropped; the ({field}_id) lookups use a (performer_id, {field}_id) index"
        )
        for label, field in [
            ("mycustomers.MassAction", "mail"),
            ("contacts.ContactEvent", "customer"),
            ("contacts.MailDelivery", "mail"),
            ("contacts.MailDelivery", "customer"),
            ("contacts.Offer", "customer"),
            ("contacts.Feedback", "customer"),
            ("contacts.Note", "customer"),
            ("contacts.Activity", "customer"),
            ("lists.Membership", "customer"),
        ]
    },
    ("contacts.MailDelivery", "unique", "event"): _STEP_3.format(
        what="the one-to-one becomes UNIQUE (performer_id, event_id)"
    ),
    ("contacts.MailDelivery", "unique", "delivery_unique_recipient"): _STEP_3.format(
        what="UNIQUE (performer_id, mail_id, customer_id)"
    ),
    ("lists.Membership", "unique", "membership_unique"): _STEP_3.format(
        what="UNIQUE (performer_id, customer_list_id, customer_id), which also replaces "
        "membership_list_idx"
    ),
    # GIN trigram indexes cannot lead with a b-tree column without the btree_gin extension.
    # Within a shard they are still only read for one performer's rows (the query's other
    # conditions are on performer_id), so distribution works with them as they are.
    ("mycustomers.Customer", "index", "cust_vis_name_trgm"): _STEP_3.format(
        what="kept as it is (GIN: each shard indexes its own performers' names)"
    ),
    ("mycustomers.Customer", "index", "cust_vis_nick_trgm"): _STEP_3.format(
        what="kept as it is (GIN: each shard indexes its own performers' nicknames)"
    ),
}


def first_party_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in TENANT_APPS and model._meta.managed and not model._meta.proxy
    ]


def performer_field(model: type[models.Model]) -> models.Field | None:
    for field in model._meta.concrete_fields:
        if (
            field.attname == "performer_id"
            and field.is_relation
            and field.related_model._meta.label == settings.AUTH_USER_MODEL
        ):
            return field
    return None


def tenant_models() -> list[type[models.Model]]:
    return [m for m in first_party_models() if m._meta.label not in REFERENCE_TABLES]


def leading_name(expression) -> str | None:
    """The column name an index or constraint expression starts with, if it is a plain one."""
    if isinstance(expression, OrderBy):
        expression = expression.expression
    if isinstance(expression, models.F):
        return expression.name
    return None


def leads_with_performer(fields, expressions) -> bool:
    if fields:
        return fields[0].lstrip("-") in TENANT_KEYS
    return bool(expressions) and leading_name(expressions[0]) in TENANT_KEYS


def violations() -> dict[tuple[str, str, str], str]:
    """Every index, unique constraint and foreign key of a tenant table that does not carry
    the performer first, as (label, kind, name) -> what it is."""
    found: dict[tuple[str, str, str], str] = {}
    for model in tenant_models():
        label = model._meta.label
        for index in model._meta.indexes:
            if not leads_with_performer(index.fields, index.expressions):
                found[(label, "index", index.name)] = f"index {index.name}"
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and not leads_with_performer(
                constraint.fields, constraint.expressions
            ):
                found[(label, "unique", constraint.name)] = f"unique {constraint.name}"
        for together in model._meta.unique_together:
            if together[0] not in TENANT_KEYS:
                found[(label, "unique", ",".join(together))] = f"unique_together {together}"
        for field in model._meta.concrete_fields:
            if field.primary_key or field.attname == "performer_id":
                continue
            if field.unique:
                found[(label, "unique", field.name)] = f"unique field {field.name}"
            elif field.db_index:
                found[(label, "index", field.name)] = f"index on {field.column}"
            # A key the app keeps (no database constraint) is no relation to distribute.
            if (field.many_to_one or field.one_to_one) and field.db_constraint:
                target = field.related_model._meta.label
                if target not in REFERENCE_TABLES and target != settings.AUTH_USER_MODEL:
                    found[(label, "foreign key", field.name)] = f"foreign key to {target}"
    return found


def test_every_first_party_table_is_a_tenant_or_a_declared_reference_table():
    neither = [
        m._meta.label
        for m in first_party_models()
        if m._meta.label not in REFERENCE_TABLES and performer_field(m) is None
    ]
    assert not neither, (
        f"{neither}: give each a `performer` foreign key (a tenant table), or declare it in "
        "REFERENCE_TABLES with the reason (docs/scale-out.md)"
    )


def test_every_declared_reference_table_exists():
    labels = {m._meta.label for m in first_party_models()}
    assert set(REFERENCE_TABLES) <= labels, set(REFERENCE_TABLES) - labels


def test_tenant_primary_keys_are_the_id_or_lead_with_the_performer():
    # Every primary key is (id) today; step 1 of docs/scale-out.md makes them all
    # (performer_id, id) at once. Anything else (a natural key, a one-to-one as the key)
    # would need its own plan.
    odd = []
    for model in tenant_models():
        pk = model._meta.pk
        if isinstance(pk, models.CompositePrimaryKey):
            if pk.field_names[0] not in TENANT_KEYS:
                odd.append(model._meta.label)
        elif not (pk.name == "id" and isinstance(pk, models.AutoField)):
            odd.append(model._meta.label)
    assert not odd, odd


def test_tenant_indexes_constraints_and_relations_carry_the_performer():
    new = {key: what for key, what in violations().items() if key not in ALLOWED_EXCEPTIONS}
    assert not new, (
        "These do not lead with (or include) performer_id, so the table could not be "
        f"distributed by performer: {new}. Put the performer first (tenant indexes and "
        "unique constraints), or add the exception with its reason and plan."
    )


def test_every_allowed_exception_is_still_needed():
    found = violations()
    stale = sorted(key for key in ALLOWED_EXCEPTIONS if key not in found)
    assert not stale, f"fixed (or renamed): strike them off ALLOWED_EXCEPTIONS: {stale}"


@pytest.mark.django_db
def test_every_table_in_the_database_belongs_to_a_model_or_is_declared():
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    modelled = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    unknown = sorted(tables - modelled - set(RAW_TABLES) - {"django_migrations"})
    assert not unknown, (
        f"{unknown}: a table made in raw SQL must be declared in RAW_TABLES, with how it "
        "is distributed (docs/scale-out.md)"
    )
    assert set(RAW_TABLES) <= tables, set(RAW_TABLES) - tables
