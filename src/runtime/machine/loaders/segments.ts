/** One piece of an image to place in RAM: file bytes at `address`, then zeros up to `memSize`. */
export interface LoadSegment {
  address: number;
  /** File offset of the first byte. */
  fileOffset: number;
  fileSize: number;
  /** Bytes occupied in memory (≥ fileSize; the rest is zeroed, e.g. .bss). */
  memSize: number;
}

/** Copy segments into RAM. The caller has checked that each lies inside RAM. */
export function placeSegments(ram: Uint8Array, image: Uint8Array, segments: readonly LoadSegment[]): void {
  for (const s of segments) {
    ram.set(image.subarray(s.fileOffset, s.fileOffset + s.fileSize), s.address);
    ram.fill(0, s.address + s.fileSize, s.address + s.memSize);
  }
}

/** The first segment not inside [0, ramSize), or undefined. */
export function segmentOutsideRam(segments: readonly LoadSegment[], ramSize: number): LoadSegment | undefined {
  return segments.find((s) => s.address < 0 || s.address + s.memSize > ramSize);
}

/** The first segment overlapping [start, end), or undefined. */
export function segmentOverlapping(
  segments: readonly LoadSegment[],
  start: number,
  end: number,
): LoadSegment | undefined {
  return segments.find((s) => s.memSize > 0 && s.address < end && s.address + s.memSize > start);
}
