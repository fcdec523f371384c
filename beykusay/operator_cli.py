"""`beykusay users …`: the operator manages accounts on the configured database, with no
server running, through the same services as the admin page.

Exit codes: 0 done, 1 refused (no such user, name taken, the last admin), 2 bad input.
"""

from __future__ import annotations

import argparse

ROLES = ("admin", "user")


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = commands.add_parser("users", help="list and manage accounts (no server needed)")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every account with its role, status and last visit")
    create = actions.add_parser("create", help="a new account (active at once)")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="make it an admin")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    password = actions.add_parser("set-password", help="a new password (older sessions end)")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    role = actions.add_parser("set-role", help="make an account an admin or a user")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    for action, text in (("disable", "lock an account out at once"), ("enable", "let it in again")):
        actions.add_parser(action, help=text).add_argument("name")


def run(args: argparse.Namespace) -> int:
    """Carry out ``beykusay users <action>``; returns the exit code."""
    from beykusay import operator_actions  # the database and services: only when asked

    return operator_actions.run(args)
