// RM dataset reader (rewards/rules/rm_dataset.h): each format, and errors naming file:line:field.
#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "rewards/rules/rm_dataset.h"

namespace spct::rewards {
namespace {

const std::string kFixtures = std::string(SPCT_SOURCE_DIR) + "/tests/fixtures/rewards/";

// The message of the spct::Error thrown while reading `line` as line 14 of data.jsonl.
std::string error_of(const std::string& line) {
  std::istringstream in("\n\n\n\n\n\n\n\n\n\n\n\n\n" + line + "\n");
  try {
    read_rm_dataset(in, "data.jsonl");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RmDataset, ReadsEveryFormat) {
  const std::vector<RmItem> items = read_rm_dataset(kFixtures + "rm_formats.jsonl");
  ASSERT_EQ(items.size(), 4u);

  EXPECT_EQ(items[0].id, "pair-1");
  EXPECT_EQ(items[0].subset, "math");
  EXPECT_EQ(items[0].prompt.text, "What is 2 + 2?");
  EXPECT_TRUE(items[0].prompt.messages.empty());
  EXPECT_EQ(items[0].responses, (std::vector<std::string>{"4", "5", "22"}));
  EXPECT_EQ(items[0].best, 0);
  EXPECT_EQ(items[0].label, -1);
  EXPECT_EQ(items[0].line, 1);

  // chosen/rejected: two responses, chosen first, best = 0 (the judge must shuffle).
  EXPECT_EQ(items[1].id, "17");
  EXPECT_EQ(items[1].subset, "chat");
  ASSERT_EQ(items[1].prompt.messages.size(), 2u);
  EXPECT_EQ(items[1].prompt.messages[0].role, "system");
  EXPECT_EQ(items[1].prompt.messages[1].content, "Say hi.");
  EXPECT_EQ(items[1].responses, (std::vector<std::string>{"Hi!", "No."}));
  EXPECT_EQ(items[1].best, 0);

  // response + label, principles as a list; line 3 was blank.
  EXPECT_EQ(items[2].line, 4);
  EXPECT_EQ(items[2].responses, (std::vector<std::string>{"No, it is usually blue."}));
  EXPECT_EQ(items[2].label, 1);
  EXPECT_EQ(items[2].best, -1);
  EXPECT_EQ(items[2].principles, "1. Factual accuracy (70%)\n2. Directness (30%)");

  // responses with one entry + label, principles as a string.
  EXPECT_EQ(items[3].responses.size(), 1u);
  EXPECT_EQ(items[3].label, 0);
  EXPECT_EQ(items[3].principles, "Be right.");
}

TEST(RmDataset, ErrorFromFileNamesFileLineAndField) {
  const std::string path = kFixtures + "rm_bad_best.jsonl";
  try {
    read_rm_dataset(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ":3: field 'best': 3 is out of range for 2 responses");
  }
  EXPECT_THROW(read_rm_dataset(kFixtures + "no_such_file.jsonl"), Error);
}

TEST(RmDataset, BestErrors) {
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a", "b"], "best": 3})"),
            "data.jsonl:14: field 'best': 3 is out of range for 2 responses");
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a", "b"], "best": -1})"),
            "data.jsonl:14: field 'best': -1 is out of range for 2 responses");
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a", "b"], "best": 1.0})"),
            "data.jsonl:14: field 'best': expected an integer, got number 1.0");
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a", "b"], "best": "0"})"),
            "data.jsonl:14: field 'best': expected an integer, got string \"0\"");
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a", "b"]})"),
            "data.jsonl:14: field 'best': missing ('responses' needs the 0-based index of the best one)");
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a", "b"], "best": 0, "label": 1})"),
            "data.jsonl:14: field 'label': only a single response takes a label");
}

TEST(RmDataset, ResponseErrors) {
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": []})"),
            "data.jsonl:14: field 'responses': expected a non-empty list of strings");
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a", 7], "best": 0})"),
            "data.jsonl:14: field 'responses[1]': expected a string, got number");
  EXPECT_EQ(error_of(R"({"prompt": "p", "chosen": "a"})"),
            "data.jsonl:14: field 'rejected': missing ('chosen' needs 'rejected')");
  EXPECT_EQ(error_of(R"({"prompt": "p", "chosen": "a", "rejected": null})"),
            "data.jsonl:14: field 'rejected': expected a string, got null");
  EXPECT_EQ(error_of(R"({"prompt": "p", "response": "a", "label": 2})"),
            "data.jsonl:14: field 'label': 2 is not 0 or 1");
  EXPECT_EQ(error_of(R"({"prompt": "p", "response": "a"})"),
            "data.jsonl:14: field 'label': missing ('response' needs a 0/1 label)");
  EXPECT_EQ(error_of(R"({"prompt": "p", "responses": ["a"]})"),
            "data.jsonl:14: field 'label': missing (a single response is judged by its label)");
  EXPECT_EQ(error_of(R"({"prompt": "p"})"),
            "data.jsonl:14: no responses: expected 'responses' + 'best', 'chosen' + 'rejected', or "
            "'response' + 'label'");
  EXPECT_EQ(error_of(R"({"prompt": "p", "response": "a", "label": 1, "chosen": "b", "rejected": "c"})"),
            "data.jsonl:14: ambiguous: use only one of 'responses', 'chosen'/'rejected' and 'response'");
}

TEST(RmDataset, PromptErrors) {
  EXPECT_EQ(error_of(R"({"responses": ["a", "b"], "best": 0})"), "data.jsonl:14: field 'prompt': missing");
  EXPECT_EQ(error_of(R"({"prompt": 5, "responses": ["a", "b"], "best": 0})"),
            "data.jsonl:14: field 'prompt': expected a string or a non-empty list of messages");
  EXPECT_EQ(
      error_of(R"({"prompt": [{"role": "user", "content": "hi"}, {"role": "user"}], "chosen": "a", "rejected": "b"})"),
      "data.jsonl:14: field 'prompt[1].content': missing");
  EXPECT_EQ(error_of(R"({"prompt": [{"role": "user", "content": 3}], "chosen": "a", "rejected": "b"})"),
            "data.jsonl:14: field 'prompt[0].content': expected a string, got number");
  EXPECT_EQ(error_of(R"({"prompt": ["hi"], "chosen": "a", "rejected": "b"})"),
            "data.jsonl:14: field 'prompt[0]': expected a {role, content} object, got string");
}

TEST(RmDataset, OtherFieldErrors) {
  EXPECT_EQ(error_of(R"({"prompt": "p", "chosen": "a", "rejected": "b", "principles": ["x", 1]})"),
            "data.jsonl:14: field 'principles[1]': expected a string");
  EXPECT_EQ(error_of(R"({"prompt": "p", "chosen": "a", "rejected": "b", "id": {}})"),
            "data.jsonl:14: field 'id': expected a string or an integer, got object");
  EXPECT_EQ(error_of("[1, 2]"), "data.jsonl:14: expected a JSON object, got array");
  EXPECT_EQ(error_of("{\"prompt\": ").rfind("data.jsonl:14: invalid JSON: ", 0), 0u);
}

}  // namespace
}  // namespace spct::rewards
