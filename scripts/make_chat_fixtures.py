"""Chat-template fixtures: real Hugging Face templates rendered by transformers' own Jinja
environment (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
raise_exception, strftime_now, its tojson), plus small templates exercising single features.

Run: python3 scripts/make_chat_fixtures.py   (pinned stack: scripts/requirements.txt)
Writes Tests/Fixtures/chat/models.json and Tests/Fixtures/chat/features.json.

SmolLM2's and Qwen2.5-Coder's templates are read from the pulled GGUF files
(`afina pull smollm2-135m-instruct`, `afina pull qwen2.5-coder-0.5b-instruct`); the others
are the published templates of those models, written out below.
"""
import glob, json, os

import jinja2, transformers
from gguf import GGUFReader
from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "chat")
CACHE = os.path.join(os.environ.get("AFINA_CACHE", os.path.expanduser("~/.cache/afina")), "models")


def gguf_template(pattern):
    paths = sorted(glob.glob(os.path.join(CACHE, pattern)))
    if not paths:
        raise SystemExit(f"missing {pattern} under {CACHE}: pull the model first")
    return GGUFReader(paths[0]).fields["tokenizer.chat_template"].contents(), os.path.basename(paths[0])


# meta-llama/Meta-Llama-3-8B-Instruct
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)

# meta-llama/Llama-3.2-1B-Instruct (tools, tojson(indent=4), strftime_now, date_string)
LLAMA32 = """{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\\n\\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\\n\\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\\n\\n" }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\\n\\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\\n\\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
"""

# mistralai/Mistral-7B-Instruct-v0.1
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)

# mistralai/Mistral-7B-Instruct-v0.3 (system folded into the last user turn, tools, namespace)
MISTRAL_V3 = """{%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}

{#- This block checks for alternating user/assistant messages, skipping tool calling messages #}
{%- set ns = namespace() %}
{%- set ns.index = 0 %}
{%- for message in loop_messages %}
    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
            {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {%- for tool in tools %}
                {%- set tool = tool.function %}
                {{- '{"type": "function", "function": {' }}
                {%- for key, val in tool.items() if key != "return" %}
                    {%- if val is string %}
                        {{- '"' + key + '": "' + val + '"' }}
                    {%- else %}
                        {{- '"' + key + '": ' + val|tojson }}
                    {%- endif %}
                    {%- if not loop.last %}
                        {{- ", " }}
                    {%- endif %}
                {%- endfor %}
                {{- "}}" }}
                {%- if not loop.last %}
                    {{- ", " }}
                {%- else %}
                    {{- "]" }}
                {%- endif %}
            {%- endfor %}
            {{- "[/AVAILABLE_TOOLS]" }}
            {%- endif %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message.tool_calls is defined and message.tool_calls is not none %}
        {{- "[TOOL_CALLS] [" }}
        {%- for tool_call in message.tool_calls %}
            {%- set out = tool_call.function|tojson %}
            {{- out[:-1] }}
            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}
                {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
            {%- endif %}
            {{- ', "id": "' + tool_call.id + '"}' }}
            {%- if not loop.last %}
                {{- ", " }}
            {%- else %}
                {{- "]" + eos_token }}
            {%- endif %}
        {%- endfor %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- elif message["role"] == "tool_results" or message["role"] == "tool" %}
        {%- if message.content is defined and message.content.content is defined %}
            {%- set content = message.content.content %}
        {%- else %}
            {%- set content = message.content %}
        {%- endif %}
        {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}
        {%- if not message.tool_call_id is defined or message.tool_call_id|length != 9 %}
            {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
        {%- endif %}
        {{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
"""

# HuggingFaceH4/zephyr-7b-beta (newlines inside string literals, trim_blocks between tags)
ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""

# google/gemma-7b-it
GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"
)


