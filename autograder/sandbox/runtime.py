"""What runs inside the sandbox: the student's namespace and the request loop that serves the judge.

This module runs in the untrusted process. Nothing here decides a grade: it executes cells, calls
the student's functions, and turns results into data (or handles) for the judge, which validates
everything it receives.
"""

from __future__ import annotations

import builtins
import collections.abc
import contextlib
import importlib
import os
import signal
import socket
import sys
import traceback
from types import FrameType
from typing import Any

from autograder.core import codec
from autograder.core.codec import ConfigValue, HandleRef
from autograder.core.seeding import reseed
from autograder.sandbox import wire

SOFT_TIMEOUT_TYPE = "AutograderSoftTimeout"
# A factory the hidden suite asked for does not exist, or the sheet's given module failed to import:
# the grader's problem, never the student's (see rpc.SandboxFactoryError).
FACTORY_ERROR_TYPE = "AutograderFactoryError"


class FactoryError(Exception):
    """Raised by ``op_make`` when the factory cannot exist; the reply carries FACTORY_ERROR_TYPE."""


class SoftTimeout(BaseException):
    """Raised inside student code by the soft (in-process) time limit."""


class FakeIPython:
    """Stands in for ``get_ipython()``: magics and shell escapes are recorded, never executed."""

    def __init__(self, namespace: dict[str, Any], notes: list[str]) -> None:
        self.user_ns = namespace
        self.notes = notes

    def system(self, command: str) -> None:
        self.notes.append(f"shell command not run: !{command}")

    def getoutput(self, command: str) -> list[str]:
        self.notes.append(f"shell command not run: !{command}")
        return []

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> Any:
        if name == "time" and line.strip():
            return _run_source(line, self.user_ns, "<%time>")
        self.notes.append(f"magic ignored: %{name} {line}".rstrip())
        return None

    def run_cell_magic(self, name: str, line: str, cell: str) -> Any:
        if name in ("time", "capture", "prun"):
            return _run_source(cell, self.user_ns, f"<%%{name}>")
        self.notes.append(f"cell magic ignored: %%{name}")
        return None

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _run_source(source: str, namespace: dict[str, Any], filename: str) -> Any:
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - this is the sandbox
    return None


