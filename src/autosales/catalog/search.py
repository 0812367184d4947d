"""Full-text search over products: a weighted tsvector with a GIN index on PostgreSQL, FTS5 on SQLite.

Both index the same four texts of a product row, most telling first: name, brand, the search document
(its variants' SKUs, names and attribute values, kept by `services.product_reindex`) and description.

What people type never reaches the search syntax as it is: the query is split into words (runs of letters
and digits) and each word becomes a quoted prefix term, all of which must match. Quotes, operators,
brackets, `*`, `:` or `-` typed by people therefore cannot break or widen the query.
"""

import re

from django.db import connection
from django.db.models import FloatField, Func, QuerySet, TextField, Value

from autosales.catalog.errors import CatalogError
from autosales.core.errors import DomainError

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10

# PostgreSQL: the text search configuration (English stems "bulbs" to "bulb").
PG_CONFIG = "english"
PG_INDEX_NAME = "catalog_product_search_gin"

# SQLite: an FTS5 table whose content is the catalog_product table itself, kept in sync by triggers.
FTS_TABLE = "catalog_product_fts"
FTS_COLUMNS = ("name", "brand", "search_document", "description")
FTS_WEIGHTS = (10.0, 4.0, 4.0, 1.0)  # bm25 weight per column, in FTS_COLUMNS order

_WORD = re.compile(r"[^\W_]+")


def search_terms(query: str) -> list[str]:
    """The words of a query, lower-cased, de-duplicated, in order; raises when the query is too long."""
    if len(query) > MAX_QUERY_LENGTH:
        raise DomainError(
            CatalogError.QUERY_TOO_LONG,
            f"Search terms can be at most {MAX_QUERY_LENGTH} characters long (this is {len(query)}).",
            field="q",
        )
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def fts5_match_expression(terms: list[str]) -> str:
    """An FTS5 MATCH expression requiring every term as a word prefix: `"led"* "a19"*`."""
    return " ".join(f'"{term}"*' for term in terms)


def pg_tsquery_text(terms: list[str]) -> str:
    """A to_tsquery text requiring every term as a word prefix: `'led':* & 'a19':*`."""
    return " & ".join(f"'{term}':*" for term in terms)


class _Words(Func):
    """The text with every run of characters other than letters and digits made a space.

    PostgreSQL's parser reads "LED-60" as "led" and the negative number "-60"; splitting documents
    exactly where queries are split (see search_terms) makes "led-60" find "LED-60".
    """

    function = "regexp_replace"
    template = "%(function)s(%(expressions)s, '[^[:alnum:]]+', ' ', 'g')"
    output_field = TextField()


def postgres_search_vector():
    """The weighted tsvector the GIN index is built on; queries must use this same expression."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector(_Words("name"), config=PG_CONFIG, weight="A")
        + SearchVector(_Words("brand"), config=PG_CONFIG, weight="B")
        + SearchVector(_Words("search_document"), config=PG_CONFIG, weight="B")
        + SearchVector(_Words("description"), config=PG_CONFIG, weight="D")
    )


def queryset_matching(queryset: QuerySet, terms: list[str]) -> QuerySet:
    """`queryset` (of products) narrowed to those matching every term, annotated with `search_rank` (higher is better)."""
    if not terms:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField())).none()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        vector = postgres_search_vector()
        tsquery = SearchQuery(pg_tsquery_text(terms), search_type="raw", config=PG_CONFIG)
        return (
            queryset.alias(search_vector=vector)
            .filter(search_vector=tsquery)
            .annotate(search_rank=SearchRank(vector, tsquery))
        )
    if connection.vendor == "sqlite":
        weights = ", ".join(str(w) for w in FTS_WEIGHTS)
        # A join on the FTS table (not a correlated subquery): bm25() is computed once per match.
        # QuerySet.extra is the one ORM door to a virtual table's MATCH operator and rank.
        return queryset.extra(
            select={"search_rank": f"-bm25({FTS_TABLE}, {weights})"},
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = catalog_product.id", f"{FTS_TABLE} MATCH %s"],
            params=[fts5_match_expression(terms)],
        )
    raise NotImplementedError(f"product search supports PostgreSQL and SQLite, not {connection.vendor}")


# -- Index creation, called from migrations ------------------------------------------------------------


def sqlite_triggers_sql() -> list[str]:
    """Triggers that mirror every insert, update and delete of catalog_product into the FTS table.

    Django rebuilds a SQLite table (dropping its triggers) for many column changes: a later migration
    that alters catalog_product must call `sqlite_index_install` again (tests check the triggers exist).
    """
    cols = ", ".join(FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON catalog_product BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON catalog_product BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF {cols} ON catalog_product BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END",
    ]


def sqlite_index_install(executor) -> None:
    """Create the FTS5 table and its triggers if missing, then rebuild it from catalog_product.

    `executor` is a schema editor (in migrations) or a cursor: anything with `execute(sql)`.
    """
    cols = ", ".join(FTS_COLUMNS)
    executor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({cols}, content='catalog_product', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    for statement in sqlite_triggers_sql():
        executor.execute(statement)
    executor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def sqlite_index_remove(schema_editor) -> None:
    for suffix in ("ai", "ad", "au"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def _postgres_index():
    from django.contrib.postgres.indexes import GinIndex

    return GinIndex(postgres_search_vector(), name=PG_INDEX_NAME)


def search_index_install(apps, schema_editor) -> None:
    """Migration step: the full-text index for the database in use."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("catalog", "Product"), _postgres_index())
    elif schema_editor.connection.vendor == "sqlite":
        sqlite_index_install(schema_editor)


def search_index_remove(apps, schema_editor) -> None:
    """Migration step, reversed."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("catalog", "Product"), _postgres_index())
    elif schema_editor.connection.vendor == "sqlite":
        sqlite_index_remove(schema_editor)
