"""Instance heartbeats, and answers orphaned by an instance that stopped beating."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select, update

from beykusay.db import utcnow
from beykusay.models import STREAMING, Instance, Message


def beat(*, session: Session, instance_id: str) -> None:
    """Record that this instance is alive."""
    instance = session.get(Instance, instance_id)
    now = utcnow()
    if instance is None:
        instance = Instance(id=instance_id, started_at=now, heartbeat_at=now)
    instance.heartbeat_at = now
    session.add(instance)
    session.commit()


def retire(*, session: Session, instance_id: str) -> None:
    instance = session.get(Instance, instance_id)
    if instance is not None:
        session.delete(instance)
        session.commit()


def reap_orphans(*, session: Session, stale_after: float) -> list[Message]:
    """Mark answers whose instance stopped beating as interrupted; returns them.

    One UPDATE decides and writes at once: its WHERE checks the instance's heartbeat
    when it runs, so a beat that lands before it keeps that instance's answers alive
    (a select-then-update would interrupt them on a decision already stale).
    """
    cutoff = utcnow() - timedelta(seconds=stale_after)
    live_instances = select(Instance.id).where(col(Instance.heartbeat_at) >= cutoff)
    interrupted = session.exec(
        update(Message)
        .where(
            col(Message.status) == STREAMING,
            col(Message.instance_id).is_(None) | col(Message.instance_id).not_in(live_instances),
        )
        .values(status="interrupted", updated_at=utcnow())
        .returning(col(Message.id))
        .execution_options(synchronize_session=False)
    )
    ids = list(interrupted.scalars())
    orphans = session.exec(select(Message).where(col(Message.id).in_(ids))).all() if ids else []
    session.exec(
        Instance.__table__.delete().where(col(Instance.heartbeat_at) < cutoff)  # type: ignore[attr-defined]
    )
    session.commit()
    return list(orphans)


def saved_answer(*, session: Session, message_id: int) -> Message | None:
    """An answer as saved so far, for a follower on another instance to resync from."""
    return session.get(Message, message_id)
