/**
 * Client-side batching for kafkajs, which has none. Records wait per topic-partition ("slot"); the slots are
 * shared among a fixed number of lanes, each lane owning whole slots and keeping exactly one request in flight.
 * A lane sends when one of its slots holds `batchSize` records (or `batchBytes`) or its oldest record has waited
 * `lingerMs`, and its request carries every slot it owns (up to `batchSize` records and `batchBytes` each). So:
 * - requests in flight are bounded by the number of lanes;
 * - a partition never has two requests in flight, which keeps its order and the idempotent producer's sequence
 *   numbers valid (kafkajs serialises an idempotent producer's requests per broker anyway: parallelism comes
 *   from lanes having a producer each);
 * - records generated but not yet acknowledged are bounded by `maxBuffered` (the generator waits for room), so
 *   memory stays flat when Kafka is slower than the generator;
 * - a failed request is retried as it is, never re-split or reordered, until Kafka takes it.
 */

export interface OutRecord {
  key: string;
  value: string;
  partition: number;
}

export interface TopicBatch {
  topic: string;
  messages: OutRecord[];
}

export interface SentBatch {
  lane: number;
  topics: TopicBatch[];
  records: number;
  bytes: number;
  /** Bytes per topic, for the metrics. */
  bytesPerTopic: Map<string, number>;
  millis: number;
}

export interface BatcherOptions {
  slots: readonly { topic: string; partition: number }[];
  lanes: number;
  batchSize: number;
  /** Bytes (keys and values) per slot per request: a request's batch must fit the broker's max.message.bytes. */
  batchBytes: number;
  lingerMs: number;
  maxBuffered: number;
  /** Sends one request; rejects when it failed (it is then retried with the same records). */
  send: (lane: number, topics: TopicBatch[]) => Promise<void>;
  onSent?: (batch: SentBatch) => void;
  onError?: (error: unknown, lane: number, attempt: number) => void;
  now?: () => number;
}

interface Lane {
  index: number;
  slots: number[];
  pending: number;
  full: boolean;
  deadline: number;
  wake?: () => void;
  timer?: NodeJS.Timeout;
  done: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Batcher {
  private readonly queues: OutRecord[][];
  private readonly queuedBytes: Float64Array;
  private readonly laneOfSlot: Int32Array;
  private readonly lanes: Lane[];
  private readonly now: () => number;
  private appended = 0;
  private sending = 0;
  private acked = 0;
  private flushing = false;
  private roomWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly options: BatcherOptions) {
    this.now = options.now ?? Date.now;
    this.queues = options.slots.map(() => []);
    this.queuedBytes = new Float64Array(options.slots.length);
    const laneCount = Math.max(1, Math.min(options.lanes, options.slots.length));
    this.laneOfSlot = Int32Array.from(options.slots, (_, i) => i % laneCount);
    this.lanes = Array.from({ length: laneCount }, (_, index) => ({
      index,
      slots: options.slots.map((_, i) => i).filter((i) => i % laneCount === index),
      pending: 0,
      full: false,
      deadline: 0,
      done: Promise.resolve(),
    }));
    for (const lane of this.lanes) lane.done = this.run(lane);
  }

  /** Records appended and not yet acknowledged by Kafka. */
  get buffered(): number {
    return this.appended - this.acked;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.sending;
  }

  /** How many records may be appended now without passing the buffer bound. */
  room(): number {
    return Math.max(0, this.options.maxBuffered - this.buffered);
  }

