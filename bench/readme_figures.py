"""README's benchmark and build rows, written from the recorded results (bench/results/*.json), never by hand.

    python bench/readme_figures.py            # print the rows
    python bench/readme_figures.py --write    # replace them in README.md (between the figures markers)

tests/test_readme_figures.py checks that README holds exactly these rows. After re-running a
benchmark with ``--out bench/results/...``, run this with ``--write``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results"
BEGIN = "<!-- figures from bench/results: python bench/readme_figures.py --write -->"
END = "<!-- end of figures from bench/results -->"


def _load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def xylo_rows() -> list[str]:
    doc = _load("xylo_speed.json")
    work, one, many = doc["workload"], doc["batch1"], doc["batched"]
    load = doc["machine"].get("load_average_1min")
    rows = [f"| `XyloSim` vs xylosim, {work['Nin']}/{work['Nhid']}/{work['Nout']}, fan-out {work['fanout']}, "
            f"~{one['hidden_spikes_per_step']:.1f} hidden spikes per step, T = {work['steps']} (`bench/xylo_speed.py`) | "
            f"batch 1, every state recorded: {one['spikegate_steps_per_s']:,.0f} against "
            f"{one['xylosim_steps_per_s']:,.0f} steps/s, **{one['ratio_per_sample']:.0f}x**; batch {many['batch']}, "
            f"{many['threads']} threads: **{many['ratio_per_sample']:.0f}x** per sample"
            f"{f' (load average {load:.1f})' if load is not None else ''} |"]
    growth = {}
    for entry in doc.get("growth", []):
        growth.setdefault(entry["n_hidden"], []).append(entry)
    cells = []
    for n_hidden, entries in sorted(growth.items()):
        ratios = " / ".join(f"{e['ratio_per_sample']:.0f}x" for e in entries)
        activity = " / ".join(f"{100 * e['target_activity']:g}" for e in entries)
        cells.append(f"{n_hidden} neurons: {ratios} at {activity} % activity")
    if cells:
        rows.append(f"| how the Xylo cost grows (`--growth`, [plot](docs/xylo_growth.png)) | {'; '.join(cells)} |")
    return rows


def dynapcnn_rows() -> list[str]:
    doc = _load("dynapcnn_speed.json")
    event, per_event, binned = doc["event_driven"], doc["one_event_per_step"], doc["bins_1ms"]
    rows = [f"| `DynapcnnSim` vs {doc['reference']}, seed network, {doc['input_events']:,} events, "
            f"{event['neuron_updates'] / 1e6:.0f} M neuron updates (`bench/dynapcnn_speed.py`) | "
            f"{event['seconds']:.3f} s, {event['neuron_updates'] / event['seconds'] / 1e9:.2f} G neuron updates/s; "
            f"**{per_event['ratio']:.0f}x** sinabs at one event per step ({per_event['seconds']:.1f} s), "
            f"**{binned['ratio']:.1f}x** at 1 ms bins ({binned['seconds']:.3f} s) |"]
    growth = doc.get("growth", [])
    if growth:
        events = " / ".join(f"{e['input_events'] // 1000}k" for e in growth)
        seconds = " / ".join(f"{e['event_driven']['seconds']:.3f}" for e in growth)
        rows.append(f"| how the DYNAP-CNN cost grows (`--growth`, [plot](docs/dynapcnn_growth.png)) | "
                    f"{events} input events: {seconds} s |")
    return rows


def build_rows() -> list[str]:
    """The iCEBreaker Xylo bitstream, from the report.json its build wrote (copied into bench/results)."""
    doc = _load("icebreaker_xylo_build.json")
    res, params = doc["resources"], doc["params"]
    steps = doc["cycles_per_step"]
    factors = " / ".join(f"{s['realtime_factor']:.1f}x" for s in steps)
    activity = " / ".join(f"{100 * s['target_activity']:g}" for s in steps)
    cycles = " / ".join(f"{s['cycles'] / 1000:.1f}k" for s in steps)
    vendor = " / ".join(f"{s['vendor_cycles'] / 1000:.0f}k" for s in steps)
    return [f"| iCEBreaker, full Xylo bitstream {params['n_inputs']}/{params['n_hidden']}/{params['n_outputs']} "
            f"(UART, PLL; `spikegate fpga build --board icebreaker --core xylo`, its report in "
            f"`bench/results/icebreaker_xylo_build.json`) | {res['logic'][0]} / {res['logic'][1]} LC, "
            f"{res['block_ram'][0]} / {res['block_ram'][1]} EBR, {res['spram'][0]} / {res['spram'][1]} SPRAM, "
            f"Fmax {res['fmax_mhz']['clk']:.1f} MHz (clock {doc['clock']['pll_hz'] / 1e6:g} MHz), built in "
            f"{doc['build_seconds']:.0f} s; {cycles} cycles per step (vendor model {vendor}) at {activity} % hidden "
            f"activity: a 1 ms step in real time {factors} |"]


def block() -> str:
    return "\n".join([BEGIN, "| what | figure |", "|---|---|", *xylo_rows(), *dynapcnn_rows(), *build_rows(), END])


def replaced(readme: str) -> str:
    start, stop = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + block() + readme[stop:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="replace the rows in README.md")
    args = parser.parse_args()
    if args.write:
        path = ROOT / "README.md"
        path.write_text(replaced(path.read_text()))
    else:
        print(block())


if __name__ == "__main__":
    main()
