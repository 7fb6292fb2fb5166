"""The sandbox and the proxy: data crosses, everything else is a handle; hangs and crashes recover."""

from __future__ import annotations

import time

import pytest
import torch

from autograder.core.submission import Cell
from autograder.judge.rpc import (
    RemoteHandle,
    SandboxCrashed,
    SandboxFactoryError,
    SandboxProtocolError,
    SandboxTimeout,
    StudentCodeError,
    StudentProxy,
    StudentSession,
)
from autograder.judge.sandbox_plan import sandbox_request

SOURCE = '''
import os, numpy as np, torch, transformers
from transformers import GPT2Config
x = 1
x = 2  # a later definition wins, as in Jupyter
def double(v):
    return v * 2
def boom():
    raise ValueError("nope")
def hang():
    while True:
        try:
            pass
        except BaseException:
            pass
def crash():
    os._exit(3)
def np_scalar():
    return np.float32(1.5), np.int64(3)
def param():
    return torch.nn.Parameter(torch.ones(2))
class Weird:
    def __eq__(self, other):
        return True
def weird():
    return Weird()
class Sub(torch.Tensor):
    pass
def subclass():
    return torch.ones(2).as_subclass(Sub)
def batch_encoding():
    return transformers.BatchEncoding({"input_ids": torch.tensor([[1, 2]])})
def config_layers(cfg):
    return type(cfg).__name__, cfg.n_layer
def make_config():
    return GPT2Config(n_layer=3, n_embd=32, n_head=2)
def deep():
    v = []
    for _ in range(500):
        v = [v]
    return v
def rand():
    return torch.rand(3)
model = torch.nn.Linear(2, 3)
'''


@pytest.fixture()
def session(toy_config, zygote):
    sheet = toy_config.sheet("toy")
    request, _ = sandbox_request(toy_config, sheet, worker_index=0, device="cpu", protected=[])
    cells = [Cell(0, SOURCE), Cell(1, "print('loaded')\nundefined_name"), Cell(2, "y = x + 1")]
    s = StudentSession(zygote, request, cells, cell_timeout=5, default_timeout=4, output_limit=4000)
    s.start()
    yield s
    s.close()


def test_load_log_and_override(session):
    student = StudentProxy(session)
    assert student.x == 2 and student.y == 3
    errors = [r for r in session.load_reports if r.error]
    assert len(errors) == 1 and errors[0].error["type"] == "NameError"
    assert "loaded" in session.load_output


def test_calls_and_handles(session):
    student = StudentProxy(session)
    assert torch.equal(student.double(torch.arange(3)), torch.tensor([0, 2, 4]))
    model = student.model
    assert isinstance(model, RemoteHandle) and model.type_name == "Linear"
    weight = model.weight
    assert type(weight) is torch.Tensor and weight.shape == (3, 2)
    out = model(torch.ones(1, 2))
    assert out.shape == (1, 3)
    model.scale = torch.zeros(3, 2)  # setattr with data
    assert torch.equal(model.scale, torch.zeros(3, 2))
    state = model.state_dict()
    assert type(state) is dict and set(state) == {"weight", "bias"}
    assert student.has("double") and not student.has("missing")


def test_wrappers_become_data(session):
    student = StudentProxy(session)
    f, i = student.np_scalar()
    assert type(f) is float and type(i) is int
    assert type(student.param()) is torch.Tensor
    assert type(student.subclass()) is torch.Tensor
    encoding = student.batch_encoding()
    assert type(encoding) is dict and torch.equal(encoding["input_ids"], torch.tensor([[1, 2]]))
    weird = student.weird()
    assert isinstance(weird, RemoteHandle)
    assert (weird == 1) is False  # a handle never compares equal to data


def test_configs_cross_both_ways(session):
    from transformers import GPT2Config

    student = StudentProxy(session)
    assert student.config_layers(GPT2Config(n_layer=2)) == ("GPT2Config", 2)
    config = student.make_config()
    assert type(config) is GPT2Config and config.n_layer == 3


