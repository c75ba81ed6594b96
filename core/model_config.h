// The architecture of a decoder-only transformer, read from (and written back to) an HF
// config.json. One struct covers Llama (incl. Llama-3 rope scaling), Qwen2/2.5 (QKV bias),
// Qwen3 (q/k RMSNorm) and Gemma-2 (soft-capping, alternating sliding window, GeGLU, extra norms).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace spct {

enum class Family { llama, qwen2, qwen3, gemma2 };

struct RopeConfig {
  std::string type = "default";  // default | linear | llama3
  double theta = 10000.0;
  double factor = 1.0;
  double low_freq_factor = 1.0;          // llama3
  double high_freq_factor = 4.0;         // llama3
  int64_t original_max_position = 8192;  // llama3
};

struct ModelConfig {
  Family family = Family::llama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;
  bool qkv_bias = false;  // Qwen2: q/k/v projections carry a bias
  bool o_bias = false;    // Llama attention_bias: o_proj too
  bool mlp_bias = false;
  bool qk_norm = false;             // Qwen3
  std::string hidden_act = "silu";  // silu | gelu_pytorch_tanh
  bool tie_word_embeddings = false;
  double attn_logit_softcapping = 0.0;   // 0 = off
  double final_logit_softcapping = 0.0;  // 0 = off
  double query_pre_attn_scalar = 0.0;    // 0 = head_dim
  int64_t sliding_window = 0;            // 0 = no layer slides
  std::vector<bool> sliding_layers;      // per layer: sliding-window attention?
  int64_t bos_token_id = -1;
  std::vector<int64_t> eos_token_ids;
  int64_t pad_token_id = -1;
  // 0: causal LM (lm_head). > 0: sequence classification, a `score` head of num_labels outputs
  // read at the last token (HF *ForSequenceClassification; the meta RM uses 1).
  int64_t num_labels = 0;
  // The config.json this came from (if any): export writes it back with only our changes.
  nlohmann::json source;

  bool gemma_style() const { return family == Family::gemma2; }
  double attn_scale() const;
  int64_t num_parameters() const;
  double parameter_estimate() const;  // num_parameters() without overflow, for checks on input

  // Parses an HF config.json object; `origin` (a file path) prefixes every error.
  static ModelConfig from_hf_json(const nlohmann::json& j, const std::string& origin);
  static ModelConfig load(const std::string& config_json_path);
  // The built-in tiny model: byte-level vocabulary, trained from scratch (tests, demo).
  static ModelConfig tiny(int64_t vocab_size);
  nlohmann::json to_hf_json(const std::string& dtype_name) const;
  // Throws spct::Error naming the first inconsistent field.
  void validate(const std::string& origin) const;
};

std::string family_name(Family f);

}  // namespace spct
