"""Host driver bounds: a missing reply is a TimeoutError naming the reply, a garbled one a ReplyError;
Link.resync() raises one clear ReplyError when the board still does not answer in frame (its success
after lost and garbled bytes is tested against the simulated design in test_fpga_fuzz.py). Every
external tool run is bounded too (spikegate.hdl.tools): past its limit it is killed and named."""
import time

import pytest

from spikegate.fpga.fuzz import EchoTop
from spikegate.fpga.host import Link, ReplyError
from spikegate.fpga.transport import CompiledSerial
from spikegate.hdl import tools


class _Silent:
    def write(self, data):
        pass

    def read(self, n):
        raise TimeoutError(f"read 0 of {n} bytes before the timeout")

    def drain(self, quiet_bits):
        return 0


class _Garbled(_Silent):
    def read(self, n):
        return b"\xee" * n


def test_step_without_reply_is_a_timeout_naming_the_reply_wrong():
    with pytest.raises(TimeoutError, match=r"reply DONE: none within the transport's limit \(read 0 of 5 bytes"):
        Link(_Silent()).step()


def test_garbled_reply_is_a_reply_error_wrong():
    with pytest.raises(ReplyError, match=r"unknown tag byte 0xee .* while waiting for DONE"):
        Link(_Garbled()).step()


def test_resync_without_an_answering_board_is_one_clear_error_wrong():
    with pytest.raises(ReplyError, match=r"^resync: no STATUS reply in frame after 20000 quiet bit times \(reply "
                                         r"IDENT: none within the transport's limit .*check the port, the baud rate"):
        Link(_Silent()).resync()
    with pytest.raises(ReplyError, match=r"^resync: no STATUS reply in frame after 64 quiet bit times \(reply: unknown tag"):
        Link(_Garbled(), packet_timeout_bits=32).resync()


def test_a_tool_past_its_time_limit_is_killed_and_named_wrong():
    start = time.monotonic()
    with pytest.raises(tools.ToolTimeout, match=r"^slowtool ran past its time limit of 0\.3 s; do this$"):
        tools.run_tool(["sh", "-c", "sleep 30; echo never"], tool="slowtool", timeout_s=0.3, advice="do this",
                       capture_output=True)
    assert time.monotonic() - start < 10


def test_g_plus_plus_past_its_time_limit_wrong(tmp_path, monkeypatch):
    """The CXXRTL serial simulation's g++ build, with a limit it cannot meet."""
    monkeypatch.setattr(tools, "COMPILE_TIMEOUT_S", 0.01)
    with pytest.raises(tools.ToolTimeout, match=r"^g\+\+ \(CXXRTL serial simulation\) ran past its time limit of "
                                                r"0\.01 s; retry on a less loaded machine or raise "
                                                r"spikegate\.hdl\.tools\.COMPILE_TIMEOUT_S$"):
        CompiledSerial(EchoTop(4, 32), 4, tmp_path)
