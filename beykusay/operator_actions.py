"""What `beykusay users …` does, on the configured database (see operator_cli)."""

from __future__ import annotations

import argparse
import getpass
import sys

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from beykusay.config import get_settings
from beykusay.db import init_engine, new_session
from beykusay.schemas import Password, Username
from beykusay.services import accounts, admin
from beykusay.services.errors import ServiceError
from beykusay.services.signup import ACTIVE, ADMIN, DISABLED, USER

BY = "operator (command line)"
REFUSED, BAD_INPUT = 1, 2


def run(args: argparse.Namespace) -> int:
    """Carry out ``beykusay users <action>``; returns the exit code."""
    try:
        if args.action == "create":
            args.name = _valid(Username, args.name, "a name is 3-32 letters, digits, _ . or -")
        password = _password(args) if args.action in ("create", "set-password") else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    init_engine(get_settings().sqlalchemy_url)
    try:
        with new_session() as session:
            print(_act(session, args, password))
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return REFUSED
    return 0


def _act(session: Session, args: argparse.Namespace, password: str | None) -> str:
    if args.action == "list":
        return _table(session)
    if args.action == "create":
        name = _valid(Username, args.name, "a name is 3-32 letters, digits, _ . or -")
        role = ADMIN if args.admin else USER
        user = accounts.register_user(
            session=session, username=name, password=password or "", role=role
        )
        admin.log.info("%s created user %s (id %s, %s)", BY, user.username, user.id, user.role)
        return f"created {user.role} {user.username} (id {user.id})"
    target = admin.find_user(session=session, username=args.name)
    if args.action == "set-password":
        admin.change_user(session=session, target=target, by=BY, password=password)
        return f"new password set for {target.username}; their older sessions have ended"
    if args.action == "set-role":
        admin.change_user(session=session, target=target, by=BY, role=args.role)
        return f"{target.username} is now {'an admin' if args.role == ADMIN else 'a user'}"
    status = DISABLED if args.action == "disable" else ACTIVE
    admin.change_user(session=session, target=target, by=BY, status=status)
    return f"{target.username} is now {status}"


def _valid(kind: object, value: str, rule: str) -> str:
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError:
        raise ValueError(rule) from None


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat it: ") != password:
            raise ValueError("the passwords differ")
    return _valid(Password, password, "a password has 8-128 characters")


def _table(session: Session) -> str:
    rows, _ = admin.list_all(session=session)
    lines = [f"{'ID':>5}  {'NAME':<32}  {'ROLE':<5}  {'STATUS':<8}  {'CREATED':<10}  LAST SEEN"]
    for row in rows:
        u = row.user
        seen = u.last_seen_at.strftime("%Y-%m-%d %H:%M") if u.last_seen_at else "never"
        lines.append(
            f"{u.id:>5}  {u.username:<32}  {u.role:<5}  {u.status:<8}  "
            f"{u.created_at:%Y-%m-%d}  {seen}"
        )
    return "\n".join(lines) if rows else "no accounts yet"
