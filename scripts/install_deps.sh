#!/usr/bin/env bash
# Installs the Debian packages spct needs to build and test (idempotent: installs only what is missing).
set -euo pipefail
pkgs=(build-essential cmake ninja-build libtorch-dev libopenmpi-dev openmpi-bin
      libboost-program-options-dev libyaml-cpp-dev libhdf5-dev nlohmann-json3-dev
      libgtest-dev libopenblas0-pthread zlib1g-dev
      python3-matplotlib  # the report's charts (scripts/plot_report.py), scripts/plot_scaling.py
      clang-14 libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer, ASan and UBSan (ctest -L fuzz)
      clang-format)  # scripts/check_format.sh (ctest format)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all packages present"
  exit 0
fi
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
