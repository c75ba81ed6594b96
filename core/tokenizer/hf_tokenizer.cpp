#include "core/tokenizer/hf_tokenizer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace spct::tok {
namespace {

using nlohmann::json;

const json& field(const json& j, const char* key) {
  static const json null_json;
  auto it = j.find(key);
  return it == j.end() ? null_json : *it;
}

std::vector<std::pair<std::string, std::string>> parse_merges(const json& merges, const std::string& source) {
  std::vector<std::pair<std::string, std::string>> out;
  if (merges.is_null()) return out;
  SPCT_CHECK(merges.is_array(), source, ": model.merges must be an array");
  out.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      size_t space = s.find(' ');
      SPCT_CHECK(space != std::string::npos && s.find(' ', space + 1) == std::string::npos, source, ": model.merges[",
                 i, "] '", s, "' is not two tokens separated by one space");
      out.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      throw_error(source, ": model.merges[", i, "] is neither \"a b\" nor [\"a\", \"b\"]: ", m.dump());
    }
  }
  return out;
}

std::unique_ptr<Bpe> load_bpe(const json& m, bool byte_level, const std::string& source) {
  SPCT_CHECK(m.is_object(), source, ": \"model\" must be an object");
  const std::string type = m.contains("type") ? m["type"].get<std::string>() : (m.contains("merges") ? "BPE" : "");
  SPCT_CHECK(type == "BPE", source, ": unsupported model type '", type, "' (supported: BPE)");
  const json& dropout = field(m, "dropout");
  SPCT_CHECK(dropout.is_null() || dropout.get<double>() == 0.0, source, ": model.dropout is not supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const json& v = field(m, key);
    SPCT_CHECK(v.is_null() || v.get<std::string>().empty(), source, ": model.", key, " is not supported");
  }
  const json& vocab = field(m, "vocab");
  SPCT_CHECK(vocab.is_object(), source, ": model.vocab must be an object of token -> id");
  std::vector<std::pair<std::string, int32_t>> entries;
  entries.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    SPCT_CHECK(it.value().is_number_integer(), source, ": model.vocab['", it.key(), "'] is not an integer id");
    entries.emplace_back(it.key(), it.value().get<int32_t>());
  }
  BpeOptions options;
  options.byte_level = byte_level;
  options.ignore_merges = m.value("ignore_merges", false);
  options.byte_fallback = m.value("byte_fallback", false);
  options.fuse_unk = m.value("fuse_unk", false);
  if (field(m, "unk_token").is_string()) options.unk_token = m["unk_token"].get<std::string>();
  return std::make_unique<Bpe>(entries, parse_merges(field(m, "merges"), source), options, source);
}

