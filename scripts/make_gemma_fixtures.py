"""Reference numbers for Gemma 3 (transformers, float32).

1. A tiny random Gemma 3 text model (6 layers: five sliding-window layers with the local RoPE
   base and one global layer with linear RoPE scaling, as the default pattern; head_dim unequal
   to hidden/heads; query_pre_attn_scalar unequal to head_dim; sequences longer than the window):
   Tests/Fixtures/models/gemma3/ holds config.json + model.safetensors, model.gguf (the same
   weights as llama.cpp's converter writes them: norm weights stored as 1 + w, no Q/K
   permutation) and logits.safetensors (ids_<i>, logits_<i> [T, V]; gguf_logits_<i> with the
   attention scale llama.cpp uses for a Gemma 3 GGUF).
2. Training references for that model on the batch of make_training_fixtures.py (sequences
   longer than the window), in Tests/Fixtures/training/gemma3/: grads.safetensors (loss, mean
   over target tokens, and d loss / d every parameter; a norm's gradient is the same for w and
   for the factor 1 + w Afina holds) and lora/ (a peft adapter, r=4, rsLoRA, all 7 projections,
   B nonzero so every gradient flows, saved by peft, with its loss and gradients).
3. With --real GGUF: the real Gemma 3 270M file (`afina pull gemma-3-270m`) loaded by
   transformers (dequantized to float32): for each prompt its ids, the top-5 log-probabilities
   at the last position and 32 greedy tokens, in Tests/Fixtures/models/gemma3-270m.json.

Run: python3 scripts/make_gemma_fixtures.py [--real ~/.cache/afina/models/gemma-3-270m/gemma-3-270m-q4_k_m.gguf]
(pinned stack: scripts/requirements.txt)
"""
import argparse, json, os, shutil
import numpy as np
import torch
import gguf
from safetensors.torch import save_file
from transformers import Gemma3ForCausalLM, Gemma3TextConfig
from make_training_fixtures import BATCH, loss_of, write_peft_adapter

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "models")
SEQUENCES = [[2, 17, 42, 99, 3, 250, 7, 8, 120, 64, 33], [2, 6, 300, 11, 5, 77]]
WINDOW = 4


def tiny_config():
    return Gemma3TextConfig(
        vocab_size=320, hidden_size=64, intermediate_size=144, num_hidden_layers=6, num_attention_heads=4,
        num_key_value_heads=2, head_dim=24, query_pre_attn_scalar=20, sliding_window=WINDOW,
        max_position_embeddings=256, rms_norm_eps=1e-6, bos_token_id=2, eos_token_id=1, pad_token_id=0,
        tie_word_embeddings=True,
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                         "full_attention": {"rope_type": "linear", "rope_theta": 1000000.0, "factor": 2.0}})


def write_gguf(path, cfg, state):
    """As llama.cpp's convert_hf_to_gguf.py (Gemma3Model) writes a Gemma 3 text model."""
    w = gguf.GGUFWriter(path, "gemma3")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_key_length(cfg.head_dim)
    w.add_value_length(cfg.head_dim)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(cfg.rope_parameters["full_attention"]["rope_theta"])
    w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
    w.add_rope_scaling_factor(cfg.rope_parameters["full_attention"]["factor"])
    w.add_sliding_window(cfg.sliding_window)
    layer = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
             "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
             "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "post_attention_norm",
             "pre_feedforward_layernorm": "ffn_norm", "post_feedforward_layernorm": "post_ffw_norm",
             "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
    for name, t in state.items():
        t = t.float().numpy()
        if name.endswith("norm.weight"):
            t = t + 1  # ggml's RMSNorm multiplies by the weight; Gemma's by (1 + weight)
        parts = name.split(".")
        if parts[1] == "embed_tokens":
            out = "token_embd.weight"
        elif parts[1] == "norm":
            out = "output_norm.weight"
        else:
            out = f"blk.{int(parts[2])}.{layer['.'.join(parts[3:-1])]}.{parts[-1]}"
        w.add_tensor(out, np.ascontiguousarray(t))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tiny():
    torch.manual_seed(0)
    cfg = tiny_config()
    model = Gemma3ForCausalLM(cfg).float().eval()
    with torch.no_grad():  # default init is tiny (norms zero); widen it so every path matters
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    assert cfg.layer_types == ["sliding_attention"] * 5 + ["full_attention"], cfg.layer_types
    out = os.path.join(ROOT, "gemma3")
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out, safe_serialization=True)
    if os.path.exists(os.path.join(out, "generation_config.json")):
        os.remove(os.path.join(out, "generation_config.json"))
    state = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}
    write_gguf(os.path.join(out, "model.gguf"), cfg, state)
    tensors = {}
    with torch.no_grad():
        for i, ids in enumerate(SEQUENCES):
            assert len(ids) > WINDOW
            tensors[f"ids_{i}"] = torch.tensor(ids, dtype=torch.int32)
            tensors[f"logits_{i}"] = model(torch.tensor([ids])).logits[0].contiguous()
        # A GGUF cannot carry query_pre_attn_scalar: llama.cpp scales Gemma 3's scores by
        # head_dim^-1/2 (n_embd/n_head for the 27B), so the GGUF's reference runs that way.
        for layer in model.model.layers:
            layer.self_attn.scaling = cfg.head_dim ** -0.5
        for i, ids in enumerate(SEQUENCES):
            tensors[f"gguf_logits_{i}"] = model(torch.tensor([ids])).logits[0].contiguous()
    save_file(tensors, os.path.join(out, "logits.safetensors"))
    print("gemma3 written", sorted(os.listdir(out)))


def training():
    assert any(len(seq["tokens"]) - 1 > WINDOW for seq in BATCH)
    directory = os.path.join(ROOT, "gemma3")
    out = os.path.join(ROOT, "..", "training", "gemma3")
    os.makedirs(out, exist_ok=True)
    model = Gemma3ForCausalLM.from_pretrained(directory, dtype=torch.float32).train()
    loss = loss_of(model)
    loss.backward()
    grads = {"loss": loss.detach().reshape(1)}
    grads.update({n: p.grad.contiguous() for n, p in model.named_parameters()})
    save_file(grads, os.path.join(out, "grads.safetensors"))
    write_peft_adapter(Gemma3ForCausalLM.from_pretrained(directory, dtype=torch.float32).train(),
                       os.path.join(out, "lora"), "Tests/Fixtures/models/gemma3")
    print("training/gemma3 written", sorted(os.listdir(out)))


PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n    ",
    "Había una vez un pequeño pueblo en las montañas donde",
    "Translate to German: The weather is nice today.\nGerman:",
]


def real(path):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    folder, name = os.path.dirname(path), os.path.basename(path)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    cases = []
    with torch.no_grad():
        for prompt in PROMPTS:
            ids = tok(prompt)["input_ids"]
            logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0, -1], dim=-1)
            top = torch.topk(logprobs, 5)
            greedy = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                    do_sample=False, max_new_tokens=32, min_new_tokens=32, pad_token_id=0)
            cases.append(dict(prompt=prompt, ids=ids, top_ids=top.indices.tolist(), top_logprobs=top.values.tolist(),
                              greedy=greedy[0, len(ids):].tolist()))
    with open(os.path.join(ROOT, "gemma3-270m.json"), "w") as f:
        json.dump(dict(file=name, cases=cases), f, indent=1)
    print("gemma3-270m.json written")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", help="path of gemma-3-270m-q4_k_m.gguf")
    args = ap.parse_args()
    tiny()
    training()
    if args.real:
        real(args.real)
