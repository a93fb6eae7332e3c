"""Checks what `afina train` writes for encoders against transformers, peft and
sentence-transformers, end to end on the real all-MiniLM-L6-v2:
1. a LoRA classifier (task: classification, method: lora) loads in peft as
   AutoModelForSequenceClassification + PeftModel (the head from modules_to_save, the labels
   from afina.json), and peft's probabilities equal `afina classify --json` within 1e-5;
2. `afina merge` of that adapter writes a directory BertForSequenceClassification loads with
   the same probabilities, and its config names the labels;
3. a contrastively tuned encoder (task: embedding, method: full) written as model/ loads in
   sentence-transformers, whose embeddings equal `afina embed --json` within 1e-5.

Run: python3 scripts/check_encoder_peft.py [--afina .build/release/afina]   (needs `afina pull all-minilm-l6-v2`)
"""
import argparse
import json
import os
import subprocess
import tempfile

import torch
from peft import PeftModel
from sentence_transformers import SentenceTransformer
from transformers import AutoModelForSequenceClassification, AutoTokenizer

CACHE = os.path.expanduser(os.environ.get("AFINA_CACHE", "~/.cache/afina"))
MINILM = os.path.join(CACHE, "models", "all-minilm-l6-v2", "model")
TEXTS = ["What a lovely day at the beach", "The service was slow and the food cold", "An ordinary Tuesday",
         "I would gladly come back", "Never again, a waste of money"]
LABELS = ["positive", "negative", "neutral", "positive", "negative"]


def afina(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout


def train(binary, work, task, method, records):
    data = os.path.join(work, f"{task}.jsonl")
    with open(data, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    config = os.path.join(work, f"{task}.yaml")
    with open(config, "w") as f:
        f.write(f"model: all-minilm-l6-v2\ntask: {task}\nmethod: {method}\ndata: {{train: {data}}}\n"
                f"max_steps: 6\nbatch_size: 4\nlearning_rate: 1e-3\noutput_dir: {work}/{task}\n")
    afina(binary, "train", config)
    return os.path.join(work, task, "adapter" if method == "lora" else "model")


def worst(a, b):
    return float((torch.tensor(a) - torch.tensor(b)).abs().max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--afina", default=".build/release/afina")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="afina-encoder-check-")
    tokenizer = AutoTokenizer.from_pretrained(MINILM)

    adapter = train(args.afina, work, "classification", "lora",
                    [{"text": t, "label": l} for t, l in zip(TEXTS * 4, LABELS * 4)])
    labels = json.load(open(os.path.join(adapter, "afina.json")))["id2label"]
    id2label = {int(k): v for k, v in labels.items()}
    base = AutoModelForSequenceClassification.from_pretrained(MINILM, num_labels=len(id2label), id2label=id2label)
    peft = PeftModel.from_pretrained(base, adapter).eval()
    ours = json.loads(afina(args.afina, "classify", "--model", adapter, "--json", *TEXTS))["predictions"]
    with torch.no_grad():
        probs = torch.softmax(peft(**tokenizer(TEXTS, padding=True, return_tensors="pt")).logits, -1)
    theirs = [(id2label[int(p.argmax())], float(p.max())) for p in probs]
    assert [o["label"] for o in ours] == [t[0] for t in theirs], (ours, theirs)
    gap = worst([o["score"] for o in ours], [t[1] for t in theirs])
    print(f"LoRA classifier in peft: same labels, probabilities within {gap:.2e}")
    assert gap < 1e-5

    merged = os.path.join(work, "merged")
    afina(args.afina, "merge", "all-minilm-l6-v2", adapter, merged)
    model = AutoModelForSequenceClassification.from_pretrained(merged).eval()
    assert model.config.id2label == id2label, model.config.id2label
    with torch.no_grad():
        merged_probs = torch.softmax(model(**tokenizer(TEXTS, padding=True, return_tensors="pt")).logits, -1)
    gap = worst(merged_probs, probs)
    print(f"merged classifier in transformers: probabilities within {gap:.2e} of peft's")
    assert gap < 1e-5

    encoder = train(args.afina, work, "embedding", "full",
                    [{"anchor": t, "positive": t.lower() + "!"} for t in TEXTS * 4])
    ours = json.loads(afina(args.afina, "embed", "--model", encoder, "--json", *TEXTS))["embeddings"]
    theirs = SentenceTransformer(encoder, device="cpu").encode(TEXTS, convert_to_tensor=True)
    gap = worst(ours, theirs)
    print(f"tuned encoder in sentence-transformers: embeddings within {gap:.2e}")
    assert gap < 1e-5
    print("ok")


if __name__ == "__main__":
    main()
