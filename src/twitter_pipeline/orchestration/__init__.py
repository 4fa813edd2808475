"""Package-side helpers for running the pipeline under Airflow (dags/ stays a thin wiring layer).

Nothing here imports Airflow at module level: the core package must import without it,
and the helpers that need Airflow import it inside the function that uses it.
"""
