#!/usr/bin/env python3
"""Reads an spct checkpoint (step_<N>.h5) with h5py, verifying every CRC32 (docs/checkpoint.md).

usage: read_checkpoint.py step_<N>.h5
"""
import sys
import zlib

import h5py
import numpy as np


def read_dataset(ds):
    """The dataset as numpy, after checking its CRC32; bfloat16 comes back as float32."""
    a = ds[()]
    raw = np.ascontiguousarray(a).tobytes()
    if zlib.crc32(raw) != int(ds.attrs["crc32"]):
        raise ValueError(f"{ds.name}: CRC32 mismatch, the data is corrupt")
    if ds.attrs["dtype"] == "bfloat16":
        a = (np.asarray(a).astype("<u4") << 16).view("<f4")
    elif ds.attrs["dtype"] == "bool":
        a = np.asarray(a).astype(bool)
    return a


def read_text(f, name):
    return bytes(read_dataset(f[name])).decode("utf-8")


def main(path):
    with h5py.File(path, "r") as f:
        if f.attrs["format_version"] != 1:
            raise ValueError(f"{path}: unsupported format_version {f.attrs['format_version']}")
        print("step", int(f.attrs["step"]), "stage", f.attrs["stage"], "data_cursor", int(f.attrs["data_cursor"]))
        params = {name: read_dataset(ds) for name, ds in f["params"].items()}
        optimizer = {name: read_dataset(ds) for name, ds in f["optimizer"].items()}
        rng = {name: read_dataset(ds) for name, ds in f["rng"].items()}
        print(len(params), "parameter tensors,", sum(p.size for p in params.values()), "parameters")
        print(len(optimizer), "optimizer tensors; rng states:", ", ".join(rng))
        print("model config:", read_text(f, "model_config_json")[:200])
        print("metrics:", read_text(f, "metrics_json"))


if __name__ == "__main__":
    main(sys.argv[1])
