// Rollout requests and results as JSONL (`spct generate --input/--output`).
// A request line: {"id": any, "prompt": "text" | "prompt_ids": [ints], "n", "temperature",
// "top_p", "top_k", "max_new_tokens", "seed", "stop": "s" | ["s", ...], "stop_token_ids": [ints],
// "chat": bool}; every field but the prompt is optional (defaults from the command line). A
// result line per sample: {"id", "sample", "prompt_tokens", "tokens", "logprobs", "text",
// "finish_reason"}.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "rollout/engine.h"

namespace spct {

struct JsonlRequest {
  nlohmann::json id;  // echoed in the results; the line's request index when absent
  Request request;
  std::string text;  // the "prompt" text (empty with "prompt_ids")
  bool chat = false;
};

// Parses one request line; errors name `where` ("file:line") and the field. `defaults` supplies
// absent sampling fields; a line without "seed" draws from splitmix64(defaults.seed + index).
// `encode` turns (text, chat) into ids; it is called only for "prompt".
JsonlRequest parse_request(const nlohmann::json& line, const std::string& where, const SamplingParams& defaults,
                           int64_t default_n, size_t index,
                           const std::function<std::vector<int32_t>(const std::string&, bool)>& encode);

nlohmann::json result_json(const JsonlRequest& request, int64_t sample, const Generation& g, bool with_text);

}  // namespace spct
