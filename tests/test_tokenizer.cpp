// Parity with HF `tokenizers` / `transformers`: every fixture under tests/fixtures/tokenizers
// (written by scripts/make_tokenizer_fixtures.py) is loaded and each recorded case reproduced:
// ids with and without special tokens, decodes, streaming decodes, chat renderings. Malformed
// tokenizer.json files must give an spct::Error that names the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

#include "core/error.h"
#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/tokenizer.h"

namespace spct {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kFixtures = std::string(SPCT_SOURCE_DIR) + "/tests/fixtures/tokenizers";
// "demo" is the demo model's own tokenizer (configs/demo_model, scripts/make_demo_tokenizer.py); its
// cases are in the fixtures (make_tokenizer_fixtures.py --demo configs/demo_model).
const std::vector<std::string> kFamilies = {"llama3", "qwen2",     "qwen25",       "qwen3", "gpt2",
                                            "gemma",  "llama2_sp", "metaspace_sp", "demo"};

json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return json::parse(in);
}

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream os;
  for (int32_t id : ids) os << id << ' ';
  return os.str();
}

class TokenizerParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = GetParam() == "demo" ? std::string(SPCT_SOURCE_DIR) + "/configs/demo_model" : kFixtures + "/" + GetParam();
    tokenizer_ = load_tokenizer(dir_);
    cases_ = read_json(kFixtures + "/" + GetParam() + "/cases.json");
  }
  std::string dir_;
  std::unique_ptr<Tokenizer> tokenizer_;
  json cases_;
};

TEST_P(TokenizerParity, VocabularyAndSpecialIds) {
  EXPECT_EQ(tokenizer_->vocab_size(), cases_["vocab_size"].get<int32_t>());
  const json& special = cases_["special"];
  auto expect_id = [&](const char* key, int32_t ours) {
    EXPECT_EQ(ours, special[key].is_null() ? -1 : special[key].get<int32_t>()) << key;
  };
  expect_id("bos_token", tokenizer_->bos_id());
  expect_id("eos_token", tokenizer_->eos_id());
  expect_id("pad_token", tokenizer_->pad_id());
}

TEST_P(TokenizerParity, EncodeMatchesHf) {
  for (const json& c : cases_["encode"]) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(show(tokenizer_->encode(text, false)), show(c["ids"].get<std::vector<int32_t>>())) << "text: " << text;
    EXPECT_EQ(show(tokenizer_->encode(text, true)), show(c["ids_special"].get<std::vector<int32_t>>()))
        << "text (add_special): " << text;
  }
}

// HF reports an lstrip/rstrip added token with the whitespace it absorbed; id_to_token gives its content.
TEST_P(TokenizerParity, TokensMatchHf) {
  for (const json& c : cases_["encode"]) {
    const auto ids = c["ids_special"].get<std::vector<int32_t>>();
    const auto expected = c["tokens"].get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), expected.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      std::string hf = expected[i];
      hf.erase(0, hf.find_first_not_of(' '));
      hf.erase(hf.find_last_not_of(' ') + 1);
      const std::string ours = tokenizer_->id_to_token(ids[i]);
      EXPECT_TRUE(ours == expected[i] || ours == hf) << ours << " vs " << expected[i];
    }
  }
}

TEST_P(TokenizerParity, DecodeMatchesHf) {
  for (const json& c : cases_["encode"]) {
    const auto ids = c["ids_special"].get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer_->decode(ids, false), c["decode"].get<std::string>()) << c["text"].get<std::string>();
    EXPECT_EQ(tokenizer_->decode(ids, true), c["decode_skip"].get<std::string>()) << c["text"].get<std::string>();
  }
  for (const json& c : cases_["decode"]) {
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer_->decode(ids, c["skip_special"].get<bool>()), c["text"].get<std::string>()) << show(ids);
  }
}

// decode(encode(x)) == x wherever HF round-trips x (it does not for every normalizer).
TEST_P(TokenizerParity, RoundTripWhereHfDoes) {
  int checked = 0;
  for (const json& c : cases_["encode"]) {
    const std::string text = c["text"].get<std::string>();
    if (c["decode_skip"].get<std::string>() != text) continue;
    EXPECT_EQ(tokenizer_->decode(tokenizer_->encode(text, true), true), text);
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

TEST_P(TokenizerParity, StreamingDecodeEqualsFullDecode) {
  for (const json& c : cases_["encode"]) {
    for (bool skip : {false, true}) {
      const auto ids = c["ids_special"].get<std::vector<int32_t>>();
      const std::string full = tokenizer_->decode(ids, skip);
      const bool clean = full.find("\xEF\xBF\xBD") == std::string::npos;
      StreamDecoder stream(*tokenizer_, skip);
      std::string text;
      for (int32_t id : ids) {
        std::string piece = stream.step(id);
        if (clean) {
          EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos) << "a chunk cut a character";
        }
        text += piece;
      }
      text += stream.finish();
      EXPECT_EQ(text, full) << c["text"].get<std::string>();
    }
  }
}

// Arbitrary id sequences (byte tokens cut anywhere, specials in between) stream to the full decode.
TEST_P(TokenizerParity, StreamingDecodeOfRandomIds) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> pick(0, tokenizer_->vocab_size() - 1);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<int32_t> ids(1 + trial * 3);
    for (auto& id : ids) id = pick(rng);
    for (bool skip : {false, true}) {
      StreamDecoder stream(*tokenizer_, skip);
      std::string text;
      for (int32_t id : ids) text += stream.step(id);
      text += stream.finish();
      EXPECT_EQ(text, tokenizer_->decode(ids, skip)) << show(ids);
    }
  }
}

