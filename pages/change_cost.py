"""An element's changes cost the event loop less, and a removed element is freed at once.

Every prop, class or style an element gets (and NiceGUI sets several as it makes one) runs
the collection's change handlers through ``events.handle_event``, which evaluates a
``cast(Callable[[EventT], Any], ...)`` (a new generic alias each time) and ends in
``Outbox.enqueue_update``, which keeps the element in a weak dictionary of updates to send.
Until the page's HTML is made, that dictionary is thrown away unsent (the HTML carries
every element whole: ``Client.build_response`` clears it). Measured on a chat page of 30
long messages and 50 chats in the sidebar (about 370 elements), those two were a quarter
of the time spent making elements, all of it on the event loop every stream shares. So a
change calls the handlers directly (as ``handle_event`` does for these arguments: no slot
to enter, errors to the app's handler, awaitables as background tasks), and an update
made before the page's response is built is not queued.

And each of the three collections holds its own change handler, a bound method of itself:
a cycle, so a closed page's elements (some 20 objects each) waited for a full garbage
collection, the only kind that finds cycles that old. Those pause every stream on the
instance at once (100-300 ms under load, in tests/bench/open_chat.py). A removed
element's collections drop their handlers, so it is freed as soon as it is let go.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from nicegui import background_tasks, core, events, helpers
from nicegui.client import Client
from nicegui.element import Element
from nicegui.observables import ObservableCollection
from nicegui.outbox import Outbox

# NiceGUI's own, taken before install() replaces it (the test fixture imports this module
# afresh for each test, after an earlier copy has installed its own).
_enqueue_update = getattr(Outbox.enqueue_update, "nicegui_own", Outbox.enqueue_update)
_remove_elements = getattr(Client.remove_elements, "nicegui_own", Client.remove_elements)
_delete = getattr(Client.delete, "nicegui_own", Client.delete)


def handle_change(self: ObservableCollection) -> None:
    """``ObservableCollection._handle_change``, calling each handler directly."""
    self.last_modified = time.time()
    for handler, expect_args in self._change_handlers_with_args:
        try:
            if expect_args:
                result = handler(events.ObservableChangeEventArguments(sender=self))
            else:
                result = handler()
            if helpers.should_await(result):
                background_tasks.create_or_defer(result, name=str(handler))
        except Exception as e:
            core.app.handle_exception(e)


def enqueue_update(self: Outbox, element: Any) -> None:
    """``Outbox.enqueue_update``, except before the page's HTML is made (it holds it all)."""
    client = self.client
    if not getattr(client, "_response_built", False):  # (set late in Client.__init__)
        client.check_existence()
        return
    _enqueue_update(self, element)


def remove_elements(self: Client, elements: Iterable[Element]) -> None:
    """``Client.remove_elements``; then the elements' collections let go of themselves."""
    removed = list(elements)
    _remove_elements(self, removed)
    for element in removed:
        for collection in (element._classes, element._style, element._props):
            collection._change_handlers.clear()


def delete(self: Client) -> None:
    """``Client.delete``; then it lets go of its handlers (a page's views, which hold the
    client and its elements: a cycle again)."""
    _delete(self)
    for handlers in (self.connect_handlers, self.disconnect_handlers, self.delete_handlers):
        handlers.clear()


enqueue_update.nicegui_own = _enqueue_update  # type: ignore[attr-defined]
remove_elements.nicegui_own = _remove_elements  # type: ignore[attr-defined]
delete.nicegui_own = _delete  # type: ignore[attr-defined]


def install() -> None:
    ObservableCollection._handle_change = handle_change  # type: ignore[method-assign]
    Outbox.enqueue_update = enqueue_update  # type: ignore[method-assign]
    Client.remove_elements = remove_elements  # type: ignore[method-assign]
    Client.delete = delete  # type: ignore[method-assign]