  /** Resolves when there is room again. */
  waitForRoom(): Promise<void> {
    if (this.room() > 0) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Queues one record for its slot. The caller keeps within room(). */
  append(slot: number, key: string, value: string, partition: number): void {
    const queue = this.queues[slot] as OutRecord[];
    queue.push({ key, value, partition });
    this.appended++;
    const lane = this.lanes[this.laneOfSlot[slot] as number] as Lane;
    if (++lane.pending === 1) {
      lane.deadline = this.now() + this.options.lingerMs;
      lane.wake?.();
    }
    const bytes = (this.queuedBytes[slot] as number) + key.length + value.length;
    this.queuedBytes[slot] = bytes;
    if ((queue.length >= this.options.batchSize || bytes >= this.options.batchBytes) && !lane.full) {
      lane.full = true;
      lane.wake?.();
    }
  }

  /**
   * Sends everything queued, without waiting for batches to fill, resolves when Kafka has acknowledged all of
   * it, and stops the lanes. No record may be appended afterwards.
   */
  async close(): Promise<void> {
    this.flushing = true;
    for (const lane of this.lanes) lane.wake?.();
    if (this.buffered > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    await Promise.all(this.lanes.map((l) => l.done));
  }

  private ready(lane: Lane): boolean {
    return lane.pending > 0 && (lane.full || this.flushing || this.now() >= lane.deadline);
  }

  /** Waits until the lane has something to send (true) or the batcher is closed and drained (false). */
  private async nextTurn(lane: Lane): Promise<boolean> {
    while (!this.ready(lane)) {
      if (this.flushing && lane.pending === 0) return false;
      await new Promise<void>((resolve) => {
        lane.wake = resolve;
        if (lane.pending > 0) lane.timer = setTimeout(resolve, Math.max(0, lane.deadline - this.now()));
      });
      lane.wake = undefined;
      clearTimeout(lane.timer);
    }
    return true;
  }

  private take(lane: Lane): {
    topics: TopicBatch[];
    records: number;
    bytes: number;
    bytesPerTopic: Map<string, number>;
  } {
    const { batchSize, batchBytes } = this.options;
    const byTopic = new Map<string, OutRecord[]>();
    const bytesPerTopic = new Map<string, number>();
    let records = 0;
    let bytes = 0;
    let full = false;
    for (const slot of lane.slots) {
      const queue = this.queues[slot] as OutRecord[];
      if (queue.length === 0) continue;
      // As many records as fit the count and byte bounds (at least one, whatever its size).
      let count = 0;
      let slotBytes = 0;
      while (count < queue.length && count < batchSize) {
        const r = queue[count] as OutRecord;
        const size = r.key.length + r.value.length;
        if (count > 0 && slotBytes + size > batchBytes) break;
        slotBytes += size;
        count++;
      }
      let taken: OutRecord[];
      if (count === queue.length) {
        taken = queue;
        this.queues[slot] = [];
      } else {
        taken = queue.splice(0, count);
      }
      const left = (this.queuedBytes[slot] as number) - slotBytes;
      this.queuedBytes[slot] = left;
      if (queue !== taken && (queue.length >= batchSize || left >= batchBytes)) full = true;
      const { topic } = this.options.slots[slot] as { topic: string };
      const list = byTopic.get(topic);
      if (list) for (const r of taken) list.push(r);
      else byTopic.set(topic, taken);
      bytesPerTopic.set(topic, (bytesPerTopic.get(topic) ?? 0) + slotBytes);
      records += taken.length;
      bytes += slotBytes;
    }
    lane.pending -= records;
    lane.full = full;
    // Whatever is left has waited already: it goes with the next request.
    lane.deadline = this.now();
    const topics = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    return { topics, records, bytes, bytesPerTopic };
  }

  private async run(lane: Lane): Promise<void> {
    while (await this.nextTurn(lane)) {
      const batch = this.take(lane);
      const started = this.now();
      this.sending++;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.send(lane.index, batch.topics);
          break;
        } catch (error) {
          this.options.onError?.(error, lane.index, attempt);
          await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
        }
      }
      this.sending--;
      this.acked += batch.records;
      this.options.onSent?.({ lane: lane.index, ...batch, millis: this.now() - started });
      if (this.roomWaiters.length > 0 && this.room() > 0) {
        const waiters = this.roomWaiters;
        this.roomWaiters = [];
        for (const w of waiters) w();
      }
      if (this.buffered === 0 && this.drainWaiters.length > 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
