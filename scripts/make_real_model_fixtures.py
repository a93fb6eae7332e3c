"""Reference numbers for the real SmolLM2-135M-Instruct GGUF, from transformers' dequantized
float32 model (transformers reads the GGUF itself).

Writes Tests/Fixtures/smollm2/reference.json: for each prompt, its ids (as transformers'
tokenizer makes them), the top-5 log-probabilities at the last prompt position, and the
greedy continuation (up to 32 new tokens, stopping at EOS as generate does).
Also exports the model as a Hugging Face directory (safetensors) to
~/.cache/afina/reference/smollm2-135m-instruct-hf, used by a test when present.

Run: python3 scripts/make_real_model_fixtures.py   (after `afina pull`)
"""
import json, os
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

CACHE = os.path.expanduser(os.environ.get("AFINA_CACHE", "~/.cache/afina"))
GGUF_DIR = os.path.join(CACHE, "models", "smollm2-135m-instruct")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EXPORT = os.path.join(CACHE, "reference", "smollm2-135m-instruct-hf")
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "smollm2", "reference.json")

PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n    ",
    "Once upon a time, in a small village,",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nCorrect the spelling: recieve<|im_end|>\n<|im_start|>assistant\n",
    "La ciudad más grande de España es",
    "1, 2, 3, 5, 8, 13,",
]


def main():
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(GGUF_DIR, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(GGUF_DIR, gguf_file=GGUF, dtype=torch.float32).eval()
    records = []
    for prompt in PROMPTS:
        ids = tok(prompt, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1]
            logprobs = torch.log_softmax(logits.double(), -1)
            top = torch.topk(logprobs, 5)
            out = model.generate(torch.tensor([ids]), max_new_tokens=32, do_sample=False,
                                 eos_token_id=model.generation_config.eos_token_id, pad_token_id=2)
        records.append({"prompt": prompt, "ids": ids,
                        "top5_ids": top.indices.tolist(), "top5_logprobs": top.values.tolist(),
                        "greedy": out[0, len(ids):].tolist()})
        print(repr(prompt[:40]), "->", repr(tok.decode(out[0, len(ids):])))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"model": GGUF, "eos_token_id": model.generation_config.eos_token_id,
                   "records": records}, f, indent=1, ensure_ascii=False)
    # The GGUF-loaded model counts as "quantized" and refuses to save: copy it into a plain one.
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = type(model)(config).eval()
    plain.load_state_dict(model.state_dict())
    plain.save_pretrained(EXPORT, safe_serialization=True)
    tok.save_pretrained(EXPORT)
    print("exported", EXPORT, sorted(os.listdir(EXPORT)))


if __name__ == "__main__":
    main()
