#!/usr/bin/env python3
"""Fixtures for the dequantization and file-format tests (pinned stack: scripts/requirements.txt).

    python scripts/make_quant_fixtures.py

Tests/Fixtures/quant/<TYPE>.bin (read by Tests/AfinaTensorTests/DequantizeTests.swift):
    a few blocks of random bytes for one ggml type, with finite f16 scales in [-2, 2], followed
    by gguf-py's dequantization of them (gguf.quants.dequantize) as little-endian float32.
    Blocks take type.bytesPerBlock bytes and expand to type.blockSize floats, so the block
    count is file size / (bytesPerBlock + 4 * blockSize).

Tests/Fixtures/formats/ (read by Tests/AfinaFormatsTests):
    tiny.gguf           GGUF v3 written by gguf.GGUFWriter: every metadata value type, 64-byte
                        alignment, tensors F32 [2, 3], Q8_0 [2, 64] and F16 [5]
    python.safetensors  written by safetensors' save_file: F32, F16, BF16 and I32 tensors
    sharded/            a Hugging Face directory with weights in two shards and an index

Every value is exact in its dtype, so the tests state them directly and compare bit for bit.
"""
import json
import os

import gguf
import numpy as np
import torch
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
Q = gguf.GGMLQuantizationType

# type -> (blocks in the fixture, byte offsets of f16 scale fields inside a block)
BLOCKS = {
    Q.Q4_0: (8, [0]), Q.Q4_1: (8, [0, 2]), Q.Q5_0: (8, [0]), Q.Q5_1: (8, [0, 2]), Q.Q8_0: (8, [0]),
    Q.Q4_K: (3, [0, 2]), Q.Q5_K: (3, [0, 2]), Q.Q6_K: (3, [208]),
}


def random_blocks(rng, qtype, n, scale_offsets):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n, type_size), dtype=np.uint8)
    for off in scale_offsets:
        scales = rng.uniform(-2, 2, size=n).astype(np.float16)
        blocks[:, off:off + 2] = scales.view(np.uint8).reshape(n, 2)
    return blocks


def write_quant_fixtures(rng):
    out = os.path.join(ROOT, "quant")
    os.makedirs(out, exist_ok=True)
    for qtype, (n, offsets) in BLOCKS.items():
        blocks = random_blocks(rng, qtype, n, offsets)
        expected = gguf.quants.dequantize(blocks, qtype).astype("<f4")
        assert np.isfinite(expected).all()
        with open(os.path.join(out, f"{qtype.name}.bin"), "wb") as f:
            f.write(blocks.tobytes() + expected.tobytes())

    # Plain types: random values plus the awkward ones (signed zeros, subnormals, infinities).
    special = np.array([0.0, -0.0, np.inf, -np.inf, 6e-8, -6e-8, 1e-5, 65504.0], dtype=np.float32)
    f16 = np.concatenate([rng.normal(0, 10, 56).astype(np.float16), special.astype(np.float16)])
    bf16 = torch.from_numpy(np.concatenate([rng.normal(0, 1e3, 56).astype(np.float32), special,
                                            np.array([1e-40, 3e38], dtype=np.float32)])).to(torch.bfloat16)
    f32 = np.concatenate([rng.normal(0, 1, 60).astype(np.float32), special[:4]])
    i32 = np.array([0, 1, -1, 2**24, -(2**24) - 1, 2**31 - 1, -(2**31), 123456789], dtype=np.int32)
    plain = {
        "F16": (f16.tobytes(), gguf.quants.dequantize(f16.view(np.uint8), Q.F16)),
        "BF16": (bf16.view(torch.int16).numpy().tobytes(),
                 gguf.quants.dequantize(bf16.view(torch.int16).numpy().view(np.uint8), Q.BF16)),
        "F32": (f32.tobytes(), gguf.quants.dequantize(f32.view(np.uint8), Q.F32)),
        "I32": (i32.tobytes(), i32.astype(np.float32)),  # gguf-py has no I32 dequantization
    }
    for name, (raw, expected) in plain.items():
        with open(os.path.join(out, f"{name}.bin"), "wb") as f:
            f.write(raw + np.asarray(expected, dtype="<f4").reshape(-1).tobytes())


def write_tiny_gguf(path):
    w = gguf.GGUFWriter(path, "tiny")
    w.add_custom_alignment(64)
    w.add_name("tiny test model")
    w.add_uint8("tiny.u8", 200)
    w.add_int8("tiny.i8", -5)
    w.add_uint16("tiny.u16", 60000)
    w.add_int16("tiny.i16", -300)
    w.add_uint32("tiny.context_length", 128)
    w.add_int32("tiny.i32", -70000)
    w.add_uint64("tiny.u64", 2**40)
    w.add_int64("tiny.i64", -(2**40))
    w.add_float32("tiny.f32", 0.5)
    w.add_float64("tiny.f64", 0.125)
    w.add_bool("tiny.flag", True)
    w.add_array("tokenizer.ggml.tokens", ["<s>", "hello", "wörld", ""])
    w.add_array("tiny.ints", [3, -1, 4])
    w.add_array("tiny.floats", [0.5, -1.25])
    w.add_array("tiny.nested", [[1, 2], [3]])
    w.add_tensor("f32.weight", (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3))
    # Q8_0 values q * 0.25 with |q| <= 127 and one q = +-127 per block: d = 0.25 exactly.
    q = (np.arange(128) * 37 % 255 - 127).astype(np.float32)
    q[::32] = 127 * np.where(np.arange(4) % 2 == 0, 1, -1)
    w.add_tensor("q8.weight", gguf.quants.quantize((q * 0.25).reshape(2, 64), Q.Q8_0), raw_dtype=Q.Q8_0)
    assert np.array_equal(gguf.quants.dequantize(gguf.quants.quantize(q * 0.25, Q.Q8_0), Q.Q8_0), q * 0.25)
    w.add_tensor("f16.bias", np.array([1, -2, 0.5, 65504, -0.0], dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_format_fixtures():
    out = os.path.join(ROOT, "formats")
    os.makedirs(os.path.join(out, "sharded"), exist_ok=True)
    write_tiny_gguf(os.path.join(out, "tiny.gguf"))

    save_file({
        "weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.25 - 0.5,
        "half": torch.tensor([1, -2, 0.5, 65504], dtype=torch.float16),
        "brain": torch.tensor([1, -3, 2**100], dtype=torch.bfloat16),
        "ids": torch.tensor([7, -1, 2**31 - 1], dtype=torch.int32),
    }, os.path.join(out, "python.safetensors"), metadata={"format": "pt"})

    sharded = os.path.join(out, "sharded")
    shards = {
        "model-00001-of-00002.safetensors": {"a.weight": torch.arange(4, dtype=torch.float32).reshape(2, 2)},
        "model-00002-of-00002.safetensors": {"b.weight": torch.full((3,), 1.5, dtype=torch.float16),
                                             "c.bias": torch.tensor([-1.0, 2.0], dtype=torch.bfloat16)},
    }
    weight_map = {}
    for file, tensors in shards.items():
        save_file(tensors, os.path.join(sharded, file), metadata={"format": "pt"})
        weight_map.update({name: file for name in tensors})
    write_json(os.path.join(sharded, "model.safetensors.index.json"),
               {"metadata": {"total_size": 26}, "weight_map": weight_map})
    write_json(os.path.join(sharded, "config.json"), {"model_type": "llama", "num_hidden_layers": 1})
    write_json(os.path.join(sharded, "tokenizer_config.json"),
               {"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"})


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    write_quant_fixtures(np.random.default_rng(20240601))
    write_format_fixtures()
