// spikegate: plain Verilog-2005 testbench of one DYNAP-CNN core, driven by an exported test-vector directory.
//
//   iverilog -g2005 -o tb tb_dynapcnn_core.v dynapcnn_core.v && vvp tb
//
// Reads params.vh (sizes), core_writes.hex (configuration requests: write << 34 | data << 18 | local address),
// core_events.hex (input payloads: leak << 24 | channel << 14 | y << 7 | x), expected_core_events.hex (output
// payloads in order: feature << 14 | y << 7 | x), and membrane_addr.hex / expected_membranes.hex (local
// read-back addresses and int16 membranes after the last event). Loads the configuration through the
// configuration port, streams the events, compares every output event (order included) and every membrane.
// Prints "PASS ..." or the first mismatch and "FAIL".
`timescale 1ns/1ps
module tb;
`include "params.vh"

    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rst = 1'b1;

    reg [34:0] writes [0:N_WRITES-1];
    reg [24:0] events [0:N_EVENTS-1];
    reg [23:0] expected [0:N_EXPECTED];
    reg [17:0] membrane_addr [0:N_NEURONS-1];
    reg [15:0] expected_membrane [0:N_NEURONS-1];

    reg [34:0] cfg_payload = 0;
    reg cfg_valid = 1'b0;
    wire cfg_ready;
    reg [24:0] ev_payload = 0;
    reg ev_valid = 1'b0;
    wire ev_ready;
    wire [23:0] spk_payload;
    wire spk_valid;
    wire [15:0] rb_payload;
    wire rb_valid;
    wire busy;

    dynapcnn_core dut (
        .clk(clk), .rst(rst),
        .config__payload(cfg_payload), .config__valid(cfg_valid), .config__ready(cfg_ready),
        .events__payload(ev_payload), .events__valid(ev_valid), .events__ready(ev_ready),
        .spikes__payload(spk_payload), .spikes__valid(spk_valid), .spikes__ready(1'b1),
        .readback__payload(rb_payload), .readback__valid(rb_valid), .readback__ready(1'b1),
        .busy(busy)
    );

    integer received = 0, errors = 0, i;
    always @(posedge clk)
        if (spk_valid) begin
            if (received >= N_EXPECTED) begin
                if (errors == 0)
                    $display("MISMATCH output event %0d: expected none, got feature %0d x %0d y %0d", received,
                             spk_payload[23:14], spk_payload[6:0], spk_payload[13:7]);
                errors = errors + 1;
            end else if (spk_payload !== expected[received]) begin
                if (errors == 0)
                    $display("MISMATCH output event %0d: expected feature %0d x %0d y %0d, got feature %0d x %0d y %0d",
                             received, expected[received][23:14], expected[received][6:0], expected[received][13:7],
                             spk_payload[23:14], spk_payload[6:0], spk_payload[13:7]);
                errors = errors + 1;
            end
            received = received + 1;
        end

    task send_config(input [34:0] w);
        begin
            @(negedge clk);
            cfg_payload = w;
            cfg_valid = 1'b1;
            while (!cfg_ready) @(negedge clk);
            @(negedge clk);
            cfg_valid = 1'b0;
        end
    endtask

    task send_event(input [24:0] e);
        begin
            @(negedge clk);
            ev_payload = e;
            ev_valid = 1'b1;
            while (!ev_ready) @(negedge clk);
            @(negedge clk);
            ev_valid = 1'b0;
        end
    endtask

    initial begin
        $readmemh("core_writes.hex", writes);
        $readmemh("core_events.hex", events);
        if (N_EXPECTED > 0) $readmemh("expected_core_events.hex", expected, 0, N_EXPECTED - 1);
        $readmemh("membrane_addr.hex", membrane_addr);
        $readmemh("expected_membranes.hex", expected_membrane);
        repeat (4) @(negedge clk);
        rst = 1'b0;
        for (i = 0; i < N_WRITES; i = i + 1)
            send_config(writes[i]);
        for (i = 0; i < N_EVENTS; i = i + 1)
            send_event(events[i]);
        @(negedge clk);
        while (busy) @(negedge clk);
        repeat (8) @(negedge clk);
        if (received < N_EXPECTED) begin
            if (errors == 0)
                $display("MISMATCH output event %0d: expected feature %0d x %0d y %0d, got none", received,
                         expected[received][23:14], expected[received][6:0], expected[received][13:7]);
            errors = errors + 1;
        end
        for (i = 0; i < N_NEURONS; i = i + 1) begin
            send_config({1'b0, 16'd0, membrane_addr[i]});
            while (!rb_valid) @(negedge clk);
            if (rb_payload !== expected_membrane[i]) begin
                if (errors == 0)
                    $display("MISMATCH membrane %0d (read-back address %0d): expected %0d, got %0d", i,
                             membrane_addr[i], $signed(expected_membrane[i]), $signed(rb_payload));
                errors = errors + 1;
            end
        end
        if (errors == 0) $display("PASS %0d events, %0d output events, %0d membranes compared", N_EVENTS, received,
                                  N_NEURONS);
        else $display("FAIL %0d mismatches", errors);
        $finish;
    end
endmodule