def test_factories(session):
    student = StudentProxy(session)
    generator = student.make("generator", seed=3)
    assert generator.type_name == "Generator"
    optimizer = student.make("optimizer", kind="SGD", lr=0.5, shapes=[(3,)])
    assert optimizer.param_groups[0]["lr"] == 0.5
    assert student.make("pair", 1, 2) == (1, 2)  # the sheet's given FACTORIES
    kept = student.make_handle("pair", 1, 2)  # plain data, but it stays in the sandbox
    assert isinstance(kept, RemoteHandle) and kept.type_name == "tuple" and kept[1] == 2 and len(kept) == 2
    with pytest.raises(SandboxFactoryError, match="no sandbox factory"):  # the suite's mistake
        student.make("os.system")


def test_broken_given_module_is_reported_to_staff_not_blamed_on_the_student(toy_config, zygote):
    import types

    from autograder.judge.plugin import JudgePlugin

    request, _ = sandbox_request(toy_config, toy_config.sheet("toy"), worker_index=0, device="cpu", protected=[])
    request = {**request, "given_module": "toy_given_that_cannot_import"}
    s = StudentSession(zygote, request, [Cell(0, "x = 1")], cell_timeout=5, default_timeout=4, output_limit=4000)
    s.start()
    try:
        student = StudentProxy(s)
        with pytest.raises(SandboxFactoryError) as info:
            student.make("pair", 1, 2)
        assert "toy_given_that_cannot_import' failed to import: ModuleNotFoundError" in str(info.value)
        assert student.x == 1  # the sandbox is still fine: the student's code ran

        plugin = JudgePlugin(session=s, reference=types.ModuleType("ref"), device="cpu", default_timeout=4,
                             points={})
        status, message = plugin.classify(info.value, None)
        assert status == "error" and "our side" in message and "KeyError" not in message
        assert len(plugin.state.suite_errors) == 1 and "failed to import" in plugin.state.suite_errors[0]
    finally:
        s.close()


def test_student_errors_and_limits(session):
    student = StudentProxy(session)
    with pytest.raises(StudentCodeError) as info:
        student.boom()
    assert info.value.type_name == "ValueError" and "<cell 0>" in info.value.student_traceback
    with pytest.raises(StudentCodeError, match="not defined"):
        _ = student.nothing_here
    with pytest.raises((SandboxProtocolError, StudentCodeError), match="nested"):
        student.deep()  # refused by the sandbox's encoder (and by the judge's decoder if it lied)


def test_hang_then_recover(session):
    student = StudentProxy(session)
    session.deadline = time.monotonic() + 1.5
    with pytest.raises(SandboxTimeout):
        student.hang()
    session.deadline = None
    assert student.x == 2  # still usable (the soft limit stopped it, or a restart replayed the cells)


def test_crash_restarts_and_replays(session):
    student = StudentProxy(session)
    model = student.model
    with pytest.raises(SandboxCrashed):
        student.crash()
    assert student.y == 3 and session.restarts == 1
    with pytest.raises(SandboxCrashed, match="lost"):
        _ = model.weight  # handles from before the restart are gone


def test_reseeding_makes_calls_repeatable(session):
    student = StudentProxy(session)
    student.reseed(5)
    first = student.rand()
    student.reseed(5)
    assert torch.equal(first, student.rand())


def test_cell_that_hangs_is_skipped_on_replay(toy_config, zygote):
    sheet = toy_config.sheet("toy")
    request, _ = sandbox_request(toy_config, sheet, worker_index=0, device="cpu", protected=[])
    cells = [Cell(0, "a = 1"), Cell(1, "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                       "signal.signal(signal.SIGPROF, signal.SIG_IGN)\n"  # no soft stop
                                       "while True: pass"), Cell(2, "b = a + 1")]
    s = StudentSession(zygote, request, cells, cell_timeout=1, default_timeout=4, output_limit=1000)
    try:
        s.start()
        assert any(r.fatal for r in s.load_reports)
        assert StudentProxy(s).b == 2 and 1 in s.skipped
    finally:
        s.close()
