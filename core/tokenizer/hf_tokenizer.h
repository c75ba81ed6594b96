// A tokenizer.json model: added tokens, normalizer, pre-tokenizer, BPE, post-processor and
// decoder, run in HF `tokenizers` order so ids match it exactly.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/tokenizer/added_vocab.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/decoder.h"
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/pre_tokenizer.h"
#include "core/tokenizer/tokenizer.h"

namespace spct::tok {

// What tokenizer_config.json (and chat_template.jinja) add to tokenizer.json.
struct TokenizerConfig {
  std::string bos_token, eos_token, pad_token;
  std::string chat_template;
  int add_bos = -1, add_eos = -1;  // -1: not given
};

class HfTokenizer : public Tokenizer {
 public:
  // `tokenizer_json` is the parsed tokenizer.json; `source` (its path) prefixes every error.
  HfTokenizer(const nlohmann::json& tokenizer_json, TokenizerConfig config, const std::string& source);

  std::vector<int32_t> encode(std::string_view text, bool add_special = true) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const override;
  int32_t vocab_size() const override { return vocab_size_; }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  int32_t pad_id() const override { return pad_id_; }
  bool is_special(int32_t id) const override;
  int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  std::string chat_template() const override { return config_.chat_template; }
  std::string bos_token() const override { return config_.bos_token; }

 private:
  void encode_text(std::string_view text, bool at_text_start, std::vector<int32_t>& ids) const;
  void load_post_processor(const nlohmann::json& config, const std::string& source);

  TokenizerConfig config_;
  std::unique_ptr<Bpe> model_;
  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  Decoder decoder_;
  AddedVocab added_;
  std::vector<int32_t> prefix_ids_, suffix_ids_;  // added around the ids when add_special
  int32_t vocab_size_ = 0, bos_id_ = -1, eos_id_ = -1, pad_id_ = -1;
};

}  // namespace spct::tok
