#!/bin/sh
# Assemble the benchmark guest (needs nasm: apt-get install -y nasm). The image is checked in so
# that `npm run bench` and the tests need no assembler. Runs from the repository root: bench.asm
# includes its parts (system.inc, cmdline.inc, long.inc, data.inc) by root-relative paths.
set -eu
cd "$(dirname "$0")/../.."
command -v nasm >/dev/null 2>&1 || { echo "guests/bench/build.sh: nasm not found (apt-get install -y nasm)" >&2; exit 2; }
nasm -f bin -o guests/bench/bench.img guests/bench/bench.asm
echo "built guests/bench/bench.img ($(wc -c < guests/bench/bench.img) bytes)"
