// Element types the kernels take. Launchers see raw pointers, so the caller names the type.
#pragma once

namespace spct::kernels {

enum class DType { bf16, f16 };

}  // namespace spct::kernels
