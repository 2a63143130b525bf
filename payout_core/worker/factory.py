"""Where a worker gets its Dispatcher: a function named `module:function`, called with the opened Store.

Channel adapters are the deployment's code (one class per channel, see payout_core/dispatch/README.md), so the
worker imports the function that wires them — engine, adapters, HTTP client, query policy — as the deployment does.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import cast

from payout_core.dispatch import Dispatcher
from payout_core.errors import InvalidInput
from payout_core.store import Store

DispatcherFactory = Callable[[Store], Dispatcher]


def load_factory(spec: str) -> DispatcherFactory:
    """`package.module:function` → the function; a spec that names nothing callable is refused, naming it."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise InvalidInput("dispatcher", spec, "must be module:function")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        raise InvalidInput("dispatcher", spec, f"module {module_name!r} cannot be imported: {exc}") from None
    found = getattr(module, attribute, None)
    if not callable(found):
        raise InvalidInput("dispatcher", spec, f"{module_name} has no function {attribute!r}")
    return cast(DispatcherFactory, found)


def build_dispatcher(spec: str, store: Store) -> Dispatcher:
    """The Dispatcher that `spec`'s function builds from `store`. A function that fails, or builds anything else, is
    refused naming the spec: a deployment's wiring mistake, not a crash with a traceback."""
    factory = load_factory(spec)
    try:
        built = factory(store)
    except Exception as exc:  # the deployment's own code: any failure is reported as the spec's
        raise InvalidInput("dispatcher", spec, f"failed to build the Dispatcher: {type(exc).__name__}: {exc}") from None
    if not isinstance(built, Dispatcher):
        raise InvalidInput("dispatcher", spec, f"returned {type(built).__name__}, not a Dispatcher")
    return built
