"""AfinaData fixtures: SmolLM2 conversations tokenized by transformers with the assistant-token
mask it derives itself, and text records tokenized with EOS appended.
(Tests/Fixtures/data/codespell_sample.txt is not written here: it is lines picked from
codespell 2.4.1's codespell_lib/data/dictionary.txt to cover each kind of line.)

Run: python3 scripts/make_data_fixtures.py   (pinned stack: scripts/requirements.txt)
Reads Tests/Fixtures/tokenizer/smollm2 and the SmolLM2 template in Tests/Fixtures/chat/models.json;
writes Tests/Fixtures/data/smollm2_examples.json.

The oracle for the answer-only mask is transformers' `return_assistant_tokens_mask`, which needs
`{% generation %}` markers: the SmolLM2 template is rewritten with the assistant's content and
its `<|im_end|>` inside them. That rewrite is checked to render the same text as the original.
"""
import json, os

import transformers
from transformers import PreTrainedTokenizerFast

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")
OUT = os.path.join(ROOT, "data", "smollm2_examples.json")

TEMPLATE = json.load(open(os.path.join(ROOT, "chat", "models.json")))["templates"]["smollm2"]["source"]
MARKED = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n'}}"
    "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}{{ '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

CONVERSATIONS = {
    "two_turns": [
        {"role": "user", "content": "Correct the spelling of this word: recieve"},
        {"role": "assistant", "content": "receive"},
        {"role": "user", "content": "And this one: teh"},
        {"role": "assistant", "content": "the"},
    ],
    "system_and_unicode": [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "Capital of France? Répondez vite."},
        {"role": "assistant", "content": " Paris — of course.\n"},
    ],
}
TEXTS = ["The quick brown fox jumps over the lazy dog.", "Ünïcode and  two spaces\nnew line"]


def main():
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(ROOT, "tokenizer", "smollm2", "tokenizer.json"),
                                  bos_token="<|im_start|>", eos_token="<|im_end|>")
    examples = {}
    for name, messages in CONVERSATIONS.items():
        text = tok.apply_chat_template(messages, chat_template=TEMPLATE, tokenize=False)
        marked = tok.apply_chat_template(messages, chat_template=MARKED, tokenize=False)
        assert text == marked, (text, marked)
        out = tok.apply_chat_template(messages, chat_template=MARKED, tokenize=True, return_dict=True,
                                      return_assistant_tokens_mask=True)
        ids = list(out["input_ids"])
        assert ids == tok(text, add_special_tokens=False)["input_ids"]
        prompt = tok.apply_chat_template(messages[:1 + (messages[0]["role"] == "system")], chat_template=TEMPLATE,
                                         tokenize=False, add_generation_prompt=True)
        examples[name] = {"messages": messages, "ids": ids, "targets": [bool(m) for m in out["assistant_masks"]],
                          "first_prompt_ids": tok(prompt, add_special_tokens=False)["input_ids"]}
    texts = [{"text": t, "ids": tok(t)["input_ids"] + [tok.eos_token_id]} for t in TEXTS]
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/make_data_fixtures.py", "stack": f"transformers {transformers.__version__}",
                   "template": TEMPLATE, "conversations": examples, "texts": texts}, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
