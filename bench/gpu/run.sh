#!/usr/bin/env bash
# Runs on a lent GPU machine, from the checkout root, after bench/gpu/prepare.sh
# packed .gpu/ here and the device tool carried it:
#   bash bench/gpu/run.sh bench [bench options…]   → $OUT/bench.json (+ .csv)
#   bash bench/gpu/run.sh train [train options…]   → $OUT/train.json
#   bash bench/gpu/run.sh profiles [options…]      → $OUT/profiles.json (both kernel profiles in turns)
# On a machine without an NVIDIA GPU it runs on SwiftShader instead (a dry
# run of the recipe), leaving the system's libraries alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:?usage: run.sh bench|profiles|train [options…]}
shift
out=${OUT:-/tmp/wgsparse-gpu-out}
mkdir -p "$out"

node=/tmp/wgsparse-node
xz -dc .gpu/node.xz > "$node" && chmod +x "$node"
mkdir -p .gpu/node_modules/webgpu/dist/linux-x64
xz -dc .gpu/dawn.node.xz > .gpu/node_modules/webgpu/dist/linux-x64/dawn.node

if [ -e /dev/nvidia0 ]; then
  # The machine has the NVIDIA driver and its Vulkan ICD but no loader.
  if ! ldconfig -p | grep -q libvulkan.so.1; then
    for f in .gpu/deb/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
  export WGSPARSE_NATIVE_GPU=1
  nvidia-smi -L || true
else
  echo "no NVIDIA GPU here: dry run on SwiftShader"
  export LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp
fi

case "$what" in
  bench) "$node" .gpu/bench/main.js --out "$out/bench.json" "$@" ;;
  profiles) "$node" .gpu/bench/profiles.js --out "$out/profiles.json" "$@" ;;
  train) "$node" .gpu/bench/train.js --dataset mnist --data-dir .gpu/mnist --backend webgpu --out "$out/train.json" "$@" ;;
  *) echo "unknown command $what: use bench, profiles or train" >&2; exit 2 ;;
esac
