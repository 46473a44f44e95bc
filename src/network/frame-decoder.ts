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

/** Scratch buffer size for reads that hold small frames (and the start of large ones). */
const SCRATCH = 64 * 1024;
/** Frames at least this large get a buffer of their own, read into directly. */
const LARGE = SCRATCH / 2;

/**
 * Frame assembly for sockets that read into buffers we supply (`net.connect({ onread })`): the
 * kernel writes straight into the final frame buffer, so even a 50 MB fetch response is never
 * copied. Small frames are zero-copy views of a 64 KiB scratch buffer that is never reused (views
 * of it stay valid); a large frame, once its size is known, gets a buffer of exactly its size, and
 * the following reads fill it in place. Only the few bytes already read past a frame's header are
 * copied when it moves to its own buffer.
 */
export class FrameReader {
  private scratch = Buffer.allocUnsafe(SCRATCH);
  /** Unconsumed bytes in `scratch` are [start, end). */
  private start = 0;
  private end = 0;
  private large: Buffer | undefined;
  private largeFilled = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {}

  /** The region the next socket read writes into. */
  nextBuffer(): Buffer {
    if (this.large) return this.large.subarray(this.largeFilled);
    return this.scratch.subarray(this.end);
  }

  /** `n` bytes were just written into the region {@link FrameReader.nextBuffer} returned. Throws on a bad size. */
  onRead(n: number): void {
    if (this.large) {
      this.largeFilled += n;
      if (this.largeFilled < this.large.length) return;
      const frame = this.large;
      this.large = undefined;
      if (SCRATCH - this.end < 4096) this.fresh(0);
      this.onFrame(frame);
      return;
    }
    this.end += n;
    this.parse();
  }

  private parse(): void {
    const s = this.scratch;
    for (;;) {
      const avail = this.end - this.start;
      if (avail < 4) break;
      const size = s.readInt32BE(this.start);
      if (size < 0 || size > this.maxFrameBytes) {
        throw new RangeError(`frame size ${size} is outside 0..${this.maxFrameBytes}`);
      }
      if (avail >= 4 + size) {
        const from = this.start + 4;
        this.start = from + size;
        this.onFrame(s.subarray(from, from + size));
        continue;
      }
      if (size >= LARGE) {
        // Its own buffer: copy what arrived of the body, read the rest straight into it.
        const big = Buffer.allocUnsafe(size);
        const have = avail - 4;
        s.copy(big, 0, this.start + 4, this.end);
        this.start = this.end;
        this.large = big;
        this.largeFilled = have;
        break;
      }
      break;
    }
    // Keep room for the next read: a partial frame moves to a fresh scratch when space runs short.
    const rest = this.end - this.start;
    if (rest === 0) {
      if (this.start > 0 && this.end > SCRATCH - 4096) this.fresh(0);
    } else if (SCRATCH - this.end < Math.max(4096, this.pendingFrameBytes() - rest)) {
      this.fresh(rest);
    }
  }

  /** Bytes the partial frame at `start` needs in total (header included), or 0 if its size is unknown. */
  private pendingFrameBytes(): number {
    return this.end - this.start >= 4 ? 4 + this.scratch.readInt32BE(this.start) : 0;
  }

  /** Starts a new scratch buffer holding the last `rest` unconsumed bytes. */
  private fresh(rest: number): void {
    const next = Buffer.allocUnsafe(SCRATCH);
    if (rest > 0) this.scratch.copy(next, 0, this.start, this.end);
    this.scratch = next;
    this.start = 0;
    this.end = rest;
  }
}