TEST_P(TokenizerParity, ChatTemplateMatchesHf) {
  for (const json& c : cases_["chat"]) {
    std::vector<ChatMessage> messages = parse_chat_messages(c["messages"].dump(), "cases.json");
    ChatOptions options;
    options.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    if (c.contains("error")) {
      EXPECT_THROW(apply_chat_template(*tokenizer_, messages, options), Error) << c["messages"].dump();
      continue;
    }
    const std::string text = apply_chat_template(*tokenizer_, messages, options);
    EXPECT_EQ(text, c["text"].get<std::string>()) << c["messages"].dump();
    EXPECT_EQ(show(tokenizer_->encode(text, false)), show(c["ids"].get<std::vector<int32_t>>()));
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TokenizerParity, ::testing::ValuesIn(kFamilies),
                         [](const auto& info) { return info.param; });

// ---- malformed input --------------------------------------------------------------------------

class MalformedTokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("spct_tok_bad_" + std::to_string(::getpid()))).string();
    fs::create_directories(dir_);
    good_ = read_json(kFixtures + "/llama3/tokenizer.json");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(dir_ + "/tokenizer.json") << text; }
  // Expects load_tokenizer to throw spct::Error whose message names tokenizer.json and `needle`.
  void expect_error(const std::string& needle) {
    try {
      load_tokenizer(dir_);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(dir_ + "/tokenizer.json"), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  }
  std::string dir_;
  json good_;
};

TEST_F(MalformedTokenizer, MissingFile) { expect_error("cannot read"); }

TEST_F(MalformedTokenizer, BadJson) {
  write("{\"model\": {\"type\": \"BPE\", ");
  expect_error("not valid JSON");
}

TEST_F(MalformedTokenizer, MissingModel) {
  good_.erase("model");
  write(good_.dump());
  expect_error("no \"model\"");
}

TEST_F(MalformedTokenizer, UnknownModelType) {
  good_["model"]["type"] = "Unigram";
  write(good_.dump());
  expect_error("unsupported model type 'Unigram'");
}

TEST_F(MalformedTokenizer, MergeOutsideVocabulary) {
  good_["model"]["merges"][3] = json::array({"Ġnot", "invocab"});
  write(good_.dump());
  expect_error("model.merges[3]");
}

TEST_F(MalformedTokenizer, MergeNotAPair) {
  good_["model"]["merges"][5] = "a b c";
  write(good_.dump());
  expect_error("model.merges[5]");
}

TEST_F(MalformedTokenizer, UnknownPreTokenizerPattern) {
  good_["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+|\\s+";
  write(good_.dump());
  expect_error("unsupported pre-tokenizer Split pattern");
}

TEST_F(MalformedTokenizer, WrongFieldType) {
  good_["model"]["vocab"] = json::array({1, 2});
  write(good_.dump());
  expect_error("model.vocab");
}

TEST_F(MalformedTokenizer, AddedTokenWithoutId) {
  good_["added_tokens"][0].erase("id");
  write(good_.dump());
  expect_error("unexpected structure");
}

// ---- chat template selection ---------------------------------------------------------------------

TEST(ChatTemplate, UnknownTemplateIsAnError) {
  EXPECT_THROW(detect_chat_format("{{ messages }}", "x"), Error);
  EXPECT_THROW(chat_format_from_name("vicuna"), Error);
}

TEST(ChatTemplate, GemmaRejectsNonAlternatingRoles) {
  std::vector<ChatMessage> m = {{"user", "a", std::nullopt}, {"user", "b", std::nullopt}};
  EXPECT_THROW(render_chat(ChatFormat::gemma, m, {}, "<bos>"), Error);
}

TEST(ChatTemplate, Qwen3EnableThinkingFalse) {
  std::vector<ChatMessage> m = {{"user", "hi", std::nullopt}};
  ChatOptions o;
  o.enable_thinking = false;
  EXPECT_EQ(render_chat(ChatFormat::qwen3, m, o, ""),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

}  // namespace
}  // namespace spct
