// spikegate: plain Verilog-2005 testbench of a Xylo core, driven by an exported test-vector directory.
//
//   iverilog -g2005 -o tb tb_xylo.v xylo_core.v && vvp tb
//
// Reads params.vh (sizes, CLEAR_WORD: the write that zeroes the state), config_writes.hex (address << 16 | data per write), input.hex (counts,
// step-major), expected_out.hex (per step, bit o = readout o spiked) and, when CHECK_STATE is 1,
// state_addr.hex and expected_state.hex (per step: Isyn, Isyn2, Vmem, Spikes, Isyn_out, Vmem_out).
// Loads the configuration through the core's configuration port, runs every step, compares the output
// spikes and reads back every state word. Prints "PASS ..." or the first mismatch and "FAIL".
`timescale 1ns/1ps
module tb;
`include "params.vh"
    localparam STATE_WORDS = 4 * N_HID + 2 * N_OUT;

    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rst = 1'b1;

    reg [ADDR_BITS+15:0] writes [0:N_WRITES-1];
    reg [7:0] stimulus [0:STEPS*N_IN-1];
    reg [N_OUT-1:0] expected_out [0:STEPS-1];
    reg [15:0] expected_state [0:STEPS*STATE_WORDS-1];
    reg [ADDR_BITS-1:0] state_addr [0:STATE_WORDS-1];

    reg [ADDR_BITS+15:0] cfg_payload = 0;
    reg cfg_valid = 1'b0;
    wire cfg_ready;
    reg [CH_BITS+7:0] cnt_payload = 0;
    reg cnt_valid = 1'b0;
    wire cnt_ready;
    reg step = 1'b0;
    wire busy, done;
    wire [OUT_BITS-1:0] spk_payload;
    wire spk_valid;
    reg [ADDR_BITS-1:0] rb_addr = 0;
    reg rb_addr_valid = 1'b0;
    wire rb_addr_ready;
    wire [15:0] rb_data;
    wire rb_data_valid;
    wire [31:0] cycles;

    xylo_core dut (
        .clk(clk), .rst(rst),
        .config__payload(cfg_payload), .config__valid(cfg_valid), .config__ready(cfg_ready),
        .counts__payload(cnt_payload), .counts__valid(cnt_valid), .counts__ready(cnt_ready),
        .step(step), .busy(busy), .done(done), .cycles(cycles),
        .spikes__payload(spk_payload), .spikes__valid(spk_valid), .spikes__ready(1'b1),
        .readback_addr__payload(rb_addr), .readback_addr__valid(rb_addr_valid), .readback_addr__ready(rb_addr_ready),
        .readback_data__payload(rb_data), .readback_data__valid(rb_data_valid), .readback_data__ready(1'b1)
    );

    // Output spikes of the running step, one bit per readout neuron.
    reg [N_OUT-1:0] spiked = 0;
    always @(posedge clk)
        if (spk_valid) spiked[spk_payload] <= 1'b1;

    integer i, t, k, errors, compared;
    reg [15:0] word;

    task send_config(input [ADDR_BITS+15:0] w);
        begin
            @(negedge clk);
            cfg_payload = {w[15:0], w[ADDR_BITS+15:16]};  // payload: addr in the low bits, data above
            cfg_valid = 1'b1;
            while (!cfg_ready) @(negedge clk);
            @(negedge clk);
            cfg_valid = 1'b0;
        end
    endtask

    task send_count(input integer channel, input [7:0] count);
        begin
            @(negedge clk);
            cnt_payload = {count, channel[CH_BITS-1:0]};
            cnt_valid = 1'b1;
            while (!cnt_ready) @(negedge clk);
            @(negedge clk);
            cnt_valid = 1'b0;
        end
    endtask

    task read_word(input [ADDR_BITS-1:0] a, output [15:0] value);
        begin
            @(negedge clk);
            rb_addr = a;
            rb_addr_valid = 1'b1;
            while (!rb_addr_ready) @(negedge clk);
            @(negedge clk);
            rb_addr_valid = 1'b0;
            while (!rb_data_valid) @(negedge clk);
            value = rb_data;
        end
    endtask

    function [8*8-1:0] field_name(input integer index);
        begin
            if (index < N_HID) field_name = "Isyn";
            else if (index < 2 * N_HID) field_name = "Isyn2";
            else if (index < 3 * N_HID) field_name = "Vmem";
            else if (index < 4 * N_HID) field_name = "Spikes";
            else if (index < 4 * N_HID + N_OUT) field_name = "Isyn_out";
            else field_name = "Vmem_out";
        end
    endfunction

    function integer field_neuron(input integer index);
        begin
            if (index < 4 * N_HID) field_neuron = index % N_HID;
            else field_neuron = (index - 4 * N_HID) % N_OUT;
        end
    endfunction

    initial begin
        $readmemh("config_writes.hex", writes);
        $readmemh("input.hex", stimulus);
        $readmemh("expected_out.hex", expected_out);
        if (CHECK_STATE) begin
            $readmemh("state_addr.hex", state_addr);
            $readmemh("expected_state.hex", expected_state);
        end
        errors = 0;
        compared = 0;
        repeat (4) @(negedge clk);
        rst = 1'b0;
        for (i = 0; i < N_WRITES; i = i + 1)
            send_config(writes[i]);
        send_config(CLEAR_WORD);  // CTRL CLEAR: zero all state
        @(negedge clk);
        while (busy) @(negedge clk);
        for (t = 0; t < STEPS; t = t + 1) begin
            for (i = 0; i < N_IN; i = i + 1)
                if (stimulus[t * N_IN + i] != 0) send_count(i, stimulus[t * N_IN + i]);
            @(negedge clk);
            spiked = 0;
            step = 1'b1;
            @(negedge clk);
            step = 1'b0;
            while (!done) @(negedge clk);
            @(negedge clk);
            compared = compared + 1;
            if (spiked !== expected_out[t]) begin
                if (errors == 0)
                    $display("MISMATCH step %0d field out: expected %b, got %b", t, expected_out[t], spiked);
                errors = errors + 1;
            end
            if (CHECK_STATE)
                for (k = 0; k < STATE_WORDS; k = k + 1) begin
                    read_word(state_addr[k], word);
                    compared = compared + 1;
                    if (word !== expected_state[t * STATE_WORDS + k]) begin
                        if (errors == 0)
                            $display("MISMATCH step %0d field %0s neuron %0d: expected %0d, got %0d", t,
                                     field_name(k), field_neuron(k), $signed(expected_state[t * STATE_WORDS + k]),
                                     $signed(word));
                        errors = errors + 1;
                    end
                end
        end
        if (errors == 0) $display("PASS %0d steps, %0d values compared", STEPS, compared);
        else $display("FAIL %0d of %0d values differ", errors, compared);
        $finish;
    end
endmodule
