"""Protocol fuzzing campaign (issue 18): thousands of valid host commands interleaved with malformed
packets and line faults (spikegate.fpga.fuzz.FAULTS) against the UART host link in front of a
stand-in core, compiled by CXXRTL, every reply and the whole state checked against the behavioural
model. Prints packets sent, faults injected per kind, errors expected and counted, lockups, state
mismatches and resynchronisations; exits 1 at the first mismatch or lockup (printing it).

    python bench/fuzz_protocol.py                       # 5000 rounds: g++ build ~15 s, then ~1 min
    python bench/fuzz_protocol.py --seed 3 --rounds 20000
"""

import argparse
import sys
import tempfile
import time

import numpy as np

from spikegate.fpga.fuzz import Campaign, EchoTop, Mismatch
from spikegate.fpga.transport import CompiledSerial

DIVISOR = 4
PACKET_TIMEOUT_BITS = 64  # short, so that a campaign does not spend its time on idle line
TIMEOUT_CYCLES = 20_000   # a reply not come by then is a lockup (the longest honest wait is ~1,000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--divisor", type=int, default=DIVISOR, help="clock cycles per UART bit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as build:
        start = time.perf_counter()
        top = EchoTop(args.divisor, PACKET_TIMEOUT_BITS)
        serial = CompiledSerial(top, args.divisor, build, timeout_cycles=TIMEOUT_CYCLES * args.divisor // DIVISOR)
        print(f"CXXRTL build: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        campaign = Campaign(serial, PACKET_TIMEOUT_BITS, np.random.default_rng(args.seed))
        failure = None
        try:
            campaign.run(args.rounds)
        except Mismatch as error:
            failure = error
        finally:
            serial.close()
    f = campaign.figures
    print(f"seed {args.seed}, {args.rounds} rounds: {f.packets} packets sent ({f.commands} valid host commands "
          f"checked), {sum(f.faults.values())} faults injected ({', '.join(f'{k} {n}' for k, n in f.faults.items())})")
    print(f"errors (command, framing): injected {f.expected}, counted {f.counted}; {f.lockups} lockups, "
          f"{f.mismatches} state/reply mismatches, {f.resyncs} host resyncs (all succeeded); "
          f"{serial.cycles} cycles simulated in {time.perf_counter() - start:.1f} s")
    if failure is not None:
        print(f"FIRST FAILURE: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
