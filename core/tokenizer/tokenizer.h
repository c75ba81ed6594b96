// The tokenizer interface every model's tokenizer implements (HF tokenizer.json models here, the
// built-in byte tokenizer in core/byte_tokenizer.h), a streaming decoder for generation, and the
// factory that loads an HF model directory.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spct {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of text. add_special adds what the model's post-processor adds (Llama-3 and Gemma:
  // a BOS; Qwen2: nothing). Special tokens written in the text are always recognised.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special = true) const = 0;
  // Text of ids; skip_special drops special tokens. Ill-formed UTF-8 becomes U+FFFD as in HF.
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const = 0;

  virtual int32_t vocab_size() const = 0;  // ids are in [0, vocab_size)
  virtual int32_t bos_id() const = 0;      // -1 when the model has none
  virtual int32_t eos_id() const = 0;
  virtual int32_t pad_id() const = 0;
  virtual bool is_special(int32_t id) const = 0;
  virtual int32_t token_to_id(std::string_view token) const = 0;  // -1 when absent
  virtual std::string id_to_token(int32_t id) const = 0;          // "" when absent

  // The chat template text from tokenizer_config.json or chat_template.jinja ("" if none) and
  // the BOS token text it refers to; see core/tokenizer/chat_template.h.
  virtual std::string chat_template() const { return ""; }
  virtual std::string bos_token() const { return ""; }
};

// Decodes ids one at a time during generation and returns only complete UTF-8 text, so a
// character split over several byte tokens is emitted once all its bytes are there. The chunks
// step() and finish() return concatenate to tokenizer.decode(all ids).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);
  std::string step(int32_t id);  // new text, "" while a character is incomplete
  std::string finish();          // the rest (an incomplete character decodes to U+FFFD)

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::vector<int32_t> window_;  // the last emitted token(s) as context, then pending ones
  size_t emitted_ = 0;           // bytes of decode(window_) already returned
};

// Loads an HF tokenizer directory (tokenizer.json, plus tokenizer_config.json and
// chat_template.jinja when present). Throws spct::Error naming the file at fault.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir);

}  // namespace spct
