"""The warm parent of sandboxes: imports torch and transformers once, then forks one child per sandbox.

Started by a grading worker as ``python -m autograder.sandbox.zygote FD`` with a scrubbed environment
(its memory is inherited by every sandbox, so it must hold no secret: no hidden test, no reference,
no token). It never runs a torch op (a fork after a multi-threaded op deadlocks the child) and never
touches the CUDA driver (a child could not initialise CUDA afterwards).

Protocol on the control socket FD: the worker sends a codec message ``plan`` (a dict) with three file
descriptors attached (the RPC socket, the write end of the output pipe, and the read end of the
judge's lifeline pipe). The child reports on the RPC socket first:
``("hello", {"pid": <pid to kill>, "layers": {...}})``.

What ends a sandbox, whatever ends the grader (each link is something the kernel closes or sends
when a process dies, so it holds for SIGKILL too): the first child below watches the lifeline, whose
only write end the judge holds, and kills the sandbox when it hangs up; the sandbox is pid 1 of its
own pid namespace, so every process the student started dies with it. The judge dies with its worker
(PR_SET_PDEATHSIG), this zygote when the worker's end of the control socket closes, and the worker
when its parent's end of its task pipe closes.
"""

from __future__ import annotations

import array
import contextlib
import os
import select
import signal
import socket
import sys
import traceback
from typing import Any

from autograder.core import codec
from autograder.sandbox import isolation, rootfs, wire

WARM_MODULES = (
    "numpy", "torch", "torch.nn", "torch.optim", "transformers",
    "transformers.models.gpt2.modeling_gpt2", "transformers.models.bert.modeling_bert",
    "transformers.data.data_collator", "transformers.optimization", "tokenizers",
    "IPython.core.inputtransformer2", "datasets",
)


def warm_up() -> None:
    import importlib

    for name in WARM_MODULES:
        with contextlib.suppress(Exception):  # a missing optional module only costs speed
            importlib.import_module(name)
    import torch

    torch.set_num_threads(1)  # no op has run: the intra-op pool does not exist yet
    # Every sandbox is a fork of this process. Without this, the first full collection in each
    # sandbox walks every object torch and transformers made (and so copies their pages): about
    # a quarter of a second of one of the student's checks, on 2 cores.
    import gc

    gc.collect()
    gc.freeze()


