"""Transform: raw response pages → normalized Arrow tables with one declared schema each.

``pages_to_tables(pages)`` for one batch, ``iter_table_batches(pages)`` for a whole run;
``TABLES`` declares every table (schema, merge key, partitioning).
"""

from twitter_pipeline.transform.schema import TABLES, TableSpec
from twitter_pipeline.transform.tables import DEFAULT_PAGES_PER_BATCH, iter_table_batches, pages_to_tables

__all__ = ["DEFAULT_PAGES_PER_BATCH", "TABLES", "TableSpec", "iter_table_batches", "pages_to_tables"]