# google/gemma-3-270m-it (as the other Gemma 3 instruction-tuned models): the system turn is
# folded into the first user turn; content may be a list of typed parts.
GEMMA3 = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\n'}}
{%- endif -%}
"""

def user(text): return {"role": "user", "content": text}
def assistant(text): return {"role": "assistant", "content": text}
def system(text): return {"role": "system", "content": text}


TRICKY = "  Line one\nline \"two\" with 'quotes'\n\ttabbed — ünïcödé 日本語 😀 {{ not jinja }} {% neither %}  "
CONVERSATIONS = {
    "system_user": [system("You are a terse assistant."), user("What is 2+2?")],
    "user_only": [user("Hello!")],
    "multi_turn": [system("Be brief."), user("Hi"), assistant("Hello! How can I help?"), user("Tell me a joke.")],
    "multi_turn_no_system": [user("Hi"), assistant("Hello."), user("Bye")],
    "ends_with_assistant": [user("Ping"), assistant("Pong")],
    "tricky_content": [system(" sys with spaces \n"), user(TRICKY), assistant("\nSure:\n```\ncode\n```\n")],
    "empty_content": [user("")],
}

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_current_weather",
    "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]}}}
TIME_TOOL = {"type": "function", "function": {
    "name": "get_time", "description": "Current time (ISO 8601) in a time zone — \"UTC\" by default",
    "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": []}}}
TOOLS = [WEATHER_TOOL, TIME_TOOL]
TOOL_CALL_TURNS = [
    user("What's the weather in Paris?"),
    {"role": "assistant", "content": "", "tool_calls": [{"id": "call12345", "type": "function", "function": {
        "name": "get_current_weather", "arguments": {"location": "Paris, France", "unit": "celsius"}}}]},
    {"role": "tool", "tool_call_id": "call12345", "name": "get_current_weather", "content": "{\"temperature\": 22.5, \"sky\": \"clear\"}"},
]
QWEN_TOOL_TURNS = [
    system("You are a coding assistant."),
    *TOOL_CALL_TURNS[:1],
    {"role": "assistant", "content": "Let me check.", "tool_calls": [
        {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": "Paris, France"}}},
        {"type": "function", "function": {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}}]},
    {"role": "tool", "content": "22.5 C"},
    {"role": "tool", "content": "2024-07-26T10:00:00+02:00"},
    assistant("It is 22.5 °C in Paris at 10:00."),
]


def model_cases():
    smollm2, smollm2_file = gguf_template("smollm2-135m-instruct/*.gguf")
    qwen, qwen_file = gguf_template("qwen2.5-coder-0.5b-instruct/*.gguf")
    templates = {
        "smollm2": {"source": smollm2, "origin": f"GGUF {smollm2_file}, tokenizer.chat_template"},
        "qwen2.5": {"source": qwen, "origin": f"GGUF {qwen_file}, tokenizer.chat_template"},
        "llama3": {"source": LLAMA3, "origin": "meta-llama/Meta-Llama-3-8B-Instruct"},
        "llama3.2": {"source": LLAMA32, "origin": "meta-llama/Llama-3.2-1B-Instruct"},
        "mistral": {"source": MISTRAL, "origin": "mistralai/Mistral-7B-Instruct-v0.1"},
        "mistral-v0.3": {"source": MISTRAL_V3, "origin": "mistralai/Mistral-7B-Instruct-v0.3"},
        "zephyr": {"source": ZEPHYR, "origin": "HuggingFaceH4/zephyr-7b-beta"},
        "gemma": {"source": GEMMA, "origin": "google/gemma-7b-it"},
        "gemma3": {"source": GEMMA3, "origin": "google/gemma-3-270m-it"},
    }
    special = {
        "smollm2": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
        "qwen2.5": {"eos_token": "<|im_end|>"},
        "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
        # A fixed date keeps the output independent of the day the fixture is made.
        "llama3.2": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "date_string": "26 Jul 2024"},
        "mistral": {"bos_token": "<s>", "eos_token": "</s>"},
        "mistral-v0.3": {"bos_token": "<s>", "eos_token": "</s>"},
        "zephyr": {"bos_token": "<s>", "eos_token": "</s>"},
        "gemma": {"bos_token": "<bos>", "eos_token": "<eos>"},
        "gemma3": {"bos_token": "<bos>", "eos_token": "<eos>"},
    }
    cases = []

    def add(template, name, messages, generation_prompt, tools=None):
        case = {"template": template, "name": name, "messages": messages,
                "add_generation_prompt": generation_prompt, "tools": tools, "kwargs": special[template]}
        try:
            rendered, _ = render_jinja_template([messages], tools=tools, chat_template=templates[template]["source"],
                                                add_generation_prompt=generation_prompt, **special[template])
            case["expected"] = rendered[0]
        except jinja2.exceptions.TemplateError as error:
            case["error"] = str(error)
        cases.append(case)

    for template in templates:
        for name, messages in CONVERSATIONS.items():
            for generation_prompt in (True, False):
                add(template, name, messages, generation_prompt)
    add("mistral", "wrong_role_order", [user("a"), user("b")], True)
    add("gemma3", "wrong_role_order", [system("s"), assistant("a"), user("b")], True)
    add("gemma3", "content_parts", [{"role": "system", "content": [{"type": "text", "text": " Be brief. "}]},
                                    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": " What is this? "}]}], True)
    add("mistral-v0.3", "wrong_role_order", [assistant("a"), user("b")], True)
    add("qwen2.5", "tools_definition", [system("Answer with tools."), user("Weather in Paris?")], True, TOOLS)
    add("qwen2.5", "tools_default_system", [user("Weather in Paris?")], True, TOOLS)
    add("qwen2.5", "tools_round_trip", QWEN_TOOL_TURNS, True, TOOLS)
    add("qwen2.5", "tool_calls_without_tools", QWEN_TOOL_TURNS, False)
    add("llama3.2", "tools_round_trip", [system("Use tools.")] + TOOL_CALL_TURNS, True, TOOLS)
    add("llama3.2", "tools_without_user", [system("Use tools.")], True, TOOLS)
    add("mistral-v0.3", "tools_round_trip", [system("Use tools.")] + TOOL_CALL_TURNS + [assistant("22.5 C and clear.")], False, TOOLS)
    return templates, cases


# Small templates run with one shared context, each exercising a Jinja feature.
FEATURE_CONTEXT = {
    "messages": [system("Be nice."), user(" Hi \"there\"\n'x' é 😀 "), assistant("Hello!")],
    "d": {"b": 2, "a": 1, "items": [1, 2]}, "n": None, "s": "Hello World", "l": [3, 1, 2], "f": 1.5, "t": True,
    "tools": [WEATHER_TOOL],
}
FEATURES = {
    # whitespace control, trim_blocks, lstrip_blocks, comments, raw, newline handling
    "lstrip_and_trim_blocks": "a\n  {% if true %}\n  b\n  {% endif %}\nc",
    "minus_strips_newlines": "a\n  {%- if true %}\n  b\n  {% endif -%}\nc",
    "lstrip_only_at_line_start": "a  {% if true %}b{% endif %}  c",
    "lstrip_at_template_start": "  {% if true %}x{% endif %}",
    "comment_is_lstripped_and_trimmed": "x\n\t {# comment #}\ny",
    "comment_with_minus": "x {#- comment -#} y",
    "plus_disables_lstrip": "x\n  {%+ if true %}y{% endif %}",
    "plus_disables_trim": "x\n  {% if true +%}\ny{% endif %}",
    "variables_are_not_lstripped": "a\n  {{ 'v' }}\n  b",
    "variable_minus_on_both_sides": "a\n  {{- 'v' -}}\n  b",
    "raw_block": "{% raw %}{{ x }}{% endraw %}",
    "raw_block_whitespace": "a\n  {% raw %}\n{{ x }}\n  {% endraw %}\nb",
    "raw_block_minus": "a\n  {%- raw -%}\n{{ x }}\n  {%- endraw -%}\nb",
    "crlf_normalized": "line1\r\nline2\r\n{% if true %}\r\nx\r\n{% endif %}\r\n",
    "one_trailing_newline_dropped": "trailing\n\n",
    "loop_over_lines": "{% for m in messages %}\n  {{ m.role }}\n{% endfor %}\n",
    "indented_minus_template": "{%- for m in messages %}\n    {%- if m.role == 'user' %}\n        {{- m.content }}\n    {%- endif %}\n{%- endfor %}",
    "minus_eats_all_whitespace": "a{%- if true -%}  \n  b  \n  {%- endif -%}c",
    "braces_in_strings_and_dicts": "{{ '{{' }} {{ '}}' }} {{ {'a': {'b': 1}} }} {{ {'a': {'b': 1}}['a'] }}",
    # expressions
    "arithmetic": "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ 7.5 // 2 }} {{ 1 / 4 }} {{ -2 ** 2 }}",
    "comparisons": "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ none == none }}",
    "concat_prints_python_str": "{{ 'a' ~ 1 ~ none ~ true ~ 1.0 ~ [1, 'x'] ~ {'k': 'v'} ~ undefined_thing }}",
    "repetition_and_addition": "{{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 'x' + 'y' }}",
    "indexing_and_slicing": "{{ 'abc'[1] }} {{ 'abc'[-1] }} {{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[::2] }} {{ l[1:] }} {{ l[:-1] }} {{ l[-2:] }} {{ l[5:] }} {{ l[::-1] }}",
    "attribute_versus_item": "{{ d.a }} {{ d['b'] }} {{ d['items'] }} {{ d.zzz }} {{ d.get('a') }} {{ d.get('zz', 5) }} {{ d.get('zz') }}",
    "dict_methods": "{{ d.values() | list }} {{ d.keys() | list }} {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "messages_access": "{{ messages[0].role }} {{ messages[0]['content'] }} {{ messages[-1].content }} {{ messages | length }} {{ messages[1:] | length }} {{ messages.0.role }} {{ (messages | last).role }}",
    "literals": "{{ 'adjacent' 'strings' }} {{ \"dq 'single'\" }} {{ 'sq \\'esc\\'' }} {{ 'tab\\there' }} {{ '\\x41\\u00e9\\U0001F600' }} {{ 'unknown \\d escape' }} {{ true }} {{ True }} {{ none }} {{ None }} {{ false }}",
    "numbers": "{{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1e3 }} {{ 1.5e-7 }} {{ 123456789012345678 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e22 }} {{ 2.0 ** 70 }} {{ 100.0 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }}",
    "python_repr": "{{ ['a', \"b'c\", 'd\"e', 'f\\'g\"h', 'n\\nl', 'é', '\\x00'] }} {{ {'k': none, 'j': [true, 1.0]} }}",
    "membership_and_logic": "{{ 'a' in 'cat' }} {{ 'z' not in 'cat' }} {{ 1 in l }} {{ 'a' in d }} {{ 'x' in u }} {{ not true }} {{ not none }} {{ true and 'x' }} {{ 0 or 'y' }} {{ '' or [] }} {{ none and 1 }}",
    "conditional_expression": "{{ 'yes' if t else 'no' }} {{ 'yes' if n else 'no' }} {{ 'x' if false }}| {{ 'x' if 1 > 2 else 'y' if 2 > 1 else 'z' }}",
    "unary": "{{ -f }} {{ +f }} {{ -(1) }} {{ - 1 | abs }} {{ not 1 == 2 }}",
    # statements
    "for_over_dict_and_string": "{% for k in d %}{{ k }},{% endfor %} {% for c in 'héllo' %}{{ c }}.{% endfor %}",
    "for_with_filter": "{% for x in l if x > 1 %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% endfor %}",
    "loop_variables": "{% for x in l %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.cycle('a','b') }}{{ loop.previtem }}|{{ loop.nextitem }} {% endfor %}",
    "for_else": "{% for x in [] %}a{% else %}empty{% endfor %}",
    "break_and_continue": "{% for x in l %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %} {% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
    "nested_loops": "{% for a in [[1, 2], [3, 4]] %}{% for b in a %}{{ loop.index }}{{ b }}{% endfor %};{{ loop.index }}{% endfor %}",
    "tuple_unpacking": "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %} {% set x, y = 1, 2 %}{{ x }}{{ y }}",
    "set_in_loop_does_not_leak": "{% set x = 1 %}{% for i in l %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}",
    "namespace": "{% set ns = namespace(x=0, y='a') %}{% for i in l %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}{{ ns.y }}",
    "set_in_if_is_visible": "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% set msgs = messages[1:] %}{% else %}{% set msgs = messages %}{% endif %}{{ sys }}|{{ msgs | length }}",
    "set_block": "{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}] {% set y | upper %}block{% endset %}[{{ y }}]",
    # Jinja decides scoping when compiling: a name a frame assigns before reading it starts undefined
    "frame_owned_name_starts_undefined": "{% for i in [1] %}[{{ s }}]{% endfor %}{% set s = 'local' %}{{ s }}",
    "macro_reads_owned_name_before_set": "{% macro m() %}[{{ s }}]{% endmacro %}{{ m() }}{% set s = 'late' %}{{ m() }}",
    "read_before_set_sees_context": "{{ s }}{% set s = 'x' %}{{ s }}",
    "set_in_branch_sees_context": "{% for i in [1] %}[{{ s }}]{% endfor %}{% if true %}{% set s = 'b' %}{% endif %}{{ s }}",
    "loop_frame_resets_each_iteration": "{% for i in [1, 2] %}{% for j in [1] %}[{{ y }}]{% endfor %}{% set y = i %}{% endfor %}",
    "for_else_has_own_scope": "{% for x in [] %}{% else %}{% set t = 1 %}{{ t }}{% endfor %}{{ t }}",
    "if_elif_else": "{% if 1 %}a{% elif 2 %}b{% else %}c{% endif %}{% if 0 %}a{% elif 2 %}b{% else %}c{% endif %}{% if 0 %}a{% elif 0 %}b{% else %}c{% endif %}",
    "macro_arguments": "{% macro m(a, b='B', c=none) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 2) }} {{ m(1, c=3) }} {{ m(a='z') }}",
    "macro_sees_later_globals": "{% macro m() %}{{ x }}{% endmacro %}{% set x = 6 %}{{ m() }}",
    "call_block": "{% macro wrap(t) %}<{{ t }}>{{ caller() }}</{{ t }}>{% endmacro %}{% call wrap('b') %}inner{% endcall %}",
    "call_block_with_arguments": "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1,2]) %}[{{ x }}]{% endcall %}",
    "filter_block": "{% filter upper %}hello {{ 'x' }}{% endfilter %}",
    "with_block": "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]",
    "generation_block": "{% generation %}gen{% endgeneration %}",
    # tests
    "tests": "{{ n is none }} {{ n is not none }} {{ u is defined }} {{ u is undefined }} {{ s is string }} {{ d is mapping }} {{ l is iterable }} {{ s is sequence }} {{ f is number }} {{ t is boolean }} {{ t is true }} {{ t is false }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 1 is integer }} {{ 1.0 is float }} {{ t is number }} {{ t is integer }}",
    "more_tests": "{{ u is iterable }} {{ u is sequence }} {{ n is iterable }} {{ n is sameas none }} {{ 'a' is lower }} {{ 'A' is upper }} {{ 'x' is in 'xyz' }} {{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ 2 is ge 2 }} {{ 1 is lt 2 }} {{ 1 is le 0 }} {{ 1 is ne 2 }} {{ 10 is divisibleby(3) }}",
    "equality": "{{ [1, 2] == [1, 2] }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ messages[0] == messages[0] }} {{ 1 != 1.0 }}",
    # filters
    "string_filters": "{{ s | upper }} {{ s | lower }} {{ 'hello wORLD-foo(bar' | title }} {{ 'hELLO world' | capitalize }} {{ '  x  ' | trim }}| {{ 'xxhixx' | trim('x') }} {{ 'a-b-c' | replace('-', '+') }} {{ 'aaa' | replace('a', 'b', 2) }}",
    "sequence_filters": "{{ l | length }} {{ s | length }} {{ d | count }} {{ u | length }} {{ l | first }} {{ l | last }} {{ s | first }} {{ l | join(', ') }} {{ l | join }} {{ l | sort }} {{ l | sort(reverse=true) }}",
    "default_filter": "{{ u | default('dflt') }} {{ n | default('dflt') }} {{ '' | default('dflt', true) }} {{ u | d('x') }}",
    "conversion_filters": "{{ 1 | string }} {{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ '3' | float }} {{ 2 | float }} {{ 'ab' | list }} {{ d | list }} {{ -3 | abs }}",
    # (pairs are iterated, not printed: Python prints tuples, this library prints lists)
    "dict_filters": "{% for k, v in d | items %}{{ k }}={{ v }},{% endfor %} {% for k, v in d | dictsort %}{{ k }},{% endfor %} {% for k, v in {'B': 1, 'a': 2} | dictsort %}{{ k }},{% endfor %} {% for k, v in {'B': 1, 'a': 2} | dictsort(true) %}{{ k }},{% endfor %} {% for k, v in {'x': 2, 'y': 1, 'z': 3} | dictsort(by='value', reverse=true) %}{{ k }}{{ v }},{% endfor %}",
    "map_filter": "{{ messages | map(attribute='role') | list }} {{ messages | map(attribute='role') | join(',') }} {{ ['a','b'] | map('upper') | list }} {{ messages | map(attribute='missing', default='D') | list }} {{ [{'a': {'b': 1}}] | map(attribute='a.b') | list }} {{ [[1, 2], [3, 4]] | map(attribute='1') | list }}",
    "select_filters": "{{ messages | selectattr('role', 'equalto', 'user') | list | length }} {{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='content') | list }} {{ [1, 0, 2, none] | select | list }} {{ [1,2,3,4] | select('odd') | list }} {{ [1,2,3,4] | reject('odd') | list }} {{ [1, 2, 3] | select('gt', 1) | list }}",
    "aggregate_filters": "{{ l | unique | list }} {{ ['a', 'A'] | unique | list }} {{ l | min }} {{ l | max }} {{ l | sum }} {{ l | reverse | list }} {{ 'abc' | reverse }} {{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 3.1 | round(0, 'ceil') }} {{ ['b', 'A', 'a'] | sort }} {{ [{'n': 'b'}, {'n': 'A'}] | sort(attribute='n') | map(attribute='n') | join }}",
    "indent_filter": "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'x' | indent('> ') }}",
    "tojson_filter": "{{ tools | tojson }}",
    "tojson_indent": "{{ tools[0] | tojson(indent=4) }} {{ {'a': [1, 2.0, none, true, 'é\\u0001\\t'], 'b': {}} | tojson(indent=2) }} {{ [] | tojson(indent=2) }}",
    "tojson_options": "{{ 'é' | tojson(true) }} {{ d | tojson(sort_keys=true) }} {{ d | tojson(separators=(',', ':')) }} {{ messages[1].content | tojson }}",
    "escape_and_safe": "{{ '<a> & \"b\"' | e }} {{ '<x>' | safe }} {{ '<x>' | escape }}",
    # methods and globals
    "string_methods": "{{ ' a b  c '.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ '  x '.strip() }}|{{ '  x '.lstrip() }}|{{ '  x '.rstrip() }}|{{ 'xyx'.strip('x') }}",
    "more_string_methods": "{{ s.startswith('He') }} {{ s.endswith('ld') }} {{ s.startswith(('x', 'H')) }} {{ s.upper() }} {{ s.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ s.replace('l', 'L') }} {{ s.find('o') }} {{ s.rfind('o') }} {{ s.count('l') }} {{ '-'.join(['a','b']) }}",
    "format_and_splitlines": "{{ '{} and {}'.format(1, 'x') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{name}!'.format(name='N') }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ '123'.isdigit() }} {{ 'ab'.isalpha() }}",
    "unicode_strings": "{{ 'é😀'|length }} {{ 'é😀'[1] }} {{ 'ß'|upper }} {{ messages[1].content | trim }}",
    "range_dict_namespace": "{{ range(3) | list }} {{ range(1, 4) | list }} {{ range(10, 0, -3) | list }} {% for i in range(2) %}{{ i }}{% endfor %} {{ dict(a=1, b=2) }} {{ namespace(a=1).a }}",
    "strftime_now_year": "{{ strftime_now('%Y') | length }}",
    # unknown filters and tests wait until they run inside `if` and conditional expressions
    "unknown_filter_in_untaken_branch": "{% if false %}{{ x | nosuchfilter }}{% endif %}ok",
    "unknown_test_in_conditional": "{{ 'a' if true else (x is nosuchtest) }}",
    "error_unknown_filter_in_taken_branch": "{% if true %}{{ 1 | nosuchfilter }}{% endif %}",
    # errors: the message must match Jinja's
    "error_undefined_attribute": "{{ x.y }}",
    "error_missing_key_then_attribute": "{{ d.zzz.b }}",
    "error_type_mismatch": "{{ 1 + 'a' }}",
    "error_raise_exception": "{{ raise_exception('boom: ' ~ messages | length) }}",
    "error_undefined_arithmetic": "{{ u + 1 }}",
    "error_iterate_none": "{% for x in n %}{% endfor %}",
    "error_call_undefined": "{{ nope() }}",
    "error_division_by_zero": "{{ 1 / 0 }}",
    "error_tojson_undefined": "{{ u | tojson }}",
    "error_unpack": "{% for a, b in [[1, 2, 3]] %}{% endfor %}",
    "error_compare": "{{ 1 < 'a' }}",
}


def feature_cases():
    cases = []
    for name, template in FEATURES.items():
        case = {"name": name, "template": template}
        try:
            case["expected"] = _compile_jinja_template(template).render(**FEATURE_CONTEXT)
        except Exception as error:  # Jinja's own error types, TypeError, ZeroDivisionError...
            case["error"] = str(error)
        cases.append(case)
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    stack = f"transformers {transformers.__version__}, Jinja2 {jinja2.__version__}"
    templates, cases = model_cases()
    with open(os.path.join(OUT, "models.json"), "w") as f:
        json.dump({"generator": "scripts/make_chat_fixtures.py", "stack": stack,
                   "templates": templates, "cases": cases}, f, indent=1, ensure_ascii=False)
    with open(os.path.join(OUT, "features.json"), "w") as f:
        json.dump({"generator": "scripts/make_chat_fixtures.py", "stack": stack,
                   "context": FEATURE_CONTEXT, "cases": feature_cases()}, f, indent=1, ensure_ascii=False)
    print(f"{len(cases)} model cases ({sum('error' in c for c in cases)} errors), {len(FEATURES)} feature cases")


if __name__ == "__main__":
    main()
