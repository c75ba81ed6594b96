#!/usr/bin/env python3
"""Writes the tokenizer parity fixtures under tests/fixtures/tokenizers/<name>/.

Needs the Python `tokenizers` (0.2x) and `transformers` (5.x) packages; run it where they are
installed (the GPU machine), not on the build machine. For each family it trains a SMALL tokenizer
(vocab ~700) on the multilingual corpus embedded below, with that family's normalizer,
pre-tokenizer, decoder, post-processor and special tokens, saves it as an HF directory
(`tokenizer.json`, `tokenizer_config.json`, the family's real chat template) and writes
`cases.json`: HF ids for the hard strings (with and without special tokens), decode results, and
`apply_chat_template` renderings. The C++ tests (tests/test_tokenizer.cpp) must reproduce them all.

    python3 scripts/make_tokenizer_fixtures.py --out tests/fixtures/tokenizers
"""
import argparse
import json
import os
import random
import sys

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                  r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
QWEN2_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                 r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")

# ---- chat templates, verbatim from the families' tokenizer_config.json ----------------------
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")

QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

# Qwen2.5's template (tool branch included; plain messages take the else branches).
QWEN25_TEMPLATE = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

QWEN3_TEMPLATE = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\\n\\n' }}
    {%- endif %}
    {{- "# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.content is string %}
        {%- set content = message.content %}
    {%- else %}
        {%- set content = '' %}
    {%- endif %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- else %}
            {%- if '</think>' in content %}
                {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
                {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
            {%- endif %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index %}
            {%- if loop.last or (not loop.last and reasoning_content) %}
                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}
            {%- else %}
                {{- '<|im_start|>' + message.role + '\\n' + content }}
            {%- endif %}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\\n' + content }}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content) or (not loop.first) %}
                    {{- '\\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\\n\\n</think>\\n\\n' }}
    {%- endif %}
{%- endif %}"""

GEMMA_TEMPLATE = (
    "{{ bos_token }}\n{%- if messages[0]['role'] == 'system' -%}\n    {%- if messages[0]['content'] is string -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}\n    {%- else -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}\n    {%- endif -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n{%- else -%}\n    {%- set first_user_prefix = \"\" -%}\n"
    "    {%- set loop_messages = messages -%}\n{%- endif -%}\n{%- for message in loop_messages -%}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
    "        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
    "    {%- endif -%}\n    {%- if (message['role'] == 'assistant') -%}\n        {%- set role = \"model\" -%}\n"
    "    {%- else -%}\n        {%- set role = message['role'] -%}\n    {%- endif -%}\n"
    "    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}\n"
    "    {%- if message['content'] is string -%}\n        {{ message['content'] | trim }}\n"
    "    {%- elif message['content'] is iterable -%}\n        {%- for item in message['content'] -%}\n"
    "            {%- if item['type'] == 'image' -%}\n                {{ '<start_of_image>' }}\n"
    "            {%- elif item['type'] == 'text' -%}\n                {{ item['text'] | trim }}\n"
    "            {%- endif -%}\n        {%- endfor -%}\n    {%- else -%}\n"
    "        {{ raise_exception(\"Invalid content type\") }}\n    {%- endif -%}\n    {{ '<end_of_turn>\n' }}\n"
    "{%- endfor -%}\n{%- if add_generation_prompt -%}\n    {{'<start_of_turn>model\n'}}\n{%- endif -%}\n")

# ---- training corpus: a few lines per script, shuffled into ~150 KB -------------------------
CORPUS_LINES = [
    "The quick brown fox jumps over the lazy dog. It's a dog's life, isn't it? We'll see, they'd say.",
    "Tokenizers split text into pieces; models read the pieces as integers and never the raw text.",
    "In 2024 the model was trained on 15,000,000,000,000 tokens at a cost of $123,456.78 per run.",
    "def reward(x):\n    return sum(v * 2 for v in x)  # doubled\n\nif __name__ == '__main__':\n\tprint(reward([1, 2, 3]))",
    "for (int i = 0; i < n; ++i) { total += weights[i] * grads[i]; }",
    "Der schnelle braune Fuchs springt über den faulen Hund. Grüße aus Köln, Straße und Maß.",
    "Le renard brun rapide saute par-dessus le chien paresseux. Ça va? Très bien, merci. Où est l'hôtel?",
    "El rápido zorro marrón salta sobre el perro perezoso. ¿Dónde está la biblioteca? ¡Mañana!",
    "Быстрая коричневая лиса прыгает через ленивую собаку. Привет, как дела? Хорошо, спасибо.",
    "敏捷的棕色狐狸跳过了懒狗。你好，世界！今天天气很好，我们去公园散步吧。机器学习模型需要大量数据。",
    "素早い茶色の狐がのろまな犬を飛び越える。こんにちは、世界！カタカナとひらがなと漢字。",
    "빠른 갈색 여우가 게으른 개를 뛰어넘습니다. 안녕하세요, 세계! 한국어 문장입니다.",
    "الثعلب البني السريع يقفز فوق الكلب الكسول. مرحبا بالعالم.",
    "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है। नमस्ते दुनिया।",
    "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο. Γειά σου κόσμε.",
    "Emoji: 😀 😂 👍 🎉 ❤️ 🚀 and flags 🇺🇸 🇯🇵, families 👨‍👩‍👧 and skin tones 👋🏽.",
    "Numbers 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14159 2.71828 -42 +7 1e-5 0xFF 42%",
    "She said \"hello\" and he replied 'goodbye'. (Parentheses), [brackets], {braces} <angles>.",
    "Mr. O'Neil's cat's toys weren't there; you've been told, I'm sure, they're gone.",
    "   Indented line with    several   spaces\tand\ttabs.\n\n\nThree newlines above.\r\nWindows line.",
    "Math: ∑ x² + √y ≤ ∞, α β γ δ ε, 1/2 ½ ¼, café naïve résumé coöperate.",
]


def make_corpus(seed=1234, n=1500):
    rnd = random.Random(seed)
    words = " ".join(CORPUS_LINES).split(" ")
    lines = list(CORPUS_LINES) * 20
    for _ in range(n):
        k = rnd.randint(3, 20)
        lines.append(" ".join(rnd.choice(words) for _ in range(k)))
    rnd.shuffle(lines)
    return lines


# ---- the hard strings every tokenizer is checked on ------------------------------------------
HARD_STRINGS = [
    "", " ", "  ", "\t", "\n", "\n\n\n", "\r\n", " \n ", "a", "Hello world", " Hello world ", "Hello  world   !",
    "  leading spaces", "trailing spaces   ", "tabs\tand\tnewlines\nmixed \n\t end", "line1\r\nline2\rline3\n",
    "a \n b", "a  \n\n  b", "x   \n  \ny", "\n  \n", "end\n", "  \t  x", "word\u00a0nbsp\u3000ideographic\u2003em\u2028ls",
    "I'm you're he's we'll they'd I've don't", "I'M YOU'RE HE'S WE'LL THEY'D I'VE DON'T", "It'S the dog'S bone",
    "'s 't 're 'S 'T 'Re 'rE", "the 'ſ long s", "quote 'hello' end 'x", "rock'n'roll ''double''",
    "1234567890", "12345678901234567890 digits", "3.14159 2,718,281 1e10 0x1F -7", "year 2024: 100% of 7",
    "٣٤٥ arabic-indic ²³ superscripts ½ ⅓ ① Ⅻ", "a1b22c333d4444",
    "你好，世界！这是一个测试。", "日本語のテキストです。カタカナ ﾊﾝｶｸ", "한국어 텍스트 입니다", "\u1100\u1161\u11a8 jamo",
    "😀👍🏽👨‍👩‍👧‍👦 🇫🇷 ❤️", "emoji at end 🎉", "🎉start", "x\u200dy zero\u200bwidth \ufeffbom",
    "e\u0301 cafe\u0301 \u00c5 A\u030a \u00f1 n\u0303", "Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307",
    "\u0041\u0308\u0301\u0323 reorder \u0071\u0307\u0323", "ﬁ ligature Ⅸ ㎏ ｆｕｌｌ",
    "\\xff\\xfe <0xFF> <0x41> \\u0000 %E4%B8", "\u00ff\u00fe\u0100 \u0120\u010a\u0109 byte-level lookalikes",
    "\x00\x01\x1f\x7f controls", "\ufffd replacement", "\u0085nel \x1c\x1d\x1e\x1f seps",
    "def f(x):\n    return x**2  # comment\n", "if (a && b) { c = d->e; }\n\n\treturn;",
    "Привет мир! Ça va? Grüße aus Köln. مرحبا بالعالم नमस्ते दुनिया Γειά",
    "Hello<|endoftext|>world", "<|im_start|>user\nhi<|im_end|>\n", "<|begin_of_text|>text<|eot_id|>",
    "<start_of_turn>user\nhi<end_of_turn>\n", "<bos><eos>x", "<|im_start", "<|im_start|><|im_start|>",
    " <|im_end|> ", "a<|im_end|>b", "<s> </s> <unk>", " unreachable", "unreachable unreachable",
    "a <mask> b", "x<tool_call>y", "wordtok wordtokx awordtok wordtok.", "<R>   z", "cafe\u0301 caf\u00e9",
    "The quick brown fox jumps over the lazy dog. It's a dog's life, isn't it?",
]

CHATS = [
    ([{"role": "user", "content": "Hello!"}], True),
    ([{"role": "user", "content": "Hello!"}], False),
    ([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}], True),
    ([{"role": "user", "content": "  Hi there \n"}, {"role": "assistant", "content": " Hello, how can I help?  "},
      {"role": "user", "content": "Tell me a joke."}], True),
    ([{"role": "system", "content": "Be kind.\n"}, {"role": "user", "content": "Q1"},
      {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2 你好 😀"},
      {"role": "assistant", "content": "A2"}], False),
    ([{"role": "user", "content": "Think first."},
      {"role": "assistant", "content": "<think>\nreasoning here\n</think>\n\nThe answer is 4."}], False),
]


def ids_of(tok, text, add_special):
    return tok.encode(text, add_special_tokens=add_special).ids


def byte_level_tokenizer(pattern, normalizer):
    tok = Tokenizer(models.BPE())
    if normalizer:
        tok.normalizer = normalizer
    if pattern is None:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(pattern=Regex(pattern), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=700, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(make_corpus(), trainer)
    d = json.loads(tok.to_str())
    # Whole-word vocab entries that merges cannot build: used only when ignore_merges is set.
    for extra in ["\u0120unreachable", "unreachable"]:
        d["model"]["vocab"].setdefault(extra, len(d["model"]["vocab"]))
    return d


def sentencepiece_model():
    """A Gemma-like BPE: '▁' for spaces, <0xNN> byte fallback, <unk>; vocab built by hand."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    tok.pre_tokenizer = pre_tokenizers.Split(pattern="\u2581", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(vocab_size=700, limit_alphabet=150, show_progress=False)
    tok.train_from_iterator(make_corpus(), trainer)
    trained = json.loads(tok.to_str())
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    vocab = {}
    for s in specials + ["<0x%02X>" % b for b in range(256)]:
        vocab[s] = len(vocab)
    for piece, _ in sorted(trained["model"]["vocab"].items(), key=lambda kv: kv[1]):
        vocab.setdefault(piece, len(vocab))
    trained["model"].update({"vocab": vocab, "unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True})
    trained["normalizer"] = None
    trained["pre_tokenizer"] = None
    return trained


def build(spec):
    d = spec["model_json"]()
    d["model"]["ignore_merges"] = spec.get("ignore_merges", False)
    tok = Tokenizer.from_str(json.dumps(d))
    if spec.get("normalizer") is not None:
        tok.normalizer = spec["normalizer"]
    if spec.get("pre_tokenizer") is not None:
        tok.pre_tokenizer = spec["pre_tokenizer"]
    tok.decoder = spec["decoder"]
    tok.add_special_tokens([s if isinstance(s, AddedToken) else AddedToken(s, special=True, normalized=False)
                            for s in spec["specials"]])
    if spec.get("added"):
        tok.add_tokens(spec["added"])
    bos = spec.get("bos")
    if bos:
        template = processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B",
                                                 special_tokens=[(bos, tok.token_to_id(bos))])
        tok.post_processor = (processors.Sequence([processors.ByteLevel(trim_offsets=False), template])
                              if spec.get("byte_level_post") else template)
    elif spec.get("byte_level_post"):
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def save_hf(tok, spec, out_dir):
    from transformers import PreTrainedTokenizerFast
    kw = {k: spec[k] for k in ("bos_token", "eos_token", "pad_token", "unk_token") if spec.get(k)}
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, **kw)
    hf.chat_template = spec["template"]
    hf.save_pretrained(out_dir)
    tj_path = os.path.join(out_dir, "tokenizer.json")
    tj = json.load(open(tj_path, encoding="utf-8"))
    if spec.get("merges_as_strings"):
        tj["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in tj["model"]["merges"]]
    json.dump(tj, open(tj_path, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    cfg_path = os.path.join(out_dir, "tokenizer_config.json")
    cfg = json.load(open(cfg_path, encoding="utf-8"))
    cfg.update(spec.get("config_extra", {}))
    jinja = os.path.join(out_dir, "chat_template.jinja")
    if spec.get("template_in_config", True):
        cfg["chat_template"] = spec["template"]
        if os.path.exists(jinja):
            os.remove(jinja)
    elif not os.path.exists(jinja):
        open(jinja, "w", encoding="utf-8").write(spec["template"])
        cfg.pop("chat_template", None)
    json.dump(cfg, open(cfg_path, "w", encoding="utf-8"), ensure_ascii=False, indent=1)


def render_chats(out_dir, spec, fallback):
    try:
        from transformers import AutoTokenizer
        hf = AutoTokenizer.from_pretrained(out_dir)
    except Exception as e:  # noqa: BLE001 - report and use the in-memory object
        print(f"  AutoTokenizer.from_pretrained failed ({e}); rendering with the in-memory tokenizer")
        hf = fallback
    rendered = []
    for messages, gen in CHATS:
        try:
            text = hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen,
                                          chat_template=spec["template"])
        except Exception as e:  # noqa: BLE001 - a template that raises is recorded as such
            rendered.append({"messages": messages, "add_generation_prompt": gen, "error": str(e)})
            continue
        rendered.append({"messages": messages, "add_generation_prompt": gen, "text": text})
    return rendered, hf


def write_cases(out_dir, spec, tokenizer_dir=None):
    tokenizer_dir = tokenizer_dir or out_dir
    tok = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))
    from transformers import PreTrainedTokenizerFast
    chats, hf = render_chats(tokenizer_dir, spec, PreTrainedTokenizerFast(tokenizer_object=tok))
    for c in chats:
        if "text" in c:
            c["ids"] = ids_of(tok, c["text"], False)
    encode = []
    mismatches = 0
    for s in HARD_STRINGS:
        enc = tok.encode(s, add_special_tokens=True)
        ids = ids_of(tok, s, False)
        try:
            hf_ids = hf.encode(s, add_special_tokens=True)
            mismatches += hf_ids != enc.ids
        except Exception:  # noqa: BLE001
            pass
        encode.append({"text": s, "ids": ids, "ids_special": enc.ids, "tokens": enc.tokens,
                       "decode": tok.decode(enc.ids, skip_special_tokens=False),
                       "decode_skip": tok.decode(enc.ids, skip_special_tokens=True)})
    if mismatches:
        print(f"  note: transformers' encode differs from tokenizers' on {mismatches} strings")
    # Decoding id sequences that cut UTF-8 characters apart, one id at a time and in prefixes.
    decode = []
    for s in ["你好😀", "e\u0301🇫🇷", "<0xE4>"]:
        ids = ids_of(tok, s, False)
        for n in range(1, len(ids) + 1):
            decode.append({"ids": ids[:n], "skip_special": False, "text": tok.decode(ids[:n])})
        for i in ids:
            decode.append({"ids": [i], "skip_special": False, "text": tok.decode([i])})
    special_ids = [tok.token_to_id(s if isinstance(s, str) else s.content) for s in spec["specials"]]
    decode.append({"ids": special_ids + ids_of(tok, "hi", False), "skip_special": True,
                   "text": tok.decode(special_ids + ids_of(tok, "hi", False), skip_special_tokens=True)})
    cases = {
        "name": spec["name"],
        "versions": {"tokenizers": tokenizers.__version__, "transformers": __import__("transformers").__version__},
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "special": {k: tok.token_to_id(spec[k]) if spec.get(k) else None
                    for k in ("bos_token", "eos_token", "pad_token")},
        "template": spec["template_name"],
        "encode": encode, "decode": decode, "chat": chats,
    }
    json.dump(cases, open(os.path.join(out_dir, "cases.json"), "w", encoding="utf-8"), ensure_ascii=False,
              indent=0)


def byte_level_decoder():
    return decoders.ByteLevel()


def specs():
    llama_specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                      "<|eot_id|>"]
    qwen_specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    gemma_specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
    sp_decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    return [
        dict(name="llama3", model_json=lambda: byte_level_tokenizer(LLAMA3_PATTERN, None), ignore_merges=True,
             pre_tokenizer=pre_tokenizers.Sequence([
                 pre_tokenizers.Split(pattern=Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
                 pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]),
             decoder=byte_level_decoder(), specials=llama_specials, bos="<|begin_of_text|>", byte_level_post=True,
             bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", template=LLAMA3_TEMPLATE,
             template_name="llama3", config_extra={"add_bos_token": True, "add_eos_token": False}),
        dict(name="qwen2", model_json=lambda: byte_level_tokenizer(QWEN2_PATTERN, normalizers.NFC()),
             normalizer=normalizers.NFC(),
             pre_tokenizer=pre_tokenizers.Sequence([
                 pre_tokenizers.Split(pattern=Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
                 pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]),
             decoder=byte_level_decoder(), specials=qwen_specials, byte_level_post=True,
             added=[AddedToken("caf\u00e9", special=False, normalized=True)],
             eos_token="<|im_end|>", pad_token="<|endoftext|>", template=QWEN2_TEMPLATE, template_name="qwen2",
             template_in_config=False, config_extra={"add_bos_token": False}),
        dict(name="qwen25", model_json=lambda: byte_level_tokenizer(QWEN2_PATTERN, normalizers.NFC()),
             normalizer=normalizers.NFC(),
             pre_tokenizer=pre_tokenizers.Sequence([
                 pre_tokenizers.Split(pattern=Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
                 pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]),
             decoder=byte_level_decoder(), specials=qwen_specials,
             eos_token="<|im_end|>", pad_token="<|endoftext|>", template=QWEN25_TEMPLATE, template_name="qwen2.5"),
        dict(name="qwen3", model_json=lambda: byte_level_tokenizer(QWEN2_PATTERN, normalizers.NFC()),
             normalizer=normalizers.NFC(),
             pre_tokenizer=pre_tokenizers.Sequence([
                 pre_tokenizers.Split(pattern=Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
                 pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]),
             decoder=byte_level_decoder(), specials=qwen_specials,
             added=[AddedToken("<think>", special=False, normalized=False),
                    AddedToken("</think>", special=False, normalized=False)],
             eos_token="<|im_end|>", pad_token="<|endoftext|>", template=QWEN3_TEMPLATE, template_name="qwen3"),
        dict(name="gpt2", model_json=lambda: byte_level_tokenizer(None, None), merges_as_strings=True,
             pre_tokenizer=pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
             decoder=byte_level_decoder(), specials=["<|endoftext|>", AddedToken("<mask>", special=True, lstrip=True, normalized=False)],
             byte_level_post=True,
             added=[AddedToken("<tool_call>", special=False, normalized=False),
                    AddedToken("wordtok", special=False, single_word=True),
                    AddedToken("<R>", special=False, rstrip=True, normalized=False)],
             bos_token="<|endoftext|>", eos_token="<|endoftext|>", template=QWEN2_TEMPLATE, template_name="qwen2"),
        dict(name="gemma", model_json=sentencepiece_model, normalizer=normalizers.Replace(" ", "\u2581"),
             decoder=sp_decoder, specials=gemma_specials, bos="<bos>",
             bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>",
             template=GEMMA_TEMPLATE, template_name="gemma", config_extra={"add_bos_token": True}),
        dict(name="llama2_sp", model_json=sentencepiece_model,
             normalizer=normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]),
             decoder=decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                        decoders.Strip(" ", 1, 0)]),
             specials=gemma_specials, bos="<bos>", bos_token="<bos>", eos_token="<eos>", unk_token="<unk>",
             template=GEMMA_TEMPLATE, template_name="gemma"),
        dict(name="metaspace_sp", model_json=sentencepiece_model,
             pre_tokenizer=pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False),
             decoder=decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=False),
             specials=gemma_specials, bos="<bos>", bos_token="<bos>", eos_token="<eos>", unk_token="<unk>",
             template=LLAMA3_TEMPLATE, template_name="llama3"),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tests/fixtures/tokenizers")
    ap.add_argument("--only", default="", help="comma-separated fixture names")
    ap.add_argument("--demo", default="", help="instead: write OUT/demo/cases.json for this existing tokenizer "
                    "directory (configs/demo_model, made by scripts/make_demo_tokenizer.py)")
    args = ap.parse_args()
    print("tokenizers", tokenizers.__version__, "transformers", __import__("transformers").__version__)
    if args.demo:
        cfg = json.load(open(os.path.join(args.demo, "tokenizer_config.json"), encoding="utf-8"))
        spec = {"name": "demo", "template": cfg["chat_template"], "template_name": "chatml",
                "specials": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], "bos_token": cfg["bos_token"],
                "eos_token": cfg["eos_token"], "pad_token": cfg["pad_token"]}
        out_dir = os.path.join(args.out, "demo")
        os.makedirs(out_dir, exist_ok=True)
        write_cases(out_dir, spec, tokenizer_dir=args.demo)
        print(f"demo: wrote {out_dir}/cases.json for {args.demo}")
        return
    failed = []
    for spec in specs():
        if args.only and spec["name"] not in args.only.split(","):
            continue
        out_dir = os.path.join(args.out, spec["name"])
        os.makedirs(out_dir, exist_ok=True)
        try:
            tok = build(spec)
            save_hf(tok, spec, out_dir)
            write_cases(out_dir, spec)
            print(f"{spec['name']}: ok ({sorted(os.listdir(out_dir))})")
        except Exception as e:  # noqa: BLE001 - keep going, report at the end
            import traceback
            traceback.print_exc()
            failed.append(spec["name"])
            print(f"{spec['name']}: FAILED: {e}")
    if failed:
        print("failed:", failed)
        sys.exit(1)


if __name__ == "__main__":
    main()
