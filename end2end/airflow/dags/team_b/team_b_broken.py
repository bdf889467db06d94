"""Team B's half-finished DAG: it does not import, so Hangar shows its import error.

(Airflow only parses files that mention both "airflow" and "dag".)
"""

from airflow.sdk import dag  # noqa: F401

import team_b_helpers_not_written_yet  # noqa: F401
