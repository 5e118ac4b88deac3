// Drives a CXXRTL model of DynapcnnChip (spikegate.hdl.dynapcnn.compiled; built by spikegate.hdl.cxxrtl).
//
// stdin: the number of input items, then each packed ChipInput payload; the number of read requests, then
// each packed ChipConfigRequest payload. stdout: one "E <packed MonitorOut>" line per monitor record in
// delivery order, "C <cycles> <synops> <input stalls>", then one "R <word>" line per read answer.
// Handshakes are sampled before each rising edge, after the inputs have settled; the monitor is always ready.
#include <cinttypes>
#include <cstdio>
#include <vector>

#include "design.cc"

static cxxrtl_design::p_top top;

static void cycle() {
    top.p_clk.set<bool>(true);
    top.step();
    top.p_clk.set<bool>(false);
    top.step();
}

static std::vector<uint64_t> read_words() {
    uint64_t n = 0, word = 0;
    std::vector<uint64_t> words;
    if (scanf("%" SCNu64, &n) != 1) return words;
    for (uint64_t i = 0; i < n && scanf("%" SCNu64, &word) == 1; i++) words.push_back(word);
    return words;
}

int main() {
    std::vector<uint64_t> items = read_words(), reads = read_words();
    top.p_rst.set<bool>(true);
    cycle();
    cycle();
    top.p_rst.set<bool>(false);
    top.p_monitor____ready.set<bool>(true);
    top.step();
    uint64_t n = 0, cycles = 0, stalls = 0;
    for (;;) {
        bool settled = n == items.size();
        top.p_events____valid.set<bool>(!settled);
        if (!settled) top.p_events____payload.set<uint64_t>(items[n]);
        top.step();
        bool accepted = top.p_events____ready.get<bool>();
        if (top.p_monitor____valid.get<bool>())
            printf("E %" PRIu64 "\n", top.p_monitor____payload.get<uint64_t>());
        bool busy = top.p_busy.get<bool>();
        cycle();
        cycles++;
        if (!settled) {
            if (accepted) n++;
            else stalls++;
        }
        if (settled && !busy) break;
    }
    top.p_events____valid.set<bool>(false);
    printf("C %" PRIu64 " %" PRIu32 " %" PRIu64 "\n", cycles, top.p_synops.get<uint32_t>(), stalls);
    for (uint64_t request : reads) {
        top.p_config____payload.set<uint64_t>(request);
        top.p_config____valid.set<bool>(true);
        top.step();
        while (!top.p_config____ready.get<bool>()) cycle();
        cycle();
        top.p_config____valid.set<bool>(false);
        top.p_readback____ready.set<bool>(true);
        top.step();
        while (!top.p_readback____valid.get<bool>()) cycle();
        printf("R %u\n", top.p_readback____payload.get<uint32_t>());
        cycle();
        top.p_readback____ready.set<bool>(false);
    }
    return 0;
}
