// Serial-port bridge for a CXXRTL model of a design with `rx`/`tx` UART pins (spikegate.fpga.transport).
//
// stdin, one request per line:  "W <hex bytes>"  queue bytes to send on rx;
//                                "F <hex byte>"  queue one byte sent with a low stop bit (framing error);
//                                "P <bits>"  queue an idle line for that many bit times;
//                                "R <n> <max cycles> <quiet>"  simulate until n bytes came out of tx (or
//                                the limit, counted from when the queued bytes are all sent), then on
//                                until none came for <quiet> cycles (read-ahead; 0: stop at n), then
//                                print "<cycles> <hex bytes>" (all that arrived).
// Bytes are sent 8N1, LSB first, `divisor` cycles per bit (argv[1]); tx is sampled mid-bit.
//
// Compiled with -DBYTE_STREAMS, the design has the host link's byte streams `rx_bytes` (in) and `tx_bytes`
// (out, always ready) in place of the pins (spikegate.fpga.link.HostLink with divisor None): the next queued
// byte is offered every cycle until taken, a bit time is one cycle ("P"); "F" is not sent (no line to garble).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "design.cc"

int main(int argc, char **argv) {
  const unsigned long divisor = argc > 1 ? strtoul(argv[1], nullptr, 10) : 4;
  cxxrtl_design::p_top top;
  unsigned long long cycles = 0;
  auto tick = [&]() {
    top.p_clk.set<bool>(false); top.step();
    top.p_clk.set<bool>(true); top.step();
    ++cycles;
  };
#ifndef BYTE_STREAMS
  top.p_rx.set<bool>(true);
#endif
  top.p_rst.set<bool>(true); tick(); tick();
  top.p_rst.set<bool>(false);

  std::deque<long> to_device;  // a byte (0..255), a byte with a low stop bit (256 + byte), idle bits (-bits)
  std::deque<unsigned char> from_device;
#ifdef BYTE_STREAMS
  unsigned long rx_timer = 0;  // cycles of a pause still to wait
  top.p_tx__bytes____ready.set<bool>(true);
  auto sending = [&]() { return !to_device.empty(); };
  auto cycle = [&]() {
    if (rx_timer == 0 && !to_device.empty() && to_device.front() < 0) {
      rx_timer = (unsigned long)(-to_device.front()); to_device.pop_front();
    }
    bool offered = rx_timer == 0 && !to_device.empty();
    top.p_rx__bytes____valid.set<bool>(offered);
    if (offered) top.p_rx__bytes____payload.set<unsigned>((unsigned)to_device.front());
    top.p_clk.set<bool>(false); top.step();  // settle: sample the handshakes before the edge
    bool taken = offered && top.p_rx__bytes____ready.get<bool>();
    bool got = top.p_tx__bytes____valid.get<bool>();
    unsigned char byte = top.p_tx__bytes____payload.get<unsigned>();
    top.p_clk.set<bool>(true); top.step();
    ++cycles;
    if (rx_timer) --rx_timer;
    if (taken) to_device.pop_front();
    if (got) from_device.push_back(byte);
  };
#else
  int rx_bit = -1;  unsigned long rx_timer = 0;  long rx_byte = 0;             // sender state
  int tx_bit = -1;  unsigned long tx_timer = 0;  unsigned tx_byte = 0; bool tx_last = true;  // sampler
  auto sending = [&]() { return rx_bit >= 0 || !to_device.empty(); };
  auto cycle = [&]() {
    if (rx_timer == 0) {
      if (rx_bit < 0) top.p_rx.set<bool>(true);  // idle (also after a low stop bit)
      if (rx_bit < 0 && !to_device.empty()) {
        rx_byte = to_device.front(); to_device.pop_front();
        if (rx_byte < 0) rx_timer = (unsigned long)(-rx_byte) * divisor;
        else rx_bit = 0;
      }
      if (rx_bit >= 0) {
        bool level = rx_bit == 0 ? false : rx_bit <= 8 ? (rx_byte >> (rx_bit - 1)) & 1 : rx_byte < 256;
        top.p_rx.set<bool>(level);
        rx_bit = rx_bit == 9 ? -1 : rx_bit + 1;
        rx_timer = divisor;
      }
    }
    if (rx_timer) --rx_timer;
    tick();
    bool tx = top.p_tx.get<bool>();
    if (tx_bit < 0) {
      if (tx_last && !tx) { tx_bit = 0; tx_timer = divisor / 2; tx_byte = 0; }
    } else if (--tx_timer == 0) {
      if (tx_bit >= 1 && tx_bit <= 8) tx_byte |= unsigned(tx) << (tx_bit - 1);
      if (tx_bit == 9) { from_device.push_back(tx_byte); tx_bit = -1; }
      else { ++tx_bit; tx_timer = divisor; }
    }
    tx_last = tx;
  };
#endif

  std::vector<char> line(1 << 16);
  std::string request;
  while (true) {
    request.clear();
    while (fgets(line.data(), line.size(), stdin)) {
      request += line.data();
      if (!request.empty() && request.back() == '\n') break;
    }
    if (request.empty()) return 0;
    if (request[0] == 'W') {
      for (size_t i = 2; i + 1 < request.size() && request[i] != '\n'; i += 2)
        to_device.push_back((unsigned char)strtoul(request.substr(i, 2).c_str(), nullptr, 16));
    } else if (request[0] == 'F') {
      to_device.push_back(256 + (long)strtoul(request.c_str() + 2, nullptr, 16));
    } else if (request[0] == 'P') {
      to_device.push_back(-(long)strtoul(request.c_str() + 2, nullptr, 10));
    } else if (request[0] == 'R') {
      unsigned long n = 0; unsigned long long limit = 0, quiet = 0;
      sscanf(request.c_str() + 2, "%lu %llu %llu", &n, &limit, &quiet);
      unsigned long long stop = cycles + limit;
      while (from_device.size() < n && cycles < stop) {
        cycle();
        if (sending()) stop = cycles + limit;  // the limit counts once all is sent
      }
      for (unsigned long long last = cycles, had = from_device.size();
           from_device.size() >= n && cycles < stop && cycles - last < quiet;) {
        cycle();
        if (from_device.size() != had) { last = cycles; had = from_device.size(); }
      }
      printf("%llu ", cycles);
      for (; !from_device.empty(); from_device.pop_front()) printf("%02x", from_device.front());
      printf("\n");
      fflush(stdout);
    } else {
      return 0;
    }
  }
}
