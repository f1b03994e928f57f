"""What the database plans for a captured query: listings must walk an index in order and stop after a page of
rows, not sort every answer (what made the latest-answers feed take 0.5–3.5 s to render at 100,000 answers)."""

from django.db import connection


def sorted_in_full(captured_queries, table="knowledge_questionpage"):
    """The captured queries on ``table`` with an ORDER BY that SQLite would answer by sorting every matching row
    (its plan says "USE TEMP B-TREE FOR ORDER BY"); empty on other databases, which plan by their statistics."""
    if connection.vendor != "sqlite":
        return []
    found = []
    for query in captured_queries:
        sql = query["sql"]
        if f'"{table}"' not in sql or "ORDER BY" not in sql or sql.startswith("EXPLAIN"):
            continue
        steps = plan(sql)
        if any("TEMP B-TREE FOR ORDER BY" in step for step in steps):
            found.append((sql[:200], steps))
    return found


def plan(sql, params=()):
    """SQLite's plan for ``sql``: one line per step."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]
