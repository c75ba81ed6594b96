// The pure-Python float64 references of the losses and the optimizer
// (scripts/make_loss_fixtures.py writes tests/fixtures/losses/*.json), shared by their tests.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "core/file_util.h"
#include "tests/test_util.h"

namespace spct::test {

constexpr double kLossTol = 1e-6;

inline nlohmann::json loss_fixture(const std::string& name) {
  return nlohmann::json::parse(read_text_file(source_path("tests/fixtures/losses/" + name)));
}

}  // namespace spct::test