def recv_request(control: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    fds = array.array("i")
    header = b""
    ancillary: list[Any] = []
    while len(header) < 8:
        data, anc, _flags, _addr = control.recvmsg(8 - len(header), socket.CMSG_SPACE(3 * fds.itemsize))
        if not data:
            return None
        header += data
        ancillary += anc
    length = int.from_bytes(header, "little")
    body = b""
    while len(body) < length:
        chunk = control.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    return codec.decode(body), list(fds)


def send_request(control: socket.socket, plan: dict[str, Any], fds: list[int]) -> None:
    payload = codec.encode(plan)
    header = len(payload).to_bytes(8, "little")
    control.sendmsg([header], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    control.sendall(payload)


def spawn(request: dict[str, Any], rpc_fd: int, out_fd: int, lifeline: int, control_fd: int) -> None:
    """In the first child: enter namespaces, fork the sandbox (pid 1 of its namespace), watch it.

    Stays outside the sandbox (the grader's uid, the parent pid namespace) until the sandbox ends:
    when the judge's lifeline hangs up first, it kills the sandbox.
    """
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.close(control_fd)
    sock = socket.socket(fileno=rpc_fd)
    plan = isolation.Plan.from_dict(request["plan"])
    report: dict[str, Any] = {"warnings": []}
    try:
        in_pid_namespace = isolation.enter_namespaces(plan, report)
        if not in_pid_namespace:
            os.setsid()  # a process group the judge can kill as a whole
        read_end, write_end = os.pipe()
        watcher = os.getpid()
        child = os.fork()
        if child == 0:
            os.close(write_end)
            os.close(lifeline)
            outer_pid = int(os.read(read_end, 32) or b"0")
            os.close(read_end)
            sandbox_main(sock, out_fd, plan, request, report, outer_pid, watcher)
            os._exit(0)
        os.close(read_end)
        os.write(write_end, str(child).encode())
        os.close(write_end)
        sock.close()
        os.close(out_fd)
        status = watch(child, lifeline, pid_namespace=in_pid_namespace, uid=plan.uid)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    except BaseException:  # noqa: BLE001 - report set-up failures to the judge, then die
        try:
            wire.send(sock, ("setup_failed", traceback.format_exc()[-4000:]))
        finally:
            os._exit(70)


def watch(child: int, lifeline: int, *, pid_namespace: bool, uid: int | None) -> int:
    """Wait for the sandbox ``child`` to end; kill it first if the lifeline hangs up. Its wait status.

    SIGTERM (an operator's, or a container runtime's) kills it too: this process is the sandbox's
    only keeper, and a sandbox without one would run on.
    """
    def end(*_: Any) -> None:
        isolation.kill_sandbox(child, pid_namespace=pid_namespace, uid=uid)

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the grader, which ends us
    poller = select.poll()
    poller.register(lifeline, select.POLLIN)
    pidfd = None
    with contextlib.suppress(AttributeError, OSError):
        pidfd = os.pidfd_open(child)
        poller.register(pidfd, select.POLLIN)
    while True:
        events = dict(poller.poll(None if pidfd is not None else 500))
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return status
        if events.get(lifeline, 0) & (select.POLLHUP | select.POLLERR | select.POLLIN):
            end()
            poller.unregister(lifeline)


def sandbox_main(
    sock: socket.socket, out_fd: int, plan: isolation.Plan, request: dict[str, Any],
    report: dict[str, Any], outer_pid: int, watcher: int,
) -> None:
    try:
        # A session of its own: kill(0, ...) or killpg from student code reaches only the sandbox,
        # never the zygote's process group (which matters when the sandbox keeps the grader's uid).
        os.setsid()
        workdir = rootfs.setup_mounts(plan, report)  # the allow-listed root, entered; None without one
        if workdir is None:
            workdir = isolation.prepare_workdir(plan, plan.uid)
            report["scratch"] = workdir  # in the host's /tmp: the judge removes it with the sandbox
        isolation.apply_rlimits(plan)
        isolation.drop_privileges(plan.uid, report)
        isolation.die_with_parent(watcher)  # after the uid switch, which clears the setting
        isolation.scrub_environment(plan.env, workdir)
        os.chdir(workdir)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        keep = {0, 1, 2, sock.fileno()}
        for fd in _open_fds():
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        report["pid_in_namespace"] = os.getpid()
        if not report.get("pid"):
            report["pgid"] = os.getpgrp()
        wire.send(sock, ("hello", {"pid": outer_pid, "layers": report}))
    except BaseException:  # noqa: BLE001
        wire.send(sock, ("setup_failed", traceback.format_exc()[-4000:]))
        os._exit(70)
    try:
        from autograder.sandbox import runtime

        runtime.run(
            sock, max_message_bytes=int(request["max_message_bytes"]),
            given_module=request.get("given_module"), threads=int(request.get("threads", 1)),
        )
    finally:
        os._exit(0)  # student code has run: nothing it raised may reach the judge as a set-up report


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 1024))


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # first children are reaped automatically
    while True:
        message = recv_request(control)
        if message is None:
            return
        request, fds = message
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            try:
                spawn(request, fds[0], fds[1], fds[2], control.fileno())
            finally:
                os._exit(71)
        for fd in fds:
            os.close(fd)


def main(argv: list[str]) -> None:
    control = socket.socket(fileno=int(argv[1]))
    with _exit_if_hung_up(control):
        warm_up()
    control.sendall(b"R")  # ready
    serve(control)


@contextlib.contextmanager
def _exit_if_hung_up(control: socket.socket) -> Any:
    """Exit at once if the worker goes away while the block runs (the warm-up reads no request).

    The watching thread is joined before the block ends: no thread may be alive at a fork.
    """
    import threading

    done = threading.Event()

    def watch() -> None:
        poller = select.poll()
        poller.register(control.fileno(), 0)  # hang-up and errors only
        while not done.is_set():
            if poller.poll(200):
                os._exit(0)

    thread = threading.Thread(target=watch, name="orphan-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


if __name__ == "__main__":
    main(sys.argv)
