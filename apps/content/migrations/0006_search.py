"""Full-text search over articles' titles and body text, in each database's own engine.

Nothing here changes Django's model state (search is read through raw SQL in
apps/content/search.py); what it adds is kept in step by the database itself,
so every way a row is written (the services, ``bulk_create``, a raw UPDATE)
is indexed at once, and no job ever rebuilds it:

- PostgreSQL: a ``search_vector`` column (a weighted tsvector: title A, body
  B) kept by a trigger, with a GIN index. Stored, not an index on the
  expression: ranking reads each match's vector, and an expression would be
  parsed again for every match (12x slower at 1,000 matches). A trigger
  rather than a generated column, which would forbid any later ALTER of the
  title's type. The 'simple' configuration: no stemming and no stop words,
  so French and English sites are searched alike, and no extension such as
  unaccent, which needs CREATE rights on the database.
- MariaDB/MySQL: FULLTEXT indexes on (title, search_text), what is matched,
  and on (title), what ranks a title match above a body match.
- SQLite: an FTS5 table with external content (the article table itself),
  kept by triggers, filled from the existing rows here.

Frozen: these statements are copied, not imported, from search.py (its
SQLite triggers, which every migrate puts back).
"""

from django.db import migrations

PG_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, {row}title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, {row}search_text), 'B'))"
)
POSTGRESQL = {
    "forward": [
        "ALTER TABLE content_article ADD COLUMN search_vector tsvector",
        "CREATE FUNCTION content_article_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN NEW.search_vector := {PG_VECTOR.format(row='NEW.')}; RETURN NEW; END $$",
        "CREATE TRIGGER content_article_search_vector "
        "BEFORE INSERT OR UPDATE OF title, search_text ON content_article "
        "FOR EACH ROW EXECUTE FUNCTION content_article_search_vector()",
        f"UPDATE content_article SET search_vector = {PG_VECTOR.format(row='')}",
        "CREATE INDEX content_article_search ON content_article USING gin (search_vector)",
    ],
    "backward": [
        "DROP INDEX IF EXISTS content_article_search",
        "DROP TRIGGER IF EXISTS content_article_search_vector ON content_article",
        "DROP FUNCTION IF EXISTS content_article_search_vector()",
        "ALTER TABLE content_article DROP COLUMN IF EXISTS search_vector",
    ],
}
MYSQL = {
    # One statement, copying the table: MariaDB 10.11 leaves the existing rows out
    # of a FULLTEXT index added in place to a table that had one before (after a
    # reversal), and the copy also makes both indexes in one pass.
    "forward": [
        "ALTER TABLE content_article "
        "ADD FULLTEXT INDEX content_article_search (title, search_text), "
        "ADD FULLTEXT INDEX content_article_search_title (title), ALGORITHM=COPY",
    ],
    "backward": [
        "ALTER TABLE content_article DROP INDEX content_article_search_title",
        "ALTER TABLE content_article DROP INDEX content_article_search",
    ],
}
# unicode61 with remove_diacritics 2: "eleve" finds "élève", as MariaDB's
# accent-insensitive collation does.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS content_article_fts_insert AFTER INSERT ON content_article
    BEGIN
        INSERT INTO content_article_fts (rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS content_article_fts_delete AFTER DELETE ON content_article
    BEGIN
        INSERT INTO content_article_fts (content_article_fts, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS content_article_fts_update
    AFTER UPDATE OF id, title, search_text ON content_article
    BEGIN
        INSERT INTO content_article_fts (content_article_fts, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
        INSERT INTO content_article_fts (rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
]
SQLITE = {
    "forward": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS content_article_fts USING fts5("
        "title, search_text, content='content_article', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')",
        *SQLITE_TRIGGERS,
        # The rows already there (external content: the index reads them itself).
        "INSERT INTO content_article_fts (content_article_fts) VALUES ('rebuild')",
    ],
    "backward": [
        "DROP TRIGGER IF EXISTS content_article_fts_update",
        "DROP TRIGGER IF EXISTS content_article_fts_delete",
        "DROP TRIGGER IF EXISTS content_article_fts_insert",
        "DROP TABLE IF EXISTS content_article_fts",
    ],
}
BY_VENDOR = {"postgresql": POSTGRESQL, "mysql": MYSQL, "sqlite": SQLITE}


def _run(schema_editor, direction: str) -> None:
    statements = BY_VENDOR.get(schema_editor.connection.vendor)
    if statements is None:
        return  # another database: search falls back to a plain scan (search.py)
    for statement in statements[direction]:
        schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, "forward")


def backward(apps, schema_editor):
    _run(schema_editor, "backward")


class Migration(migrations.Migration):
    dependencies = [("content", "0005_roles")]

    # atomic=False: MySQL has no transactional DDL, and Django refuses DDL inside
    # a RunPython's atomic block there. PostgreSQL and SQLite still run the
    # whole migration in one transaction.
    operations = [migrations.RunPython(forward, backward, atomic=False)]
