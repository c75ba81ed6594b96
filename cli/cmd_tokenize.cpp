// `spct tokenize`: encodes text (or a chat rendered with the model's template) with an HF
// tokenizer directory and prints the ids, or decodes ids back to text.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/tokenizer.h"

namespace spct::cli {
namespace {

std::string read_input(const po::variables_map& vm, std::string* source) {
  SPCT_CHECK(vm.count("text") + vm.count("file") == 1, "spct tokenize: give exactly one of --text and --file");
  if (vm.count("text")) {
    *source = "--text";
    return vm["text"].as<std::string>();
  }
  *source = vm["file"].as<std::string>();
  std::ifstream in(*source, std::ios::binary);
  SPCT_CHECK(in.good(), *source, ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int32_t> parse_ids(const std::string& text, const std::string& source, const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long id = -1;
    try {
      id = std::stol(word, &used);
    } catch (const std::exception&) {
    }
    SPCT_CHECK(used == word.size() && id >= 0 && id < tokenizer.vocab_size(), source, ": '", word,
               "' is not a token id in [0, ", tokenizer.vocab_size(), ")");
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

int run_tokenize(const std::vector<std::string>& args) {
  po::options_description desc("spct tokenize");
  desc.add_options()("tokenizer", po::value<std::string>()->required(),
                     "HF tokenizer directory (tokenizer.json, tokenizer_config.json)")(
      "text", po::value<std::string>(), "the input")("file", po::value<std::string>(), "read the input from this file")(
      "chat", po::bool_switch(), "the input is a JSON list of {role, content}; render the chat template first")(
      "template", po::value<std::string>()->default_value(""),
      "with --chat: llama3, qwen2, qwen2.5, qwen3, chatml, gemma, gemma2 (default: from tokenizer_config.json)")(
      "no-generation-prompt", po::bool_switch(), "with --chat: do not open an assistant turn")(
      "no-special", po::bool_switch(), "do not add the post-processor's special tokens (BOS)")(
      "verbose", po::bool_switch(), "print one id<TAB>token per line")(
      "decode", po::bool_switch(), "the input is ids (space separated); print their text")(
      "skip-special", po::bool_switch(), "with --decode: leave special tokens out");
  auto vm =
      parse_options("tokenize", "--tokenizer DIR (--text T | --file F) [--chat] [--verbose] [--decode]", desc, args);
  if (!vm) return 0;
  std::string source;
  const std::string input = read_input(*vm, &source);
  auto tokenizer = load_tokenizer((*vm)["tokenizer"].as<std::string>());

  if ((*vm)["decode"].as<bool>()) {
    std::cout << tokenizer->decode(parse_ids(input, source, *tokenizer), (*vm)["skip-special"].as<bool>()) << "\n";
    return 0;
  }
  std::string text = input;
  bool add_special = !(*vm)["no-special"].as<bool>();
  if ((*vm)["chat"].as<bool>()) {
    ChatOptions options;
    options.add_generation_prompt = !(*vm)["no-generation-prompt"].as<bool>();
    text = apply_chat_template(*tokenizer, parse_chat_messages(input, source), options,
                               (*vm)["template"].as<std::string>());
    add_special = false;  // the template writes BOS itself, as HF's apply_chat_template(tokenize=True)
  }
  const std::vector<int32_t> ids = tokenizer->encode(text, add_special);
  if ((*vm)["verbose"].as<bool>()) {
    for (int32_t id : ids) std::cout << id << '\t' << tokenizer->id_to_token(id) << '\n';
    return 0;
  }
  for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
  std::cout << "\n";
  return 0;
}

}  // namespace

SPCT_COMMAND("tokenize", "encode or decode text with an HF tokenizer (tokenizer.json + chat templates)", run_tokenize);

}  // namespace spct::cli
