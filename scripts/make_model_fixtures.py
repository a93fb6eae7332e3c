"""Reference logits of tiny random Llama-family models (transformers, float32).

Writes under Tests/Fixtures/models/<variant>/:
  config.json, model.safetensors   the Hugging Face directory (as save_pretrained writes it)
  model.gguf                       the same weights as llama.cpp's converter lays them out
                                   (Q/K rows permuted for arch llama), float32
  logits.safetensors               ids_<i> (int32) and logits_<i> [T, V] for each test sequence

Run: python3 scripts/make_model_fixtures.py   (pinned stack: scripts/requirements.txt)
"""
import json, os, shutil
import numpy as np
import torch
import gguf
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "models")
SEQUENCES = [[1, 17, 42, 99, 3, 250, 7], [5, 6, 300, 11, 2]]

COMMON = dict(vocab_size=320, hidden_size=64, intermediate_size=144, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
              rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2)

VARIANTS = {
    # Untied output head, plain RoPE.
    "llama": (LlamaConfig, LlamaForCausalLM, dict(
        rope_parameters=dict(rope_type="default", rope_theta=10000.0), tie_word_embeddings=False)),
    # Llama-3 style frequency scaling, tied embeddings as in SmolLM2.
    "llama3-rope": (LlamaConfig, LlamaForCausalLM, dict(
        tie_word_embeddings=True,
        rope_parameters=dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
                             high_freq_factor=4.0, original_max_position_embeddings=64))),
    # Qwen2: biases on q, k, v.
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, dict(
        rope_parameters=dict(rope_type="default", rope_theta=1000000.0), tie_word_embeddings=True)),
}


def permute(w, n_head):
    """llama.cpp's convert_hf_to_gguf permutation of Q/K rows (interleaved RoPE layout)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_gguf(path, arch, cfg, state):
    w = gguf.GGUFWriter(path, arch)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    rope = cfg.rope_parameters
    w.add_rope_freq_base(rope["rope_theta"])
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_vocab_size(cfg.vocab_size)
    if rope["rope_type"] == "llama3":
        # llama.cpp stores Llama-3 scaling as per-frequency divisors (rope_freqs.weight).
        from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
        scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](cfg, "cpu")
        dim = cfg.hidden_size // cfg.num_attention_heads
        base = 1.0 / (rope["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        w.add_tensor("rope_freqs.weight", (base / scaled).numpy().astype(np.float32))
    names = {"embed_tokens": "token_embd", "norm": "output_norm", "lm_head": "output"}
    layer = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
             "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
             "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate",
             "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
    for name, t in state.items():
        t = t.float().numpy()
        parts = name.split(".")
        if parts[0] == "lm_head":
            out = "output." + parts[-1]
        elif parts[1] in ("embed_tokens", "norm"):
            out = names[parts[1]] + "." + parts[-1]
        else:
            i, module = int(parts[2]), ".".join(parts[3:-1])
            out = f"blk.{i}.{layer[module]}.{parts[-1]}"
            if arch == "llama" and module == "self_attn.q_proj":
                t = permute(t, cfg.num_attention_heads)
            if arch == "llama" and module == "self_attn.k_proj":
                t = permute(t, cfg.num_key_value_heads)
        w.add_tensor(out, np.ascontiguousarray(t))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    torch.manual_seed(0)
    for variant, (Config, Model, extra) in VARIANTS.items():
        cfg = Config(**COMMON, **extra)
        model = Model(cfg).float().eval()
        with torch.no_grad():  # default init is tiny; widen it so logits are far from uniform
            for p in model.parameters():
                p.copy_(torch.randn_like(p) * 0.2 + (1.0 if p.dim() == 1 else 0.0))
        out = os.path.join(ROOT, variant)
        shutil.rmtree(out, ignore_errors=True)
        model.save_pretrained(out, safe_serialization=True)
        for extra_file in ("generation_config.json",):
            if os.path.exists(os.path.join(out, extra_file)):
                os.remove(os.path.join(out, extra_file))
        arch = "qwen2" if variant == "qwen2" else "llama"
        state = {k: v for k, v in model.state_dict().items()
                 if not (cfg.tie_word_embeddings and k == "lm_head.weight")}
        write_gguf(os.path.join(out, "model.gguf"), arch, cfg, state)
        tensors = {}
        with torch.no_grad():
            for i, ids in enumerate(SEQUENCES):
                logits = model(torch.tensor([ids])).logits[0]
                tensors[f"ids_{i}"] = torch.tensor(ids, dtype=torch.int32)
                tensors[f"logits_{i}"] = logits.contiguous()
        save_file(tensors, os.path.join(out, "logits.safetensors"))
        print(variant, "written", os.listdir(out))


if __name__ == "__main__":
    main()
