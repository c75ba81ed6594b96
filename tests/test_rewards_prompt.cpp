// Judge prompt builder (rewards/rules/judge_prompt.h): blocks, order, modes, hints, templates.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rewards/rules/judge_prompt.h"
#include "rewards/rules/score_parser.h"

namespace spct::rewards {
namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

JudgeInput two_responses() {
  JudgeInput in;
  in.query.text = "What is 2 + 2?";
  in.responses = {"It is 4.", "It is 5."};
  return in;
}

TEST(JudgePrompt, RenderTemplateReplacesAndEscapes) {
  EXPECT_EQ(render_template("a {x} b {{x}} {y z} \\boxed{7} }", {{"x", "1"}}, "t"), "a 1 b {x} {y z} \\boxed{7} }");
  EXPECT_EQ(render_template("{x}", {{"x", "{y}"}}, "t"), "{y}");  // values are not re-scanned
}

TEST(JudgePrompt, UnknownPlaceholderIsNamed) {
  try {
    render_template("hello {nmae}", {{"name", ""}}, "generate");
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "{nmae}")) << e.what();
    EXPECT_TRUE(has(e.what(), "'generate'")) << e.what();
  }
  JudgeTemplates t = default_templates();
  t.none += "{critique_style}";
  EXPECT_THROW(validate_templates(t), Error);
  EXPECT_NO_THROW(validate_templates(default_templates()));
}

TEST(JudgePrompt, ResponsesInDisplayedOrder) {
  EXPECT_EQ(render_responses({"A", "B", "C"}, {2, 0, 1}),
            "[Response 1]\nC\n[End of Response 1]\n\n[Response 2]\nA\n[End of Response 2]\n\n"
            "[Response 3]\nB\n[End of Response 3]");
  EXPECT_THROW(render_responses({"A", "B"}, {0, 0}), Error);
  EXPECT_THROW(render_responses({"A", "B"}, {0}), Error);
  JudgeTemplates t = default_templates();
  t.response = "R{number}: {response}";
  t.response_separator = "\n";
  EXPECT_EQ(render_responses({"A", "B", "C"}, {2, 0, 1}, t), "R1: C\nR2: A\nR3: B");
  t.response = "R{num}: {response}";
  EXPECT_THROW(validate_templates(t), Error);
}

TEST(JudgePrompt, GenerateModeIsDefault) {
  const std::string p = build_judge_prompt(two_responses(), {});
  EXPECT_TRUE(has(p, "[Query]\nWhat is 2 + 2?\n[End of Query]"));
  EXPECT_TRUE(has(p, "[Response 1]\nIt is 4.\n[End of Response 1]"));
  EXPECT_TRUE(has(p, "[Response 2]\nIt is 5.\n[End of Response 2]"));
  EXPECT_TRUE(has(p, "Principles:"));
  EXPECT_TRUE(has(p, "Critique:"));
  EXPECT_TRUE(has(p, "\\boxed{s1, s2}"));
  EXPECT_TRUE(has(p, "from 1 to 10"));
  EXPECT_FALSE(has(p, "Hint"));
  EXPECT_FALSE(has(p,
                   "{"
                   "query}"));
}

TEST(JudgePrompt, PermutationChangesTheBlocks) {
  JudgeInput in = two_responses();
  in.order = {1, 0};
  const std::string p = build_judge_prompt(in, {});
  EXPECT_TRUE(has(p, "[Response 1]\nIt is 5.\n[End of Response 1]"));
  EXPECT_TRUE(has(p, "[Response 2]\nIt is 4.\n[End of Response 2]"));
}

TEST(JudgePrompt, GivenModeInsertsPrinciples) {
  JudgePromptConfig config;
  config.mode = PrincipleMode::given;
  EXPECT_THROW(build_judge_prompt(two_responses(), config), Error);  // none anywhere
  config.principles = "1. Arithmetic (100%)";
  EXPECT_TRUE(has(build_judge_prompt(two_responses(), config), "1. Arithmetic (100%)"));
  JudgeInput in = two_responses();
  in.principles = "1. Brevity (100%)";  // the item's own principles win
  const std::string p = build_judge_prompt(in, config);
  EXPECT_TRUE(has(p, "1. Brevity (100%)"));
  EXPECT_FALSE(has(p, "Arithmetic"));
  EXPECT_FALSE(has(p, "\nPrinciples:"));
}

TEST(JudgePrompt, NoneModeAsksOnlyForCritiqueAndScores) {
  JudgePromptConfig config;
  config.mode = PrincipleMode::none;
  const std::string p = build_judge_prompt(two_responses(), config);
  EXPECT_FALSE(has(p, "Principles:"));
  EXPECT_TRUE(has(p, "Critique:"));
  EXPECT_TRUE(has(p, "Scores:"));
}

TEST(JudgePrompt, HintUsesDisplayedNumbering) {
  JudgeInput in = two_responses();
  in.responses.push_back("It is four.");
  in.order = {2, 0, 1};
  in.hint = 0;  // original response 0 is shown second
  EXPECT_TRUE(has(build_judge_prompt(in, {}), "Response 2 to be the best"));
  in.hint = 3;
  EXPECT_THROW(build_judge_prompt(in, {}), Error);
}

TEST(JudgePrompt, SingleResponseTemplate) {
  JudgeInput in;
  in.query.text = "Capital of France?";
  in.responses = {"Paris."};
  std::string p = build_judge_prompt(in, {});
  EXPECT_TRUE(has(p, "[Response 1]\nParis.\n[End of Response 1]"));
  EXPECT_TRUE(has(p, "\\boxed{1}"));
  EXPECT_TRUE(has(p, "\\boxed{0}"));
  EXPECT_FALSE(has(p, "1 to 10"));
  in.hint = 1;
  EXPECT_TRUE(has(build_judge_prompt(in, {}), "found this response correct"));
  in.hint = 0;
  EXPECT_TRUE(has(build_judge_prompt(in, {}), "found this response incorrect"));
  in.hint = 2;
  EXPECT_THROW(build_judge_prompt(in, {}), Error);
}

TEST(JudgePrompt, ChatQueryIsReadable) {
  Query q;
  q.messages = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "2+2?"}};
  EXPECT_EQ(render_query(q), "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello.\n\nUser: 2+2?");
}

TEST(JudgePrompt, CustomTemplateWithEveryPlaceholder) {
  JudgePromptConfig config;
  config.templates.generate =
      "{query}|{num_responses}|{score_range}|{score_min}|{score_max}|{score_format}|{principles}|{hint}";
  JudgeInput in = two_responses();
  in.hint = 1;
  config.templates.hint = "best={best}";
  EXPECT_EQ(build_judge_prompt(in, config), "What is 2 + 2?|2|1 to 10|1|10|\\boxed{s1, s2}||best=2");
}

TEST(JudgePrompt, PrincipleModeNames) {
  EXPECT_EQ(parse_principle_mode("given"), PrincipleMode::given);
  EXPECT_EQ(parse_principle_mode("none"), PrincipleMode::none);
  EXPECT_EQ(name_of(PrincipleMode::generate), "generate");
  EXPECT_THROW(parse_principle_mode("self"), Error);
}

TEST(JudgePrompt, EmptyResponsesRejected) {
  JudgeInput in;
  in.query.text = "q";
  EXPECT_THROW(build_judge_prompt(in, {}), Error);
}

}  // namespace
}  // namespace spct::rewards