std::vector<AddedToken> parse_added_tokens(const json& list, const std::string& source) {
  std::vector<AddedToken> out;
  if (list.is_null()) return out;
  SPCT_CHECK(list.is_array(), source, ": added_tokens must be an array");
  for (const json& t : list) {
    AddedToken a;
    a.id = t.at("id").get<int32_t>();
    a.content = t.at("content").get<std::string>();
    a.special = t.value("special", false);
    a.lstrip = t.value("lstrip", false);
    a.rstrip = t.value("rstrip", false);
    a.single_word = t.value("single_word", false);
    a.normalized = t.value("normalized", !a.special);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

HfTokenizer::HfTokenizer(const json& j, TokenizerConfig config, const std::string& source)
    : config_(std::move(config)) {
  SPCT_CHECK(j.is_object(), source, ": expected a JSON object");
  SPCT_CHECK(j.contains("model"), source, ": no \"model\" in tokenizer.json");
  normalizer_ = Normalizer(field(j, "normalizer"), source);
  pre_tokenizer_ = PreTokenizer(field(j, "pre_tokenizer"), source);
  decoder_ = Decoder(field(j, "decoder"), source);
  model_ = load_bpe(j["model"], pre_tokenizer_.byte_level(), source);
  added_.build(parse_added_tokens(field(j, "added_tokens"), source), normalizer_);
  vocab_size_ = model_->max_id() + 1;
  for (const AddedToken& t : added_.tokens()) vocab_size_ = std::max(vocab_size_, t.id + 1);
  load_post_processor(field(j, "post_processor"), source);
  auto id_of = [&](const std::string& token) { return token.empty() ? -1 : token_to_id(token); };
  bos_id_ = id_of(config_.bos_token);
  eos_id_ = id_of(config_.eos_token);
  pad_id_ = id_of(config_.pad_token);
}

void HfTokenizer::load_post_processor(const json& p, const std::string& source) {
  if (p.is_null()) {
    // No post-processor: tokenizer_config.json's add_bos_token / add_eos_token decide.
    if (config_.add_bos == 1 && !config_.bos_token.empty()) prefix_ids_.push_back(token_to_id(config_.bos_token));
    if (config_.add_eos == 1 && !config_.eos_token.empty()) suffix_ids_.push_back(token_to_id(config_.eos_token));
    return;
  }
  const std::string type = p.at("type").get<std::string>();
  if (type == "Sequence") {
    for (const json& sub : p.at("processors")) load_post_processor(sub, source);
  } else if (type == "ByteLevel") {
    // Adjusts offsets only.
  } else if (type == "TemplateProcessing") {
    bool after = false;
    for (const json& piece : p.at("single")) {
      if (piece.contains("Sequence")) {
        after = true;
        continue;
      }
      const std::string name = piece.at("SpecialToken").at("id").get<std::string>();
      const json& special = field(field(p, "special_tokens"), name.c_str());
      SPCT_CHECK(special.is_object(), source, ": post_processor: special token '", name, "' is not in special_tokens");
      for (const json& id : special.at("ids")) (after ? suffix_ids_ : prefix_ids_).push_back(id.get<int32_t>());
    }
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    prefix_ids_.push_back(p.at("cls").at(1).get<int32_t>());
    suffix_ids_.push_back(p.at("sep").at(1).get<int32_t>());
  } else {
    throw_error(source, ": unsupported post_processor type '", type,
                "' (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)");
  }
}

void HfTokenizer::encode_text(std::string_view text, bool at_text_start, std::vector<int32_t>& ids) const {
  std::string normalized = normalizer_.empty() ? std::string(text) : normalizer_.apply(text);
  std::vector<AddedVocab::Segment> segments;
  if (added_.has_normalized())
    added_.split(normalized, true, segments);
  else
    segments.push_back({-1, 0, static_cast<uint32_t>(normalized.size())});
  std::vector<Span> pieces;
  std::string work;
  for (const auto& seg : segments) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    work.assign(normalized, seg.begin, seg.end - seg.begin);
    pre_tokenizer_.split(work, at_text_start && seg.begin == 0, pieces);
    for (const Span& p : pieces) model_->encode(std::string_view(work).substr(p.begin, p.end - p.begin), ids);
  }
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special) ids = prefix_ids_;
  std::vector<AddedVocab::Segment> segments;
  added_.split(text, false, segments);
  for (const auto& seg : segments) {
    if (seg.id >= 0)
      ids.push_back(seg.id);
    else
      encode_text(text.substr(seg.begin, seg.end - seg.begin), seg.begin == 0, ids);
  }
  if (add_special) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const AddedToken* t = added_.find(id)) {
      if (!(skip_special && t->special)) tokens.push_back(t->content);
    } else if (const std::string* s = model_->id_to_token(id)) {
      tokens.push_back(*s);
    }
  }
  return decoder_.decode(std::move(tokens));
}

bool HfTokenizer::is_special(int32_t id) const {
  const AddedToken* t = added_.find(id);
  return t && t->special;
}

int32_t HfTokenizer::token_to_id(std::string_view token) const {
  int32_t id = added_.id_of(std::string(token));
  return id >= 0 ? id : model_->token_to_id(token);
}

std::string HfTokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* t = added_.find(id)) return t->content;
  const std::string* s = model_->id_to_token(id);
  return s ? *s : std::string();
}

}  // namespace spct::tok
