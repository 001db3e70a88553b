#!/bin/sh
# Assemble the bundled guests (needs nasm: apt-get install -y nasm).
# Each guests/<name>/<name>.asm becomes guests/<name>/<name>.img; the images are checked in so
# that `npm start` needs no assembler. test/machine/guest-images.test.ts checks they match.
set -eu
cd "$(dirname "$0")/.."
command -v nasm >/dev/null 2>&1 || { echo "build-guests: nasm not found (apt-get install -y nasm)" >&2; exit 2; }
for src in guests/*/*.asm; do
  img="${src%.asm}.img"
  nasm -f bin -o "$img" "$src"
  echo "built $img ($(wc -c < "$img") bytes)"
done
