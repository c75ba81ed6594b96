// Builds the GRM judge prompt: a query and n >= 1 responses, in a given display order, as numbered
// blocks, with one of three principle modes (generate / given / none) and an optional hint that
// names the best response (hinted sampling for RFT). Templates are plain text with {placeholders};
// see docs/rewards.md for the list. The output format they ask for is what score_parser reads.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "rewards/rules/voting.h"

namespace spct::rewards {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", ...
  std::string content;
};

// A query is either plain text or a conversation; `messages` non-empty means a conversation.
struct Query {
  std::string text;
  std::vector<ChatMessage> messages;
};

// The query as the judge reads it: the text itself, or one "Role: content" paragraph per message.
std::string render_query(const Query& query);

// The principle mode (core/config.h's enum) by its name, as a command-line option gives it;
// throws spct::Error naming an unknown one. name_of(mode) is the way back.
PrincipleMode parse_principle_mode(const std::string& name);

// One template per (mode, n == 1 or not), and the hint sentences inserted at {hint}.
struct JudgeTemplates {
  std::string generate, given, none;                       // n >= 2
  std::string single_generate, single_given, single_none;  // n == 1: score 0 or 1
  std::string hint;         // n >= 2; placeholder {best}: displayed number of the best response
  std::string single_hint;  // n == 1; placeholder {verdict}: "correct" or "incorrect"
  // One response block (placeholders {number}: displayed 1-based number, {response}: its text) and
  // the text between blocks; together they make {responses}.
  std::string response = "[Response {number}]\n{response}\n[End of Response {number}]";
  std::string response_separator = "\n\n";
};
JudgeTemplates default_templates();

// The defaults with the templates a YAML file sets replaced (keys: generate, given, none,
// single_generate, single_given, single_none, hint, single_hint, response, response_separator;
// each a string). Unknown keys,
// non-strings and unknown placeholders are errors naming the file, line and key.
JudgeTemplates load_templates(const std::string& path);

// Throws spct::Error naming the template and the placeholder if any template uses an unknown one.
void validate_templates(const JudgeTemplates& templates);

// Replaces every {name} (name = letter or '_' then letters, digits, '_') with values.at(name);
// "{{" and "}}" give literal braces; any other brace is copied as is. An unknown name throws
// spct::Error naming it and `what` (the template's name).
std::string render_template(const std::string& text, const std::map<std::string, std::string>& values,
                            const std::string& what);

struct JudgePromptConfig {
  PrincipleMode mode = PrincipleMode::generate;
  JudgeTemplates templates = default_templates();
  std::string principles;  // for mode `given` when an item carries none
};

struct JudgeInput {
  Query query;
  std::vector<std::string> responses;  // in original order
  Permutation order;                   // displayed -> original; empty means as given
  std::string principles;              // mode `given`: overrides config.principles when set
  std::optional<int> hint;             // n >= 2: original index of the best; n == 1: the label
};

// The numbered response blocks, "[Response 1]\n...\n[End of Response 1]" by default, in displayed
// order.
std::string render_responses(const std::vector<std::string>& responses, const Permutation& order,
                             const JudgeTemplates& templates = JudgeTemplates());

// Throws spct::Error if there are no responses, the order is not a permutation, the hint is out
// of range, or mode `given` has no principles.
std::string build_judge_prompt(const JudgeInput& input, const JudgePromptConfig& config);

}  // namespace spct::rewards
