// Precompiled header for the heavy, stable headers (LibTorch above all). Included only through
// CMake's target_precompile_headers; source files still include what they use.
#pragma once
#include <ATen/ATen.h>
#include <boost/program_options.hpp>

#include "core/torch_compat.h"
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>
