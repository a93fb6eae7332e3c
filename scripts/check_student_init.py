"""Checks that `afina student init` writes the teacher with only the kept layers: the student
directory, loaded by transformers, must give the logits of the teacher loaded by transformers
with every other layer deleted in PyTorch (a ModuleList of the kept layers, num_hidden_layers
updated), within 1e-5 of the largest logit. Both sides run in PyTorch, so any gap comes from
the weights Afina wrote (renumbering, tying, GGUF dequantization and Q/K un-permutation).

Run: python3 scripts/check_student_init.py [--teacher PATH] [--keep-layers 0-29:2] [--afina .build/release/afina]
PATH is a .gguf file (default: the pulled SmolLM2-135M-Instruct) or a Hugging Face directory.
Needs: scripts/requirements.txt.
"""
import argparse, os, subprocess, tempfile
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

CACHE = os.path.expanduser(os.environ.get("AFINA_CACHE", "~/.cache/afina"))
SMOLLM2 = os.path.join(CACHE, "models", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")
TEXT = "The quick brown fox jumps over the lazy dog, then naps in the afternoon sun."


def kept_layers(text):
    """The layers of `--keep-layers` (N, A-B inclusive, A-B:S every S-th); Afina checks the list itself."""
    layers = []
    for item in text.split(","):
        span, _, step = item.strip().partition(":")
        first, _, last = span.partition("-")
        layers += range(int(first), int(last or first) + 1, int(step or 1))
    return layers


def from_pretrained(cls, path, **kwargs):
    """A .gguf file loads through transformers' GGUF reader (dequantized to float32)."""
    if path.endswith(".gguf"):
        return cls.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path), **kwargs)
    return cls.from_pretrained(path, **kwargs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default=SMOLLM2)
    ap.add_argument("--keep-layers", default="0-29:2")
    ap.add_argument("--afina", default=".build/release/afina")
    args = ap.parse_args()
    kept = kept_layers(args.keep_layers)
    with tempfile.TemporaryDirectory() as student_dir:
        summary = subprocess.run([args.afina, "student", "init", "--from", args.teacher, "--keep-layers",
                                  args.keep_layers, student_dir], check=True, capture_output=True, text=True)
        print("afina:", summary.stdout.strip())
        student = AutoModelForCausalLM.from_pretrained(student_dir, dtype=torch.float32).eval()
        teacher = from_pretrained(AutoModelForCausalLM, args.teacher, dtype=torch.float32).eval()
        teacher.model.layers = torch.nn.ModuleList(teacher.model.layers[i] for i in kept)
        teacher.config.num_hidden_layers = len(kept)
        if getattr(teacher.config, "layer_types", None):
            teacher.config.layer_types = [teacher.config.layer_types[i] for i in kept]
        ids = from_pretrained(AutoTokenizer, args.teacher)(TEXT, return_tensors="pt").input_ids
        with torch.no_grad():
            expected = teacher(input_ids=ids, use_cache=False).logits
            actual = student(input_ids=ids, use_cache=False).logits
        gap = (actual - expected).abs().max().item()
        scale = expected.abs().max().item()
    print(f"{len(kept)} kept layers, {ids.shape[1]} tokens: max |logit difference| {gap:.3e} "
          f"(largest logit {scale:.2f}, relative {gap / scale:.2e})")
    raise SystemExit(0 if gap <= 1e-5 * scale else 1)


if __name__ == "__main__":
    main()
