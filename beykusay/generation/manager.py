"""Starts, stops and tracks the answers this process generates.

An answer belongs to its chat, not to a connection: the page that asked, a
reloaded page, a second tab or a REST client that re-attaches all watch the same
live answer, and it is saved whether or not anybody still watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session

from beykusay import prompts
from beykusay.catalog import MODELS
from beykusay.config import Settings
from beykusay.db import in_session
from beykusay.events import Event, final_event, is_final
from beykusay.generation.answer import stream_answer
from beykusay.generation.heartbeat import Heartbeat
from beykusay.generation.live import LiveAnswer
from beykusay.generation.saver import ProgressSaver
from beykusay.generation.starter import StartBatcher, StartedTurn
from beykusay.generation.subscription import Subscription
from beykusay.grounding import message_fields
from beykusay.models import User
from beykusay.providers.base import GenerationRequest, Provider
from beykusay.ratelimit import Limiter, check_send_rate
from beykusay.schemas import MessageOut, message_json
from beykusay.services import messages as message_service
from beykusay.services import turns
from beykusay.services.errors import Conflict, Unavailable
from beykusay.services.file_source import StoredFiles
from beykusay.services.messages import LEAF, Parent, Turnstart

if TYPE_CHECKING:  # redis is only installed for several instances
    from beykusay.relay import RedisRelay, RemoteSubscription

log = logging.getLogger(__name__)

T = TypeVar("T")
Asked = tuple[str, bool]  # the model alias an answer is asked of, and whether it searches


class GenerationManager:
    def __init__(
        self,
        *,
        settings: Settings,
        provider: Provider,
        relay: RedisRelay | None = None,
        send_limiter: Limiter | None = None,
    ) -> None:
        self.settings = settings
        self.provider = provider
        self.relay = relay
        self.send_limiter = send_limiter
        self.instance_id = uuid.uuid4().hex
        self.accepting = True
        self._live: dict[int, LiveAnswer] = {}
        self._reserved: set[int] = set()
        self._switching: dict[int, asyncio.Event] = {}  # chats whose path is being moved
        self._path_versions: dict[int, int] = {}
        self._saver = ProgressSaver(
            interval=settings.save_interval, answers=lambda: self._live.values()
        )
        self._heartbeat: Heartbeat | None = None
        if settings.sqlalchemy_url.startswith("sqlite"):  # one writer at a time anyway
            self._starter = StartBatcher(turns.start_all)
        else:  # overlap round trips: a few smaller transactions at once
            self._starter = StartBatcher(turns.start_all, parallel=4, max_batch=25)

    # -- starting answers ---------------------------------------------------------

    def running(self, chat_id: int) -> LiveAnswer | None:
        return self._live.get(chat_id)

    async def send(
        self,
        *,
        user: User,
        chat_id: int,
        content: str,
        model: str,
        parent_id: Parent = LEAF,
        web_search: bool = False,
        attachments: Sequence[int] = (),
    ) -> LiveAnswer:
        """Ask ``content`` after ``parent_id`` (an answer, None for the top; default the leaf)."""
        await self._after_switch(chat_id)
        return await self._start(
            user,
            chat_id,
            (model, web_search),
            lambda session: message_service.start_turn(
                session=session,
                chat_id=chat_id,
                content=content,
                model=model,
                instance_id=self.instance_id,
                max_per_user=self.settings.max_answers_per_user,
                parent=parent_id,
                attachments=attachments,
                max_attachments=self.settings.max_attachments,
            ),
        )

    async def regenerate(
        self, *, user: User, chat_id: int, model: str, web_search: bool = False
    ) -> LiveAnswer:
        """A new version of the last answer on the chat's current path."""
        await self._after_switch(chat_id)
        return await self._start(
            user,
            chat_id,
            (model, web_search),
            lambda session: message_service.start_regeneration(
                session=session,
                chat_id=chat_id,
                model=model,
                instance_id=self.instance_id,
                max_per_user=self.settings.max_answers_per_user,
            ),
        )

    async def switch_path(self, chat_id: int, switch: Callable[[], T]) -> T:
        """Run ``switch`` (blocking; it moves the chat's current path) while no answer runs
        in the chat here. Answers asked meanwhile start after it, on the new path; pages
        showing the chat then follow the new path."""
        await self._after_switch(chat_id)  # one switch at a time
        if chat_id in self._live or chat_id in self._reserved:
            raise Conflict("An answer is being generated in this chat: wait for it or stop it")
        switched = self._switching[chat_id] = asyncio.Event()

        def release(_: object) -> None:  # when the switch ends, even if its caller left
            del self._switching[chat_id]
            self._path_versions[chat_id] = self._path_versions.get(chat_id, 0) + 1
            switched.set()

        switching = asyncio.ensure_future(asyncio.to_thread(switch))
        switching.add_done_callback(release)
        return await asyncio.shield(switching)

    async def _after_switch(self, chat_id: int) -> None:
        while (switching := self._switching.get(chat_id)) is not None:
            await switching.wait()

    def path_version(self, chat_id: int) -> int:
        """Counts switches of the chat's path made in this process (cheap to poll)."""
        return self._path_versions.get(chat_id, 0)

    async def _start(
        self, user: User, chat_id: int, ask: Asked, begin: Callable[[Session], Turnstart]
    ) -> LiveAnswer:
        if not self.accepting:
            raise Unavailable("The server is restarting. Please try again in a moment.")
        if chat_id in self._live or chat_id in self._reserved:
            raise Conflict("An answer is already being generated in this chat")
        assert user.id is not None
        await check_send_rate(self.send_limiter, user.id)
        self._reserved.add(chat_id)
        # Shielded: once the turn is committed its task must start, even if the request
        # that asked for it is cancelled meanwhile (else it stays streaming). The chat
        # stays reserved until the start itself is over, not the request that awaits it.
        starting = asyncio.ensure_future(self._begin_turn(user, chat_id, ask, begin))
        starting.add_done_callback(lambda task: self._started(chat_id, task))
        return await asyncio.shield(starting)

    def _started(self, chat_id: int, starting: asyncio.Future[LiveAnswer]) -> None:
        self._reserved.discard(chat_id)
        if not starting.cancelled():
            starting.exception()  # retrieved here too: its request may be gone

    async def _begin_turn(
        self, user: User, chat_id: int, ask: Asked, begin: Callable[[Session], Turnstart]
    ) -> LiveAnswer:
        assert user.id is not None
        custom = user.custom_instructions
        started: StartedTurn = await self._starter.start(
            lambda session: self._prepare(session, begin, ask, custom),
            user_id=user.id,
            chat_id=chat_id,
        )
        turn = started.turn
        assert turn.assistant_message.id is not None
        live = LiveAnswer(
            chat_id=chat_id,
            message_id=turn.assistant_message.id,
            user_id=user.id,
            start={
                "type": "start",
                "user_message": turn.user_json,
                "assistant_message_id": turn.assistant_message.id,
                "web_search": started.request.web_search,
            },
            answer=message_json(turn.assistant_message, sibling_ids=[turn.assistant_message.id]),
            web_search=started.request.web_search,
        )
        if self.relay is not None:
            self.relay.begin(chat_id, live.start)
            live.mirror = self.relay.publish
        self._live[chat_id] = live
        live.task = asyncio.create_task(
            self._generate(live, started), name=f"answer-{live.message_id}"
        )
        self._saver.ensure_running()
        return live

    # -- watching and stopping ------------------------------------------------------

    def subscribe(self, chat_id: int) -> Subscription | None:
        live = self._live.get(chat_id)
        return Subscription(live) if live else None

    @staticmethod
    def subscribe_to(live: LiveAnswer) -> Subscription:
        return Subscription(live)

    def answer_running(self, chat_id: int) -> bool:
        """Whether an answer runs in the chat, here or elsewhere; asks nobody.

        Other instances' answers are known from the relay's news, so a page may ask
        this as often as it likes.
        """
        if chat_id in self._live:
            return True
        return self.relay is not None and self.relay.running(chat_id) is not None

    async def attach(self, chat_id: int) -> Subscription | RemoteSubscription | None:
        """Follow the chat's answer wherever it runs: here, or on another instance."""
        local = self.subscribe(chat_id)
        if local is not None or self.relay is None:
            return local
        return await self.relay.attach(chat_id)

    async def wait(self, live: LiveAnswer) -> Event:
        await live.done.wait()
        assert live.final is not None
        return live.final

    async def stop(self, chat_id: int, *, status: str = "stopped") -> bool:
        live = self._live.get(chat_id)
        if live is None:
            return await self._stop_elsewhere(chat_id) if status == "stopped" else False
        if live.task is None or live.task.done():
            return False
        live.end_status = status
        live.task.cancel()
        await live.done.wait()
        return True

    async def _stop_elsewhere(self, chat_id: int, timeout: float = 10.0) -> bool:
        """Ask the instance running the chat's answer to stop it, and wait for the end."""
        if self.relay is None:
            return False
        remote = await self.relay.attach(chat_id)
        if remote is None:
            return False
        await self.relay.request_stop(chat_id)
        deadline = asyncio.get_running_loop().time() + timeout
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            event = await remote.next(timeout=left)
            if event is not None and is_final(event):
                return event["message"]["status"] == "stopped"
        return False

    async def _stop_requested(self, chat_id: int) -> None:
        if chat_id in self._live:
            await self.stop(chat_id)

    async def save_progress(self) -> None:
        """Write every answer that grew since the last save, in one transaction."""
        await self._saver.save()

    async def shutdown(self, grace: float | None = None) -> None:
        """Take no new answers, give running ones a grace period, then interrupt the rest."""
        self.accepting = False
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        if self._live and grace > 0:
            running = [live.done.wait() for live in self._live.values()]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*running), grace)
        await asyncio.gather(
            *(self.stop(chat_id, status="interrupted") for chat_id in list(self._live))
        )
        await self._saver.repair(due_only=False)  # what is still unsaved is interrupted at start
        self._saver.cancel()
        if self.relay is not None:
            await self.relay.close()
            if self._heartbeat is not None:
                await self._heartbeat.retire()

    # -- several instances ------------------------------------------------------------

    def run_with_others(self) -> None:
        """Beat our heart, reap answers of dead instances, take stop requests from others."""
        assert self.relay is not None
        self.relay.listen_for_stops(self._stop_requested)
        self._heartbeat = Heartbeat(
            instance_id=self.instance_id,
            relay=self.relay,
            interval=self.settings.heartbeat_interval,
            stale_after=self.settings.heartbeat_timeout,
        )
        self._heartbeat.start()

    # -- the generation task --------------------------------------------------------

    def _prepare(
        self, session: Session, begin: Callable[[Session], Turnstart], ask: Asked, custom: str
    ) -> StartedTurn:
        """In the start transaction: the turn, and the request its answer sends."""
        model, web_search = ask
        turn = begin(session)
        answer = turn.assistant_message
        assert answer.id is not None
        history = message_service.history_budget(
            session=session,
            chat_id=answer.chat_id,
            before=answer.id,
            max_chars=self.settings.history_max_chars,
        )
        request = GenerationRequest(
            model=self.settings.model_ids()[model],
            system_instruction=prompts.system_instruction(
                prompts_dir=self.settings.prompts_dir, model_id=model, custom_instructions=custom
            ),
            history=history.turns,
            thinking=MODELS[model].thinking,
            web_search=web_search,
            files=StoredFiles() if any(t.files for t in history.turns) else None,
        )
        return StartedTurn(turn, request, history.omitted, history.files_omitted)

    async def _generate(self, live: LiveAnswer, started: StartedTurn) -> None:
        values = await stream_answer(live, self.provider, started.request)
        values["history_omitted"] = started.history_omitted
        values["attachments_omitted"] = started.attachments_omitted
        await self._finish(live, values)

    async def _finish(self, live: LiveAnswer, values: dict[str, Any]) -> None:
        """Save the answer's end; whatever happens, publish a final event and release the chat.

        A final save that fails (or is cancelled by a second stop) goes to the saver,
        which tries it again until the database takes it.
        """
        live.dirty = False
        saved: dict[str, Any] | None = None
        stored = False
        try:
            saved = await asyncio.to_thread(
                in_session,
                lambda s: message_service.finish_answer(
                    session=s, message_id=live.message_id, values=values
                ),
            )
            stored = True
        except Exception:
            log.exception("could not save answer %s: it will be tried again", live.message_id)
        finally:
            if not stored:
                self._saver.finish_later(live.message_id, values)
            self._end(live, final_message(live, values, saved))

    def _end(self, live: LiveAnswer, message: Event) -> None:
        live.final = final_event(message)
        try:
            live.publish(live.final)
        except Exception:  # another instance's watchers miss it; ours and the chat must not
            log.exception("could not publish the end of answer %s", live.message_id)
        finally:
            live.watchers.clear()
            if self._live.get(live.chat_id) is live:
                del self._live[live.chat_id]
            live.done.set()


def final_message(live: LiveAnswer, values: dict[str, Any], saved: dict[str, Any] | None) -> Event:
    """The ended answer as the API shows it: as saved, or as it would have been saved."""
    if saved is not None:
        return saved
    shown = {key: value for key, value in values.items() if key in MessageOut.model_fields}
    if values.get("grounding") or values.get("search_entry_point"):
        shown.update(message_fields(values.get("grounding"), values.get("search_entry_point")))
    return MessageOut.model_validate({**live.answer, **shown}).model_dump(mode="json")
