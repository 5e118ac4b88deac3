"""Host driver bounds: a missing reply is a TimeoutError naming the reply, a garbled one a ReplyError."""
import pytest

from spikegate.fpga.host import Link, ReplyError


class _Silent:
    def write(self, data):
        pass

    def read(self, n):
        raise TimeoutError(f"read 0 of {n} bytes before the timeout")


class _Garbled(_Silent):
    def read(self, n):
        return b"\xee" * n


def test_step_without_reply_is_a_timeout_naming_the_reply_wrong():
    with pytest.raises(TimeoutError, match=r"reply DONE: none within the transport's limit \(read 0 of 5 bytes"):
        Link(_Silent()).step()


def test_garbled_reply_is_a_reply_error_wrong():
    with pytest.raises(ReplyError, match=r"unknown tag byte 0xee .* while waiting for DONE"):
        Link(_Garbled()).step()
