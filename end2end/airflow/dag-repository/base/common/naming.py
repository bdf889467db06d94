"""Helpers shared by every team's DAGs."""


def table_name(team: str, name: str) -> str:
    return f"{team}__{name}"
