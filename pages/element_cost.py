"""Making a NiceGUI element costs less: its change handlers are inspected once per method.

Every element NiceGUI makes keeps its classes, style and props in three observable
collections, and each of them asks ``nicegui.helpers.expects_arguments`` whether its
change handler (the bound method ``_update`` of that collection) takes arguments. That
question goes through ``inspect.signature`` each time: measured on a chat page (the
sidebar's rows and the thread's messages, several hundred elements), about 40 % of the
time spent making elements, all of it on the event loop every stream shares.

The answer for a bound method depends only on the function it binds (the same
parameters, less the first), so it is worked out once per function and remembered.
Anything else (a lambda, a partial, a plain function) is inspected as before.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import Any

from nicegui import helpers
from nicegui.helpers import functions

# NiceGUI's own (the module's, never replaced: importing this again wraps nothing twice).
_inspect: Callable[[Callable[..., Any]], bool] = functions.expects_arguments
_by_function: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def expects_arguments(func: Callable[..., Any]) -> bool:
    """``nicegui.helpers.expects_arguments``, remembered per function for bound methods."""
    function = getattr(func, "__func__", None)
    if function is None or getattr(func, "__self__", None) is None:
        return _inspect(func)
    try:
        return _by_function[function]
    except (KeyError, TypeError):  # TypeError: a callable that cannot be weakly referenced
        answer = _inspect(func)
        with contextlib.suppress(TypeError):
            _by_function[function] = answer
        return answer


def install() -> None:
    """Used by NiceGUI from now on (its modules call ``helpers.expects_arguments``)."""
    helpers.expects_arguments = expects_arguments  # type: ignore[assignment]
