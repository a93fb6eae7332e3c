"""Reference values for the encoder ops (PyTorch, float32): LayerNorm, GELU in both forms, tanh, and
attention with a bidirectional padding mask, an additive bias and a chosen scale.

Writes Tests/Fixtures/ops/encoder_ops.json: for each case its inputs, the output, an upstream
gradient `dy` and the gradients of sum(dy * output) with respect to every input. Attention works
on packed rows as Afina's backends do: queries [rows, heads*hd], keys/values [rows, kv_heads*hd],
and spans {query_row, count, key_row, keys, causal} saying which rows form each sequence.

    python3 scripts/make_encoder_op_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "ops", "encoder_ops.json")
torch.manual_seed(1234)


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def layer_norm_case(n, d, eps):
    x = (torch.randn(n, d) * 2 + 0.5).requires_grad_()
    w = torch.randn(d).requires_grad_()
    b = torch.randn(d).requires_grad_()
    y = F.layer_norm(x, (d,), w, b, eps)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    return {"shape": [n, d], "eps": eps, "x": values(x), "weight": values(w), "bias": values(b), "y": values(y),
            "dy": values(dy), "dx": values(x.grad), "dweight": values(w.grad), "dbias": values(b.grad)}


def gelu_case(approximate):
    x = (torch.randn(6, 37) * 3).requires_grad_()
    y = F.gelu(x, approximate=approximate)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    return {"shape": [6, 37], "approximate": approximate, "x": values(x), "y": values(y), "dy": values(dy),
            "dx": values(x.grad)}


def tanh_case():
    x = (torch.randn(3, 40) * 2).requires_grad_()
    y = torch.tanh(x)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    return {"shape": [3, 40], "x": values(x), "y": values(y), "dy": values(dy), "dx": values(x.grad)}


def attention_case(name, spans, query_rows, key_rows, heads, kv_heads, hd, scale, bias_positions):
    q = torch.randn(query_rows, heads * hd).requires_grad_()
    k = torch.randn(key_rows, kv_heads * hd).requires_grad_()
    v = torch.randn(key_rows, kv_heads * hd).requires_grad_()
    bias = None
    if bias_positions:
        bias = torch.randn(heads, *bias_positions).requires_grad_()
    out = torch.zeros(query_rows, heads * hd)
    rows = []
    for s in spans:
        n, keys = s["count"], s["keys"]
        qs = q[s["query_row"]:s["query_row"] + n].view(n, heads, hd).transpose(0, 1)             # [H, n, hd]
        ks = k[s["key_row"]:s["key_row"] + keys].view(keys, kv_heads, hd).transpose(0, 1)        # [Hkv, keys, hd]
        vs = v[s["key_row"]:s["key_row"] + keys].view(keys, kv_heads, hd).transpose(0, 1)
        ks = ks.repeat_interleave(heads // kv_heads, dim=0)
        vs = vs.repeat_interleave(heads // kv_heads, dim=0)
        scores = qs @ ks.transpose(1, 2) * scale                                                  # [H, n, keys]
        if bias is not None:
            scores = scores + bias[:, :n, :keys]
        if s["causal"]:
            mask = torch.ones(n, keys, dtype=torch.bool).tril()
            if s.get("window"):  # transformers' sliding window: key j seen by query i when i - window < j
                mask &= torch.ones(n, keys, dtype=torch.bool).triu(1 - s["window"])
            scores = scores.masked_fill(~mask, float("-inf"))
        o = torch.softmax(scores, dim=-1) @ vs                                                    # [H, n, hd]
        rows.append((s["query_row"], o.transpose(0, 1).reshape(n, heads * hd)))
    out = torch.cat([o for _, o in sorted(rows, key=lambda r: r[0])])
    dy = torch.randn_like(out)
    (out * dy).sum().backward()
    case = {"name": name, "heads": heads, "kv_heads": kv_heads, "head_dim": hd, "scale": scale, "spans": spans,
            "query": values(q), "query_shape": list(q.shape), "keys": values(k), "values": values(v),
            "key_shape": list(k.shape), "y": values(out), "dy": values(dy),
            "dquery": values(q.grad), "dkeys": values(k.grad), "dvalues": values(v.grad)}
    if bias is not None:
        case.update(bias=values(bias), bias_shape=list(bias.shape), dbias=values(bias.grad))
    return case


def span(query_row, count, key_row, keys, causal, window=None):
    s = {"query_row": query_row, "count": count, "key_row": key_row, "keys": keys, "causal": causal}
    if window:
        s["window"] = window
    return s


# Padding rows of the padded encoder batch still get outputs (they attend to the real keys), as
# in transformers, whose key padding mask leaves padded queries unmasked; the second sequence's
# padding key rows (11..13) get zero key and value gradients.
cases = [
    attention_case("encoder, padded batch, bias, scale 0.3", [span(0, 7, 0, 7, False), span(7, 7, 7, 4, False)],
                   14, 14, heads=4, kv_heads=2, hd=8, scale=0.3, bias_positions=(7, 7)),
    attention_case("decoder self-attention, causal, bias, no scaling", [span(0, 5, 0, 5, True), span(5, 3, 5, 3, True)],
                   8, 8, heads=2, kv_heads=2, hd=16, scale=1.0, bias_positions=(5, 5)),
    attention_case("cross-attention, padded encoder keys", [span(0, 3, 0, 5, False), span(3, 3, 5, 4, False)],
                   6, 10, heads=3, kv_heads=1, hd=8, scale=8 ** -0.5, bias_positions=None),
    attention_case("decoder, sliding window 3 (Gemma's local layers), grouped heads",
                   [span(0, 7, 0, 7, True, window=3), span(7, 5, 7, 5, True, window=3)],
                   12, 12, heads=4, kv_heads=2, hd=8, scale=20 ** -0.5, bias_positions=None),
]
fixture = {
    "layer_norm": [layer_norm_case(5, 48, 1e-12), layer_norm_case(3, 384, 1e-5)],
    "gelu": [gelu_case("none"), gelu_case("tanh")],
    "attention": cases,
    "tanh": [tanh_case()],
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(fixture, f)
print("wrote", OUT)
