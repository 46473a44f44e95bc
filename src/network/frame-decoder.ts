/**
 * Reassembles length-prefixed Kafka frames (int32 size + payload) from socket chunks.
 *
 * Chunks are kept in a list and never concatenated as they arrive: a frame that lies inside one
 * chunk is returned as a zero-copy `subarray`; a frame that spans chunks is copied exactly once,
 * into a buffer of its final size. This keeps a 50 MB fetch response from being re-copied on every
 * 64 KB chunk (the quadratic `Buffer.concat` pattern).
 */
const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Bytes buffered across `chunks`, minus what `head` already consumed of the first chunk. */
  private buffered = 0;
  /** Read offset into chunks[0]. */
  private head = 0;
  /** Size of the frame being assembled, or -1 while its 4-byte prefix is incomplete. */
  private need = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds one chunk and calls `onFrame` for each complete frame (payload without the size prefix).
   * Throws a RangeError for a negative or oversized frame size; the caller turns that into a
   * connection error.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) return;
        const size = this.readInt32();
        if (size < 0 || size > this.maxFrameBytes) {
          throw new RangeError(`frame size ${size} is outside 0..${this.maxFrameBytes}`);
        }
        this.need = size;
      }
      if (this.buffered < this.need) return;
      const frame = this.take(this.need);
      this.need = -1;
      onFrame(frame);
    }
  }

  private readInt32(): number {
    const first = this.chunks[0]!;
    if (first.length - this.head >= 4) {
      const v = first.readInt32BE(this.head);
      this.advance(4);
      return v;
    }
    return this.take(4).readInt32BE(0);
  }

  /** Removes n bytes from the front: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const view = first.subarray(this.head, this.head + n);
      this.advance(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const avail = c.length - this.head;
      const part = Math.min(avail, n - filled);
      c.copy(out, filled, this.head, this.head + part);
      filled += part;
      this.advance(part);
    }
    return out;
  }

  private advance(n: number): void {
    this.head += n;
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (this.head === first.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
