"""The vocabulary of public datasets, for "did you mean" (#18).

Revision ID: a7d3f9c1e5b2
Revises: f5c8a1d2e7b4
Create Date: 2026-12-02

``openlima_search_vocabulary`` (trigram-indexed, extension ``pg_trgm``), filled from the
stored documents of the public datasets; the index keeps it up to date from then on.
"""
import sqlalchemy as sa
from alembic import op

from ckanext.openlima.search import ddl, vocabulary

revision = "a7d3f9c1e5b2"
down_revision = "f5c8a1d2e7b4"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    connection = op.get_bind()
    ddl.create_schema(connection)
    last = ""
    while True:
        rows = connection.execute(sa.text(
            f"SELECT index_id, doc FROM {ddl.TABLE} "
            f"WHERE permission_labels @> ARRAY['public'] AND index_id > :last "
            f"ORDER BY index_id LIMIT {BATCH}"), {"last": last}).fetchall()
        if not rows:
            break
        vocabulary.add(connection, [doc for _index_id, doc in rows])
        last = rows[-1][0]


def downgrade():
    op.execute(f"DROP TABLE IF EXISTS {ddl.VOCABULARY_TABLE}")
