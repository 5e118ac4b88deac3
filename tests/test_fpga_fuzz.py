"""Protocol fuzzing, seeded sample (the full campaign: bench/fuzz_protocol.py): every fault kind of
spikegate.fpga.fuzz against the Amaranth simulation of the UART host link, each followed by a valid
command; replies, error counters and the whole memory compared with the behavioural model."""

import gc

import numpy as np
import pytest

from spikegate.fpga.command_rx import CommandReceiver
from spikegate.fpga.fuzz import FAULTS, QUEUE_DEPTH, Campaign, EchoTop
from spikegate.fpga.host import Link
from spikegate.fpga.protocol import REPLY_BYTES, Command, Reply, decode_reply, encode
from spikegate.fpga.transport import SimulatedSerial

DIVISOR = 4
PACKET_TIMEOUT_BITS = 32
TIMEOUT_CYCLES = 1_500  # the longest honest wait for one reply here is under 1,000 cycles


def simulated(packet_timeout_bits=PACKET_TIMEOUT_BITS):
    return SimulatedSerial(EchoTop(DIVISOR, packet_timeout_bits), DIVISOR, timeout_cycles=TIMEOUT_CYCLES)


@pytest.mark.parametrize("seed", [0])
def test_every_fault_kind_then_a_valid_command(seed):
    """Noise, truncated, over-long and garbled packets, bytes during a busy step, a swallowed command
    and unsolicited replies (the host resynchronises): each error counted once, the next command
    answered, memory and queue as the model's."""
    campaign = Campaign(simulated(), PACKET_TIMEOUT_BITS, np.random.default_rng(seed))
    for kind in FAULTS:
        campaign.fault(kind)
        campaign.command()
    campaign.check_state()
    figures = campaign.figures
    assert figures.counted == figures.expected and figures.expected[0] >= 4 and figures.expected[1] == 2
    assert (figures.lockups, figures.mismatches, figures.resyncs) == (0, 0, 2)


def test_unknown_byte_and_refused_select_in_one_cycle_count_twice():
    """Regression (found by the fuzzer): a SELECT of an absent core and a byte that is no command,
    buffered behind a STEP, are decoded in the same cycle; both are counted."""
    serial = simulated()
    link = Link(serial, PACKET_TIMEOUT_BITS)
    link.send(range(QUEUE_DEPTH))
    serial.write(encode(Command.STEP) + encode(Command.SELECT, 5) + b"\x00")
    tags = [decode_reply(serial.read(REPLY_BYTES))[0] for _ in range(2 * QUEUE_DEPTH + 1)]
    assert tags == [Reply.OUTPUT, Reply.OUTPUT_HI] * QUEUE_DEPTH + [Reply.DONE]
    assert link.status().unknown_commands == 2


def test_partial_packet_is_dropped_after_the_packet_timeout():
    serial = simulated()
    link = Link(serial, PACKET_TIMEOUT_BITS)
    link.write_config([(3, 7)])
    serial.write(encode(Command.WRITE, 3, 9)[:6])
    serial.pause(2 * PACKET_TIMEOUT_BITS)
    assert list(link.read(3, 1)) == [7]
    assert link.status().unknown_commands == 1


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_packet_timeout_wrong():
    with pytest.raises(ValueError, match="timeout: 0 clock cycles is below the minimum of 1"):
        EchoTop(DIVISOR, 0)
    with pytest.raises(ValueError, match="timeout: -4 clock cycles is below the minimum of 1"):
        CommandReceiver(-4)
    gc.collect()  # the refused components warn as unused when collected: here, under this test's filter
