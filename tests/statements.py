"""Counting what a piece of code asks of the database: SQL statements and transactions.

A transaction is each commit or rollback of an outermost atomic block, and each writing statement run in
autocommit (its own transaction); reads outside a block commit nothing and are left out. This is how
`bench/checkout.py` counts one checkout on a real request, so a test can hold the same budget.
Use it in a `transactional_db` test: under the `db` fixture every block is a savepoint and nothing commits.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection

WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Counter:
    statements: int = 0
    transactions: int = 0
    sql: list[str] = field(default_factory=list)

    def report(self) -> str:
        """Every statement, numbered, with the transaction marks: what to read when a budget is overrun."""
        return "\n".join(self.sql)


@contextmanager
def counting():
    counter = Counter()
    commit, rollback = connection.commit, connection.rollback

    def counted(end, name):
        def wrapper():
            counter.transactions += 1
            counter.sql.append(f"-- {name}")
            return end()

        return wrapper

    def statement(execute, sql, params, many, context):
        counter.statements += 1
        counter.sql.append(f"{counter.statements:>3} {sql[:300]}")
        if not connection.in_atomic_block and sql.lstrip()[:6].upper() in WRITES:
            counter.transactions += 1
            counter.sql.append("-- autocommit")
        return execute(sql, params, many, context)

    connection.commit, connection.rollback = counted(commit, "commit"), counted(rollback, "rollback")
    try:
        with connection.execute_wrapper(statement):
            yield counter
    finally:
        del connection.commit, connection.rollback
