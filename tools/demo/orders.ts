// Sample order events for the demo: a web shop's orders as JSON, keyed by customer id (so one
// customer's orders stay in order on one partition). Deterministic for a seed, so tests can check totals.

export interface OrderItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export interface OrderEvent {
  orderId: string;
  customer: { id: string; name: string; country: string };
  items: OrderItem[];
  /** Sum of quantity × unitPrice, rounded to cents. */
  amount: number;
  currency: string;
  /** ISO-8601. */
  timestamp: string;
  status: OrderStatus;
}

export type OrderStatus = 'placed' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Donald'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Allen'];
const COUNTRIES: Array<[string, string]> = [
  ['DE', 'EUR'],
  ['FR', 'EUR'],
  ['NL', 'EUR'],
  ['GB', 'GBP'],
  ['US', 'USD'],
  ['CA', 'CAD'],
];
const PRODUCTS: Array<[string, string, number]> = [
  ['KB-101', 'Mechanical keyboard', 89.9],
  ['MS-220', 'Wireless mouse', 24.5],
  ['MN-270', '27" monitor', 229],
  ['HD-512', '512 GB SSD', 54.99],
  ['CB-USB', 'USB-C cable', 9.99],
  ['HP-300', 'Headphones', 119],
  ['WC-900', 'Webcam', 64.9],
  ['DK-400', 'Docking station', 149],
  ['LP-STD', 'Laptop stand', 39.95],
  ['CH-ERG', 'Office chair', 310],
];
/** Weighted: most orders are on their way or done. */
const STATUSES: Array<[OrderStatus, number]> = [
  ['placed', 20],
  ['paid', 25],
  ['shipped', 25],
  ['delivered', 22],
  ['cancelled', 8],
];

/** mulberry32: a small seeded PRNG (quality is plenty for sample data). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Customer {
  id: string;
  name: string;
  country: string;
  currency: string;
}

export function customers(count: number, rnd: () => number): Customer[] {
  const out: Customer[] = [];
  for (let i = 0; i < count; i++) {
    const [country, currency] = COUNTRIES[Math.floor(rnd() * COUNTRIES.length)]!;
    const name = `${FIRST[Math.floor(rnd() * FIRST.length)]} ${LAST[Math.floor(rnd() * LAST.length)]}`;
    out.push({ id: `C${String(1001 + i)}`, name, country, currency });
  }
  return out;
}

/** Makes orders one after another; `next(now)` is the next event, stamped `now`. */
export class OrderGenerator {
  private readonly rnd: () => number;
  private readonly people: Customer[];
  /** Weight per customer: a few customers order much more than the rest, as in real shops. */
  private readonly weights: number[];
  private readonly totalWeight: number;
  private seq = 0;

  constructor(seed = 42, customerCount = 200) {
    this.rnd = random(seed);
    this.people = customers(customerCount, this.rnd);
    this.weights = this.people.map((_, i) => 1 / (i + 1) ** 0.6);
    this.totalWeight = this.weights.reduce((a, b) => a + b, 0);
  }

  private customer(): Customer {
    let r = this.rnd() * this.totalWeight;
    for (let i = 0; i < this.people.length; i++) {
      r -= this.weights[i]!;
      if (r <= 0) return this.people[i]!;
    }
    return this.people[this.people.length - 1]!;
  }

  next(now = Date.now()): OrderEvent {
    const c = this.customer();
    const lines = 1 + Math.floor(this.rnd() * 4);
    const items: OrderItem[] = [];
    for (let i = 0; i < lines; i++) {
      const [sku, name, unitPrice] = PRODUCTS[Math.floor(this.rnd() * PRODUCTS.length)]!;
      items.push({ sku, name, quantity: 1 + Math.floor(this.rnd() * 3), unitPrice });
    }
    const amount = Math.round(items.reduce((s, it) => s + it.quantity * it.unitPrice, 0) * 100) / 100;
    let r = this.rnd() * 100;
    let status: OrderStatus = 'placed';
    for (const [s, w] of STATUSES) {
      r -= w;
      if (r <= 0) {
        status = s;
        break;
      }
    }
    this.seq++;
    return {
      orderId: `O-${String(this.seq).padStart(8, '0')}`,
      customer: { id: c.id, name: c.name, country: c.country },
      items,
      amount,
      currency: c.currency,
      timestamp: new Date(now).toISOString(),
      status,
    };
  }
}
