"""Host driver bounds: a missing reply is a TimeoutError naming the reply, a garbled one a ReplyError;
Link.resync() raises one clear ReplyError when the board still does not answer in frame (its success
after lost and garbled bytes is tested against the simulated design in test_fpga_fuzz.py)."""
import pytest

from spikegate.fpga.host import Link, ReplyError


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
