// Host driver of XyloCore compiled with CXXRTL (spikegate.hdl.xylo.cxxrtl): the same port transactions
// as spikegate.hdl.xylo.simulate, one clock cycle per edge() call.
//
// stdin (whitespace-separated integers):
//   input_bits n_writes, then n_writes pairs "address data"
//   n_steps n_inputs record n_state, then n_state read-back addresses, then the raster (n_steps x n_inputs)
// stdout, per step: "S cycles n_spikes neuron..." and, when recording (or after the last step),
//   "R word..." (the words at the n_state addresses, in order).
#include <cstdint>
#include <iostream>
#include <vector>

#include "design.cc"

static cxxrtl_design::p_top top;

static void settle() { top.step(); }

static void edge() {
    top.p_clk.set<bool>(true);
    top.step();
    top.p_clk.set<bool>(false);
    top.step();
}

template <typename Payload, typename Valid, typename Ready>
static void send(Payload &payload, Valid &valid, Ready &ready, uint64_t value) {
    payload.template set<uint64_t>(value);
    valid.template set<bool>(true);
    for (;;) {
        settle();
        bool accepted = ready.template get<bool>();
        edge();
        if (accepted) break;
    }
    valid.template set<bool>(false);
}

static std::vector<uint32_t> read_words(const std::vector<uint32_t> &addresses) {
    std::vector<uint32_t> words;
    size_t issued = 0;
    top.p_readback__data____ready.set<bool>(true);
    while (words.size() < addresses.size()) {
        bool more = issued < addresses.size();
        top.p_readback__addr____valid.set<bool>(more);
        if (more) top.p_readback__addr____payload.set<uint32_t>(addresses[issued]);
        settle();
        bool accepted = more && top.p_readback__addr____ready.get<bool>();
        bool got = top.p_readback__data____valid.get<bool>();
        uint32_t value = top.p_readback__data____payload.get<uint32_t>();
        edge();
        if (got) words.push_back(value);
        if (accepted) issued++;
    }
    top.p_readback__addr____valid.set<bool>(false);
    return words;
}

int main() {
    std::ios::sync_with_stdio(false);
    uint64_t input_bits, n_writes;
    std::cin >> input_bits >> n_writes;
    top.p_rst.set<bool>(true);
    edge();
    edge();
    top.p_rst.set<bool>(false);
    for (uint64_t k = 0; k < n_writes; k++) {
        uint64_t address, data;
        std::cin >> address >> data;
        send(top.p_config____payload, top.p_config____valid, top.p_config____ready, data << 21 | address);
    }
    do { settle(); edge(); } while (top.p_busy.get<bool>());  // a CLEAR among the writes
    uint64_t n_steps, n_inputs, record, n_state;
    std::cin >> n_steps >> n_inputs >> record >> n_state;
    std::vector<uint32_t> addresses(n_state);
    for (auto &a : addresses) std::cin >> a;
    for (uint64_t t = 0; t < n_steps; t++) {
        std::vector<uint64_t> counts(n_inputs);
        for (auto &c : counts) std::cin >> c;
        for (uint64_t i = 0; i < n_inputs; i++)
            if (counts[i]) send(top.p_counts____payload, top.p_counts____valid, top.p_counts____ready,
                                counts[i] << input_bits | i);
        top.p_spikes____ready.set<bool>(true);
        top.p_step.set<bool>(true);
        edge();
        top.p_step.set<bool>(false);
        std::vector<uint32_t> spiked;
        for (;;) {
            settle();
            bool valid = top.p_spikes____valid.get<bool>(), done = top.p_done.get<bool>();
            uint32_t neuron = top.p_spikes____payload.get<uint32_t>();
            edge();
            if (valid) spiked.push_back(neuron);
            if (done) break;
        }
        std::cout << "S " << top.p_cycles.get<uint32_t>() << ' ' << spiked.size();
        for (auto s : spiked) std::cout << ' ' << s;
        std::cout << '\n';
        if (record || t + 1 == n_steps) {
            std::cout << 'R';
            for (auto w : read_words(addresses)) std::cout << ' ' << w;
            std::cout << '\n';
        }
    }
    return 0;
}
