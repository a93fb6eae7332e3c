#!/usr/bin/env python3
"""Fixtures for the quantizer tests (pinned stack: scripts/requirements.txt).

    python scripts/make_export_fixtures.py

Tests/Fixtures/export/quantize.bin (read by Tests/AfinaTensorTests/QuantizeTests.swift):
    float32 input x (N values, N a multiple of 32), then gguf-py's encodings of it,
    gguf.quants.quantize(x, type), for F16, Q8_0 and Q4_0, in that order, little-endian.
    N = file size / (4 + 2 + 34/32 + 18/32). gguf-py's numpy quantizers reproduce ggml's
    reference quantize_row_q8_0_ref / quantize_row_q4_0_ref.

The input holds random normal blocks at several scales plus blocks made to hit the edge
cases: all zeros, a negative extreme, equal magnitudes of both signs, values on the
rounding boundaries (k + 0.5 steps), tiny values whose scale is subnormal in f16.
"""
import os

import gguf
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "export")
Q = gguf.GGMLQuantizationType


def inputs():
    rng = np.random.default_rng(6)
    blocks = [rng.standard_normal(32) * scale for scale in (1e-3, 0.02, 0.5, 1, 30) for _ in range(4)]
    blocks.append(np.zeros(32))
    negative = rng.uniform(-1, 1, 32)
    negative[5] = -3
    blocks.append(negative)
    ties = rng.uniform(-1, 1, 32)
    ties[3], ties[9] = 2.0, -2.0
    blocks.append(ties)
    blocks.append((np.arange(32) - 15.5) / 15.5 * 127)  # steps of k + 0.5 after scaling
    blocks.append(np.linspace(-8, 8, 32))
    blocks.append(rng.standard_normal(32) * 1e-7)
    return np.concatenate(blocks).astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    x = inputs()
    parts = [x.tobytes()] + [gguf.quants.quantize(x, t).tobytes() for t in (Q.F16, Q.Q8_0, Q.Q4_0)]
    with open(os.path.join(OUT, "quantize.bin"), "wb") as f:
        f.write(b"".join(parts))
    print(f"wrote quantize.bin: {x.size} values")


if __name__ == "__main__":
    main()