def transform_cell(source: str) -> str:
    """IPython's own translation of magics and ``!`` escapes into calls on ``get_ipython()``."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


class SandboxRuntime:
    """The student's namespace plus a table of objects the judge holds handles to."""

    def __init__(
        self, sock: socket.socket, *, max_message_bytes: int, factories: dict[str, Any], given_error: str = "",
    ) -> None:
        self.sock = sock
        self.max_message_bytes = max_message_bytes
        self.notes: list[str] = []
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.namespace["get_ipython"] = lambda: FakeIPython(self.namespace, self.notes)
        self.objects: dict[int, Any] = {}
        self.next_id = 1
        self.factories = factories
        self.given_error = given_error

    # ---------------------------------------------------------------- values

    def to_wire(self, value: Any) -> Any:
        """Fallback for the encoder: common wrappers become data, everything else a handle.

        Subclasses of the built-in types are read through the base type's own slots
        (``int.__int__``, ``list.copy``, ...), so the judge gets the value the object holds and no
        conversion hook the student wrote (``__int__``, ``__str__``, ``keys``) runs here.
        """
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        for base, plain in _BUILTIN_COPIES:
            if isinstance(value, base):
                return plain(value)
        if isinstance(value, collections.abc.Mapping) and _is_plain_mapping(value):
            return {key: value[key] for key in value}
        config_class = type(value).__name__
        if config_class in codec.CONFIG_CLASSES and hasattr(value, "to_dict"):
            return ConfigValue(config_class, _plain(value.to_dict()))
        return self.keep(value)

    def from_wire(self, value: Any) -> Any:
        if isinstance(value, HandleRef):
            if value.id not in self.objects:
                raise KeyError(f"unknown handle {value.id}")
            return self.objects[value.id]
        if isinstance(value, ConfigValue):
            import transformers

            return getattr(transformers, value.class_name).from_dict(value.data)
        if isinstance(value, list):
            return [self.from_wire(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.from_wire(v) for v in value)
        if isinstance(value, dict):
            return {k: self.from_wire(v) for k, v in value.items()}
        return value

    # ---------------------------------------------------------------- requests

    def handle(self, op: str, args: dict[str, Any]) -> Any:
        method = getattr(self, f"op_{op}", None)
        if method is None:
            raise ValueError(f"unknown operation {op!r}")
        return method(**args)

    def op_exec(self, source: str, index: int) -> dict[str, Any]:
        self.notes.clear()
        try:
            code = transform_cell(source)
            exec(compile(code, f"<cell {index}>", "exec"), self.namespace)  # noqa: S102
            error = None
        except BaseException as exc:
            if isinstance(exc, SoftTimeout):
                raise
            error = _describe(exc)
        return {"error": error, "notes": list(self.notes)}

    def op_has(self, name: str) -> bool:
        return self.namespace.get(name) is not None

    def op_get(self, name: str) -> Any:
        if name not in self.namespace:
            raise NameError(f"name {name!r} is not defined in your notebook")
        return self.namespace[name]

    def op_call(self, target: Any, name: str | None, args: list[Any], kwargs: dict[str, Any]) -> Any:
        func = self.from_wire(target) if target is not None else self.op_get(name or "")
        if name is not None and target is not None:
            func = getattr(func, name)
        return func(*self.from_wire(args), **self.from_wire(kwargs))

    def op_getattr(self, target: Any, name: str) -> Any:
        return getattr(self.from_wire(target), name)

    def op_setattr(self, target: Any, name: str, value: Any) -> None:
        setattr(self.from_wire(target), name, self.from_wire(value))

    def op_getitem(self, target: Any, key: Any) -> Any:
        return self.from_wire(target)[self.from_wire(key)]

    def op_len(self, target: Any) -> int:
        return len(self.from_wire(target))

    def op_make(self, name: str, args: list[Any], kwargs: dict[str, Any], keep: bool = False) -> Any:
        if name not in self.factories:
            if self.given_error:
                raise FactoryError(f"no sandbox factory named {name!r}: {self.given_error}")
            raise FactoryError(f"no sandbox factory named {name!r}; known: {sorted(self.factories)}")
        made = self.factories[name](*self.from_wire(args), **self.from_wire(kwargs))
        return self.keep(made) if keep else made

    def keep(self, value: Any) -> HandleRef:
        """A handle to ``value`` even when it is plain data: the object stays in the sandbox."""
        handle = HandleRef(self.next_id, type(value).__name__)
        self.objects[self.next_id] = value
        self.next_id += 1
        return handle

    # ---------------------------------------------------------------- loop

    def serve(self) -> None:
        signal.signal(signal.SIGALRM, _soft_timeout)
        signal.signal(signal.SIGPROF, _soft_timeout)  # the CPU-time soft limit (ITIMER_PROF)
        while True:
            try:
                message = wire.recv(self.sock)
            except (wire.PeerClosed, OSError):
                return
            op, args, soft_timeout, seq, seed = message
            if soft_timeout:
                # a number: seconds of wall clock; a pair: (CPU seconds of this process, wall seconds)
                cpu_soft, wall_soft = soft_timeout if type(soft_timeout) is tuple else (None, soft_timeout)
                signal.setitimer(signal.ITIMER_REAL, wall_soft)
                if cpu_soft:
                    signal.setitimer(signal.ITIMER_PROF, cpu_soft)
            try:
                if seed is not None:
                    reseed(seed)
                reply: Any = ("ok", self.handle(op, args), seq)
            except SoftTimeout:
                reply = ("err", {"type": SOFT_TIMEOUT_TYPE, "message": "time limit", "traceback": ""}, seq)
            except FactoryError as exc:
                reply = ("err", {"type": FACTORY_ERROR_TYPE, "message": _safe_text(exc), "traceback": ""}, seq)
            except BaseException as exc:  # noqa: BLE001
                reply = ("err", _describe(exc), seq)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.setitimer(signal.ITIMER_PROF, 0)
            _flush_std()
            try:
                wire.send(self.sock, reply, fallback=self.to_wire, max_bytes=self.max_message_bytes)
            except (OSError, wire.PeerClosed):
                return
            except BaseException as exc:  # noqa: BLE001 - a value that cannot be sent (too big, hostile)
                unsendable = {"type": "UnsendableValue", "message": _safe_text(exc), "traceback": ""}
                try:
                    wire.send(self.sock, ("err", unsendable, seq))
                except (OSError, wire.PeerClosed):
                    return


def _soft_timeout(signum: int, frame: FrameType | None) -> None:
    raise SoftTimeout()


def _is_plain_mapping(value: Any) -> bool:
    """Dicts, OrderedDicts, BatchEncoding, ModelOutput: mappings with a cheap, finite key set."""
    if isinstance(value, dict):
        return True
    return type(value).__name__ in ("BatchEncoding", "BatchFeature", "UserDict", "MappingProxyType")


# (base type, exact copy through the base type's own slot), most specific first: bool before int.
_BUILTIN_COPIES: tuple[tuple[type, Any], ...] = (
    (bool, bool), (int, int.__int__), (float, float.__float__), (str, str.__str__),
    (bytes, lambda v: bytes.__getitem__(v, slice(None))), (tuple, lambda v: tuple.__getitem__(v, slice(None))),
    (list, list.copy), (dict, dict.copy),
)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _describe(exc: BaseException) -> dict[str, str]:
    """The student's exception as text: type, message, and the frames from their own cells."""
    try:
        name = str(type.__dict__["__name__"].__get__(type(exc)))[:200]
    except Exception:  # noqa: BLE001 - a metaclass may make even the name hostile
        name = "Exception"
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames if f.filename.startswith("<cell") or f.filename.startswith("<%")]
        lines = "".join(traceback.format_list(own))
    except Exception:  # noqa: BLE001
        lines = ""
    message = _safe_text(exc)
    return {
        "type": name,
        "message": message,
        "traceback": (lines + f"{name}: {message}")[-6000:],
    }


def _safe_text(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__ (raises, recurses, never ends in memory)
        return "<unprintable message>"


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the student may have replaced or closed it
            stream.flush()


def load_factories(given_module: str | None) -> tuple[dict[str, Any], str]:
    """Built-in factories plus the sheet's public ``FACTORIES`` (if its given module defines one).

    Also the given module's import error ("" when it imported): reported to the judge, as the grader's
    problem, when the suite asks for a factory that is missing because of it.
    """
    from autograder.sandbox import factories

    table = dict(factories.BUILTIN)
    if given_module:
        try:
            module = importlib.import_module(given_module)
            table.update(getattr(module, "FACTORIES", {}))
        except Exception as exc:  # noqa: BLE001 - reported to the judge when a factory is asked for
            return table, (f"the sheet's given module {given_module!r} failed to import: "
                           f"{type(exc).__name__}: {_safe_text(exc)}")
    return table, ""


def run(sock: socket.socket, *, max_message_bytes: int, given_module: str | None, threads: int) -> None:
    """Entry point inside the (already isolated) sandbox process."""
    import torch

    torch.set_num_threads(threads)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    factories, given_error = load_factories(given_module)
    runtime = SandboxRuntime(sock, max_message_bytes=max_message_bytes, factories=factories,
                             given_error=given_error)
    runtime.serve()
