#!/usr/bin/env python3
"""scripts/metrics_to_tensorboard.py against hand-worked bytes: the CRC-32C check values of
RFC 3720 (B.4), one Event protocol buffer encoded by hand, and the TFRecord framing read back with
its checksums. (On the GPU machine, where TensorBoard is installed, .device runs also load the
output with TensorBoard's own EventAccumulator.)"""
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import metrics_to_tensorboard as tb  # noqa: E402

failures = passes = 0


def check(name, got, want):
    global failures, passes
    if got != want:
        failures += 1
        print(f"FAIL {name}: got {got!r}, want {want!r}")
    else:
        passes += 1
        print(f"ok   {name}")


check("crc32c('123456789')", tb.crc32c(b"123456789"), 0xE3069283)
check("crc32c(32 zero bytes)", tb.crc32c(bytes(32)), 0x8A9136AA)
check("crc32c(32 0xff bytes)", tb.crc32c(b"\xff" * 32), 0x62A8AB43)

# Event{wall_time: 1.0, step: 3, summary {value {tag: "sft/loss", simple_value: 0.5}}}, by hand:
# field 1 double (tag 0x09) 1.0 = 00 00 00 00 00 00 f0 3f; field 2 varint (0x10) 3;
# field 5 message (0x2a), 17 bytes: field 1 message (0x0a), 15 bytes:
#   field 1 string (0x0a) of 8 bytes "sft/loss"; field 2 float (0x15) 0.5 = 00 00 00 3f.
want = (bytes([0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0x03, 0x2A, 0x11, 0x0A, 0x0F, 0x0A, 0x08]) + b"sft/loss" +
        bytes([0x15, 0, 0, 0, 0x3F]))
check("event bytes", tb.event(1.0, 3, [("sft/loss", 0.5)]), want)
check("file_version event", tb.event(0.0, file_version="brain.Event:2"),
      bytes([0x09] + [0] * 8 + [0x1A, 13]) + b"brain.Event:2")
check("varint 300", tb._varint(300), bytes([0xAC, 0x02]))


def unmask(m):
    r = (m - 0xA282EAD8) & 0xFFFFFFFF
    return ((r >> 17) | (r << 15)) & 0xFFFFFFFF


with tempfile.TemporaryDirectory() as d:
    metrics = os.path.join(d, "metrics.jsonl")
    with open(metrics, "w") as f:
        f.write(json.dumps({"stage": "sft", "step": 1, "loss": 2.5, "lr": 1e-3, "elapsed_s": 0.5}) + "\n")
        f.write(json.dumps({"stage": "grpo", "step": 1, "reward_mean": -0.25, "note": "x", "ok": True,
                            "elapsed_s": 1.5}) + "\n")
    path = tb.convert(metrics, os.path.join(d, "tb"))
    data = open(path, "rb").read()
    records, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack_from("<Q", data, pos)
        (len_crc,) = struct.unpack_from("<I", data, pos + 8)
        body = data[pos + 12:pos + 12 + n]
        (body_crc,) = struct.unpack_from("<I", data, pos + 12 + n)
        check(f"record {len(records)} length crc", unmask(len_crc), tb.crc32c(data[pos:pos + 8]))
        check(f"record {len(records)} data crc", unmask(body_crc), tb.crc32c(body))
        records.append(body)
        pos += 16 + n
    check("record count", len(records), 3)
    check("first record", records[0], tb.event(0.0, file_version="brain.Event:2"))
    check("sft record", records[1], tb.event(0.5, 1, [("sft/loss", 2.5), ("sft/lr", 1e-3)]))
    # Strings and booleans are not scalars.
    check("grpo record", records[2], tb.event(1.5, 1, [("grpo/reward_mean", -0.25)]))

print(f"{passes} passed, {failures} failed")
sys.exit(1 if failures else 0)
