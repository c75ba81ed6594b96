#!/usr/bin/env python3
"""Converts a run's metrics.jsonl into a TensorBoard event file (no TensorFlow needed).

    python3 scripts/metrics_to_tensorboard.py runs/demo            # -> runs/demo/tensorboard/
    tensorboard --logdir runs/demo/tensorboard

Every numeric field of a metrics line becomes the scalar "<stage>/<field>" at that line's step
(stages restart their step count, so each stage has its own tags). The event's wall time is the
line's `elapsed_s` (seconds since its stage started), so the output depends on the metrics alone.
Written with the standard library: the TFRecord framing (length, masked CRC-32C of the length,
data, masked CRC-32C of the data) around `tensorflow.Event` protocol buffers encoded by hand.
"""
import argparse
import json
import os
import struct
import sys

SKIP = {"stage", "step", "elapsed_s"}


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as TFRecord frames use it."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # int64 fields: two's complement, as protobuf encodes negatives
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire) + payload


def _message(number: int, body: bytes) -> bytes:
    return _field(number, 2, _varint(len(body)) + body)


def event(wall_time: float, step: int = None, scalars=(), file_version: str = None) -> bytes:
    """tensorflow.Event: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
    summary = 5 (Summary: value = 1 (Value: tag = 1 (string), simple_value = 2 (float)))."""
    out = _field(1, 1, struct.pack("<d", wall_time))
    if step is not None:
        out += _field(2, 0, _varint(step))
    if file_version is not None:
        out += _message(3, file_version.encode())
    if scalars:
        values = b"".join(_message(1, _message(1, tag.encode()) + _field(2, 5, struct.pack("<f", v)))
                          for tag, v in scalars)
        out += _message(5, values)
    return out


def record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


def read_metrics(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{number}: not JSON: {e.msg}")
            if not isinstance(line, dict) or not isinstance(line.get("step"), int) or "stage" not in line:
                sys.exit(f"{path}:{number}: field 'stage' or 'step' missing or not of its type")
            lines.append(line)
    return lines


def convert(metrics_path: str, out_dir: str) -> str:
    lines = read_metrics(metrics_path)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "events.out.tfevents.0.spct")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(record(event(0.0, file_version="brain.Event:2")))
        for line in lines:
            scalars = [(f"{line['stage']}/{k}", float(v)) for k, v in line.items()
                       if k not in SKIP and isinstance(v, (int, float)) and not isinstance(v, bool)]
            f.write(record(event(float(line.get("elapsed_s", 0.0)), line["step"], scalars)))
    os.replace(tmp, path)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="run directory (reads RUN/metrics.jsonl) or a metrics JSONL file")
    ap.add_argument("--out", help="event directory (default: RUN/tensorboard)")
    a = ap.parse_args()
    metrics = a.run if os.path.isfile(a.run) else os.path.join(a.run, "metrics.jsonl")
    if not os.path.isfile(metrics):
        sys.exit(f"{metrics}: no such file")
    out = a.out or os.path.join(os.path.dirname(os.path.abspath(metrics)), "tensorboard")
    print(convert(metrics, out))


if __name__ == "__main__":
    main()
