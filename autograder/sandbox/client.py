"""The judge's side of a sandbox: start the warm zygote, spawn sandboxes from it, talk to one, kill it."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from autograder.core import codec
from autograder.sandbox import wire
from autograder.sandbox.isolation import SCRATCH_PREFIX, kill_uid
from autograder.sandbox.zygote import send_request

ZYGOTE_START_TIMEOUT_S = 120.0
HELLO_TIMEOUT_S = 60.0
CPU_POLL_S = 0.1  # how often a request that has not answered yet checks the sandbox's CPU time
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class SandboxError(Exception):
    """Base class of what can go wrong with the sandbox process itself."""


class SandboxSetupError(SandboxError):
    """The sandbox could not be started (a grader problem, not the student's)."""


class Zygote:
    """A warm process (torch and transformers imported) that forks sandboxes on request."""

    def __init__(self, *, python: str = sys.executable, env: dict[str, str] | None = None) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        base_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HF_HUB_OFFLINE": "1",
                    "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                    "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "MPLBACKEND": "Agg",
                    "TOKENIZERS_PARALLELISM": "false", "PYTHONDONTWRITEBYTECODE": "1",
                    "HF_HOME": "/nonexistent/hf"}
        base_env.update(env or {})
        # The package must be importable without the judge's environment (an editable install
        # or PYTHONPATH); pass PYTHONPATH only when the judge itself relied on it.
        if "PYTHONPATH" in os.environ:
            base_env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        self.process = subprocess.Popen(
            [python, "-m", "autograder.sandbox.zygote", str(child.fileno())],
            pass_fds=(child.fileno(),), env=base_env, stdin=subprocess.DEVNULL,
            cwd="/", start_new_session=True,
        )
        child.close()
        self.control = parent
        self.control.settimeout(ZYGOTE_START_TIMEOUT_S)
        try:
            ready = self.control.recv(1)
        except TimeoutError:
            ready = b""
        if ready != b"R":
            self.close()
            raise SandboxSetupError("the sandbox zygote did not start (see stderr above)")
        self.control.settimeout(None)

    def spawn(self, request: dict[str, Any]) -> tuple[socket.socket, int, int]:
        """A new sandbox: its RPC socket, the read end of its output pipe, and its lifeline."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe()
        # The lifeline: the sandbox's keeper kills it when this write end closes, which the kernel
        # does when this process dies, however it dies (see zygote.watch).
        life_read, life_write = os.pipe()
        try:
            send_request(self.control, request, [theirs.fileno(), out_write, life_read])
        except OSError as exc:
            ours.close()
            os.close(out_read)
            os.close(life_write)
            raise SandboxSetupError(f"the sandbox zygote is gone: {exc}") from exc
        finally:
            theirs.close()
            os.close(out_write)
            os.close(life_read)
        os.set_blocking(out_read, False)
        return ours, out_read, life_write

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        try:
            self.control.close()
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()


@dataclass
class OutputBuffer:
    """Student stdout/stderr: kept up to ``limit`` bytes, the rest counted and dropped."""

    limit: int
    data: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def feed(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def take(self) -> str:
        text = self.data.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n... [{self.dropped} more bytes of output were dropped]"
        self.data = bytearray()
        self.dropped = 0
        return text


class SandboxProcess:
    """One running sandbox: request/response with deadlines; output captured; killed on demand."""

    def __init__(self, zygote: Zygote, request: dict[str, Any], *, output_limit: int) -> None:
        self.sock, self.out_fd, self.lifeline = zygote.spawn(request)
        self.output = OutputBuffer(output_limit)
        self.max_bytes = int(request["max_message_bytes"])
        self.max_value_bytes = int(request.get("max_value_bytes") or self.max_bytes)
        self.closed = False
        self.seq = 0
        self._cpu_last = 0.0
        try:
            kind, info = self._recv(time.monotonic() + HELLO_TIMEOUT_S)
        except (wire.WireTimeout, wire.PeerClosed, codec.CodecError) as exc:
            self.kill()
            raise SandboxSetupError(f"the sandbox did not start: {exc!r}") from exc
        if kind != "hello":
            self.kill()
            raise SandboxSetupError(f"the sandbox failed to start:\n{info}")
        self.pid = int(info["pid"])
        self.layers: dict[str, Any] = info["layers"]
        self.pgid = self.layers.get("pgid")

    def _drain(self, fd: int) -> bool:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            self.output.feed(chunk)

    def _recv(self, deadline: float | None) -> Any:
        try:
            return wire.recv(self.sock, deadline=deadline, max_bytes=self.max_bytes,
                             max_value_bytes=self.max_value_bytes, extra_fds=(self.out_fd,), on_extra=self._drain)
        finally:
            self._drain(self.out_fd)

    def request(self, op: str, args: Any, *, deadline: float, soft_margin: float = 1.0,
                seed: int | None = None, cpu_budget: float | None = None, cpu_now: float | None = None) -> Any:
        """Send one request; returns ``("ok", value)`` or ``("err", info)``; raises wire errors.

        Every request carries a sequence number that the reply must echo: a reply the student's
        code forged on the socket, or an old one it left behind, is a protocol error (the sandbox
        is killed), never the answer to a later request. ``seed``: reseed the sandbox's random
        generators before running the request.

        ``cpu_budget``: CPU seconds the sandbox may spend on it (:meth:`cpu_seconds`, read at the
        start, or ``cpu_now``); past it the request times out (``WireTimeout``), and the sandbox's
        own soft timer stops the code ``soft_margin`` earlier. ``deadline`` (wall clock) still
        applies: with a CPU budget it is the far backstop against code that sleeps.
        """
        wall_soft = max(0.05, deadline - time.monotonic() - soft_margin)
        # The sandbox's own CPU timer counts less than cpu_seconds (no children): a small margin will do.
        soft: Any = wall_soft if cpu_budget is None else (
            max(0.05, cpu_budget - min(soft_margin, 0.1 * cpu_budget)), wall_soft)
        start = None if cpu_budget is None else (self.cpu_seconds() if cpu_now is None else cpu_now)
        self.seq += 1
        wire.send(self.sock, (op, args, soft, self.seq, seed))
        if cpu_budget is not None and start is not None:
            self._await_reply(deadline, start + cpu_budget)
        return check_reply(self._recv(deadline), op=op, seq=self.seq)

    def _await_reply(self, deadline: float, cpu_limit: float) -> None:
        """Wait until the reply starts to arrive; ``WireTimeout`` once the sandbox's CPU time passes
        ``cpu_limit`` or the wall clock passes ``deadline``. Output is drained meanwhile."""
        fds = [self.sock.fileno(), self.out_fd]
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise wire.WireTimeout()
            ready, _, _ = select.select(fds, [], [], min(CPU_POLL_S, remaining))
            if self.out_fd in ready and not self._drain(self.out_fd):
                fds.remove(self.out_fd)
            if self.sock.fileno() in ready:
                return
            if self.cpu_seconds() > cpu_limit:
                raise wire.WireTimeout()

    def cpu_seconds(self) -> float:
        """User+system CPU seconds of the sandbox so far: its process (all threads), the children it
        waited for, and the processes it still runs (``/proc``). The last value once it is gone."""
        total = 0.0
        pending, seen = [self.pid], set[int]()
        while pending and len(seen) < 512:
            pid = pending.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                total += sum(int(value) for value in fields[11:15]) / _CLOCK_TICKS
                pending += _children(pid)
            except (OSError, IndexError, ValueError):
                continue
        if seen and total >= self._cpu_last:
            self._cpu_last = total
        return self._cpu_last

    def kill(self) -> None:
        if self.closed:
            return
        self.closed = True
        for target in ([getattr(self, "pid", None)], [-(self.pgid or 0)] if getattr(self, "pgid", None) else []):
            for pid in target:
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
        layers = getattr(self, "layers", {})
        uid = int(layers.get("uid") or 0)
        if not layers.get("pid") and layers.get("separate_uid") and 0 < uid != os.geteuid():
            kill_uid(uid)
        try:
            self.sock.close()
            os.close(self.lifeline)  # the keeper kills whatever the signals above missed
        finally:
            try:
                self._drain(self.out_fd)
                os.close(self.out_fd)
            except OSError:
                pass
            remove_scratch(layers.get("scratch"))


def _children(pid: int) -> list[int]:
    """The child processes of every thread of ``pid`` (Linux's ``task/*/children``)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                found += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            continue
    return found


def remove_scratch(path: Any) -> None:
    """Delete the working directory of a sandbox that had no private /tmp (made in the host's /tmp).

    The sandbox reports the path before any student code runs; only a direct child of the host's
    temporary folder with the sandbox prefix is ever removed (``rmtree`` does not follow links).
    """
    import shutil
    import tempfile

    if not isinstance(path, str):
        return
    folder = os.path.realpath(tempfile.gettempdir())
    if os.path.dirname(path) != folder or not os.path.basename(path).startswith(SCRATCH_PREFIX):
        return
    shutil.rmtree(path, ignore_errors=True)


_ERR_FIELDS = {"type": 200, "message": 2000, "traceback": 6000}


def check_reply(reply: Any, *, op: str, seq: int) -> tuple[str, Any]:
    """``(kind, value)`` of a well-formed reply to request ``seq``; anything else is a CodecError.

    The sandbox is untrusted: a reply's shape is checked and the text of an error is capped here,
    in the judge, whatever the runtime in the sandbox promised.
    """
    if type(reply) is not tuple or len(reply) != 3 or reply[2] != seq or reply[0] not in ("ok", "err"):
        raise codec.CodecError("the sandbox sent a reply that does not answer this request")
    kind, value = reply[0], reply[1]
    if kind == "err":
        if type(value) is not dict:
            raise codec.CodecError("the sandbox sent a malformed error")
        value = {key: str(value.get(key, ""))[:limit] for key, limit in _ERR_FIELDS.items()}
    elif op == "exec":
        if (type(value) is not dict or not (value.get("error") is None or type(value["error"]) is dict)
                or type(value.get("notes")) is not list):
            raise codec.CodecError("the sandbox sent a malformed cell report")
        error = value["error"]
        value = {"error": None if error is None else {k: str(error.get(k, ""))[:n] for k, n in _ERR_FIELDS.items()},
                 "notes": [str(note)[:500] for note in value["notes"][:50]]}
    return kind, value