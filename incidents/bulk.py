"""Plain ``executemany`` inserts, history rows included, for the bulk loader and generator.

``bulk_create`` prepares every value of every row through the field's full save path and
builds an SQL statement per batch; with history that is four model instances and four
statements per incident, most of an import's time. Here each model gets one prepared
INSERT, values are adapted only where the database needs it (dates and datetimes), and
ids are reserved in advance so that links and history rows can name their rows.
"""

from django.db import connection, models

# The SQL below is built from the models' own table and column names, quoted (S608/B608);
# every value goes through a placeholder.


def insert_sql(model, names):
    """INSERT for these fields of a model, with one placeholder each."""
    columns = [model._meta.get_field(name).column for name in names]
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(map(quote, columns))
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608  # nosec B608


def adapter(field):
    """What turns a field's Python value into the driver's, or None when nothing does."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    return None


def reserve_ids(model, count):
    """``count`` new primary keys for ``model``, never used before, in order.

    Call inside the transaction that inserts them. On PostgreSQL they come from the
    table's sequence; on SQLite the writer holds the database's write lock (transactions
    begin IMMEDIATE), so the numbers after the highest ever given are free.
    """
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}"  # noqa: S608  # nosec B608
        )
        top = cursor.fetchone()[0] or 0
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + count))


class Inserter:
    """Inserts instances of one model (ids set), and their history rows if it keeps one."""

    def __init__(self, model):
        self.model = model
        fields = model._meta.concrete_fields
        self.sql = insert_sql(model, [f.name for f in fields])
        self.columns = [(f.attname, adapter(f)) for f in fields]
        history = getattr(model, "history", None)
        self.history_model = history.model if history is not None else None
        if self.history_model is not None:
            tracked = self.history_model.tracked_fields
            self.tracked = [(f.attname, adapter(f)) for f in tracked]
            self.history_sql = insert_sql(
                self.history_model,
                [f.name for f in tracked]
                + ["history_date", "history_change_reason", "history_type", "history_user"],
            )

    def insert(self, instances):
        """INSERT the instances, their primary keys reserved first (and set on them)."""
        if not instances:
            return
        versioned = hasattr(self.model, "_concurrencymeta")
        for instance, pk in zip(instances, reserve_ids(self.model, len(instances)), strict=True):
            instance.pk = pk
            if versioned and not instance.version:
                instance.version = 1  # as a save through the ORM starts it
            instance._state.adding = False
            instance._state.db = connection.alias
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, [row(instance, self.columns) for instance in instances])

    def update(self, instances, names):
        """UPDATE these fields of instances already in the table, by primary key.

        A versioned model (optimistic locking) is updated only at the version it was read
        at, and its version goes up: an edit saved since then is never overwritten, and a
        form opened before this write is refused when it is saved. Returns how many rows
        were not updated because they had changed."""
        if not instances:
            return 0
        fields = [self.model._meta.get_field(name) for name in names if name != "version"]
        quote = connection.ops.quote_name
        table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        where = f"{pk} = %s"
        columns = [(f.attname, adapter(f)) for f in fields]
        versioned = hasattr(self.model, "_concurrencymeta")
        if versioned:
            version = quote(self.model._concurrencymeta.field.column)
            assignments += f", {version} = {version} + 1"
            where += f" AND {version} = %s"
        sql = f"UPDATE {table} SET {assignments} WHERE {where}"  # noqa: S608  # nosec B608
        params = []
        for instance in instances:
            params.append(row(instance, columns) + [instance.pk])
            if versioned:
                params[-1].append(instance.version)
                instance.version += 1
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
            return len(instances) - cursor.rowcount

    def record(self, instances, history_type, user, reason, date):
        """History rows ('+' created, '~' changed) for instances already written."""
        if self.history_model is None or not instances:
            return
        tail = [
            connection.ops.adapt_datetimefield_value(date),
            reason[:100] or None,  # the column holds 100 characters
            history_type,
            getattr(user, "pk", None),
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                self.history_sql, [row(instance, self.tracked) + tail for instance in instances]
            )


def row(instance, columns):
    return [
        getattr(instance, name) if adapt is None else adapt(getattr(instance, name))
        for name, adapt in columns
    ]
