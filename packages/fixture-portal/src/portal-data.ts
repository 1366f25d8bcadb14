// The portal's seeded data. Everything is derived from one seed through a small PRNG, so the same
// seed gives the same users, orders, ids, totals, jobs and reports on every machine; tests compare
// what a browser extracted with these records.

/** A portal account. */
export type PortalUser = {
  email: string;
  password: string;
  name: string;
  company: string;
  /** Base32 RFC 6238 secret (SHA-1, 6 digits, 30 s). */
  totpSecret: string;
  /** A locked user's correct password is answered with "Account has been locked or suspended". */
  locked: boolean;
};

/** Order statuses, in the order the status filter lists them. */
export const ORDER_STATUSES = ['pending', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
/** One of `ORDER_STATUSES`. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A line of an order. Money is a number with two decimals. */
export type OrderItem = { sku: string; name: string; quantity: number; unitPrice: number; amount: number };

/** A seeded order of the demo user's company. */
export type Order = {
  /** `ORD-10001`, ascending by date. */
  id: string;
  /** `INV-2026-10001`: printed on the invoice PDF. */
  invoiceId: string;
  /** ISO date `2026-03-14`. */
  date: string;
  status: OrderStatus;
  items: OrderItem[];
  subtotal: number;
  shipping: number;
  tax: number;
  total: number;
  currency: 'USD';
  shipTo: string;
  /** Present once the order has shipped. */
  trackingNumber?: string;
};

/** Employment types of the job board. */
export const JOB_TYPES = ['Full-time', 'Part-time', 'Contract', 'Internship'] as const;
/** One of `JOB_TYPES`. */
export type JobType = (typeof JOB_TYPES)[number];

/** A question on a job's application form. */
export type JobQuestion = { name: string; label: string; kind: 'text' | 'textarea' | 'url'; required: boolean };

/** A job posting of the job board. */
export type Job = {
  /** `JOB-2001`. */
  id: string;
  title: string;
  employer: string;
  location: string;
  type: JobType;
  salary: string;
  /** ISO date. */
  postedDate: string;
  description: string;
  /** The application questions besides name and email (three or four). */
  questions: JobQuestion[];
};

/** A row of a report table. */
export type ReportRow = { region: string; product: string; units: number; revenue: number };

/** A monthly sales report; `data.reports[0]` is the latest and becomes ready only after a delay. */
export type Report = {
  /** `RPT-2026-06`. */
  id: string;
  title: string;
  /** ISO timestamp. */
  generatedAt: string;
  rowCount: number;
  rows: ReportRow[];
};

/** Everything the portal serves. */
export type PortalData = {
  seed: number;
  users: PortalUser[];
  /** Ascending by date and id. */
  orders: Order[];
  jobs: Job[];
  /** Newest first; the first is "the latest report". */
  reports: Report[];
};

/** The demo user's fixed credentials. */
export const DEMO_USER = {
  email: 'demo@petrel.test',
  password: 'petrel-demo-2026',
  totpSecret: 'PETRELDEMOSECRETTOTPKEY234567ABC',
} as const;

/** The locked user's fixed credentials. */
export const LOCKED_USER = {
  email: 'locked@petrel.test',
  password: 'petrel-locked-2026',
  totpSecret: 'LOCKEDUSERSECRETTOTPKEY234567ABC',
} as const;

/** The seed used when none is given. */
export const DEFAULT_SEED = 2026;

/** mulberry32: a tiny, well-known 32-bit PRNG; quality is ample for fixture data. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof createRandom>;

function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('portal-data: pick from an empty list');
  return item;
}

/** Cents to a number with two decimals (integer arithmetic keeps totals exact). */
function money(cents: number): number {
  return Math.round(cents) / 100;
}

const PRODUCTS = [
  { sku: 'BEAN-ETH-1KG', name: 'Ethiopia Yirgacheffe beans, 1 kg', cents: 3450 },
  { sku: 'BEAN-COL-1KG', name: 'Colombia Huila beans, 1 kg', cents: 2890 },
  { sku: 'BEAN-BRA-5KG', name: 'Brazil Cerrado beans, 5 kg', cents: 11900 },
  { sku: 'BEAN-KEN-1KG', name: 'Kenya AA beans, 1 kg', cents: 3975 },
  { sku: 'BEAN-DEC-1KG', name: 'Swiss Water decaf beans, 1 kg', cents: 3120 },
  { sku: 'FLT-V60-100', name: 'Paper filters V60, pack of 100', cents: 699 },
  { sku: 'CUP-12OZ-500', name: 'Compostable cups 12 oz, case of 500', cents: 6450 },
  { sku: 'LID-12OZ-500', name: 'Cup lids 12 oz, case of 500', cents: 2925 },
  { sku: 'MLK-OAT-12', name: 'Oat milk barista edition, 12 x 1 L', cents: 3588 },
  { sku: 'GRD-BURR-01', name: 'Commercial burr grinder', cents: 84900 },
  { sku: 'KTL-GOOSE-01', name: 'Gooseneck kettle', cents: 7950 },
  { sku: 'SYR-VAN-6', name: 'Vanilla syrup, 6 x 750 ml', cents: 4194 },
  { sku: 'CLN-TAB-120', name: 'Espresso machine cleaning tablets, 120', cents: 2499 },
  { sku: 'TMP-58-01', name: 'Stainless tamper 58 mm', cents: 3900 },
] as const;

const SHIP_TO = [
  'Ember Roasters, 12 Harbour Street, Portland, OR 97204',
  'Ember Roasters Cafe, 88 Mill Lane, Seattle, WA 98101',
  'Ember Roasters Kiosk, Terminal B, Oakland, CA 94621',
] as const;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30] as const; // January-June 2026

function isoDate(dayOfYear: number): string {
  let day = dayOfYear;
  for (let m = 0; m < MONTH_DAYS.length; m++) {
    const length = MONTH_DAYS[m] ?? 0;
    if (day < length) return `2026-${String(m + 1).padStart(2, '0')}-${String(day + 1).padStart(2, '0')}`;
    day -= length;
  }
  throw new Error('portal-data: day out of range');
}

const ORDER_COUNT = 240;
const DAYS = MONTH_DAYS.reduce((a, b) => a + b, 0);

function createOrders(random: Random): Order[] {
  const days = Array.from({ length: ORDER_COUNT }, () => int(random, 0, DAYS - 1)).sort((a, b) => a - b);
  return days.map((day, index) => {
    const number = 10001 + index;
    const itemCount = int(random, 1, 4);
    const skus = new Set<number>();
    while (skus.size < itemCount) skus.add(int(random, 0, PRODUCTS.length - 1));
    const items: OrderItem[] = [...skus].map((p) => {
      const product = PRODUCTS[p] ?? PRODUCTS[0];
      const quantity = product.cents > 50000 ? 1 : int(random, 1, 12);
      return { sku: product.sku, name: product.name, quantity, unitPrice: money(product.cents), amount: money(product.cents * quantity) };
    });
    const subtotalCents = items.reduce((sum, item) => sum + Math.round(item.amount * 100), 0);
    const shippingCents = subtotalCents >= 25000 ? 0 : 1495;
    const taxCents = Math.round(subtotalCents * 0.0725);
    // Older orders have mostly arrived; the last three weeks are still moving.
    const age = DAYS - 1 - day;
    const roll = random();
    const status: OrderStatus =
      age < 7 ? (roll < 0.7 ? 'pending' : 'shipped')
      : age < 21 ? (roll < 0.2 ? 'pending' : roll < 0.85 ? 'shipped' : 'delivered')
      : roll < 0.8 ? 'delivered'
      : roll < 0.9 ? 'cancelled'
      : roll < 0.96 ? 'refunded'
      : 'shipped';
    const order: Order = {
      id: `ORD-${number}`,
      invoiceId: `INV-2026-${number}`,
      date: isoDate(day),
      status,
      items,
      subtotal: money(subtotalCents),
      shipping: money(shippingCents),
      tax: money(taxCents),
      total: money(subtotalCents + shippingCents + taxCents),
      currency: 'USD',
      shipTo: pick(random, SHIP_TO),
    };
    if (status === 'shipped' || status === 'delivered') order.trackingNumber = `1Z${String(int(random, 10_000_000, 99_999_999))}${number}`;
    return order;
  });
}

const EMPLOYERS = ['Ember Roasters', 'Northwind Logistics', 'Bluefin Analytics', 'Harbor Health', 'Copperleaf Bank', 'Tidewater Energy'] as const;
const LOCATIONS = ['Portland, USA', 'Seattle, USA', 'Remote, USA', 'Vancouver, Canada', 'Berlin, Germany', 'London, UK'] as const;
const TITLES = [
  ['Senior Backend Engineer', 'Build and run the services behind our ordering platform in TypeScript and PostgreSQL.'],
  ['Frontend Engineer', 'Own the customer-facing web app: accessible forms, fast pages, careful design.'],
  ['Data Analyst', 'Turn sales and supply data into weekly reports and dashboards that people act on.'],
  ['QA Automation Engineer', 'Write browser tests that catch regressions before our customers do.'],
  ['Site Reliability Engineer', 'Keep our platform fast and available; automate everything you do twice.'],
  ['Product Designer', 'Design workflows for operations teams, from research to polished UI.'],
  ['Customer Support Specialist', 'Help wholesale customers with orders, invoices and deliveries.'],
  ['Operations Coordinator', 'Plan shipments, coordinate suppliers and keep the warehouse moving.'],
  ['Machine Learning Engineer', 'Ship forecasting models that decide what we roast and when.'],
  ['Technical Writer', 'Write the guides and API references our integrators rely on.'],
  ['Marketing Intern', 'Support campaigns, write copy and learn how a growing brand works.'],
  ['Account Executive', 'Win and grow wholesale accounts across the region.'],
] as const;

const SALARIES: Record<JobType, readonly string[]> = {
  'Full-time': ['$95,000 - $120,000', '$120,000 - $150,000', '$140,000 - $175,000', '$70,000 - $85,000'],
  'Part-time': ['$28 - $34 per hour', '$24 - $30 per hour'],
  Contract: ['$70 - $95 per hour', '$55 - $75 per hour'],
  Internship: ['$22 per hour', '$25 per hour'],
};

function createJobs(random: Random): Job[] {
  return Array.from({ length: 24 }, (_, index) => {
    const [title, summary] = pick(random, TITLES);
    const employer = pick(random, EMPLOYERS);
    const roll = random();
    const type: JobType = title.includes('Intern') ? 'Internship' : roll < 0.65 ? 'Full-time' : roll < 0.85 ? 'Contract' : 'Part-time';
    const questions: JobQuestion[] = [
      { name: 'motivation', label: `Why do you want to work at ${employer}?`, kind: 'textarea', required: true },
      { name: 'project', label: 'Describe a project you are proud of and your role in it.', kind: 'textarea', required: true },
      { name: 'startDate', label: 'When could you start?', kind: 'text', required: false },
    ];
    if (random() < 0.5) questions.push({ name: 'portfolio', label: 'Link to your portfolio or LinkedIn profile', kind: 'url', required: false });
    return {
      id: `JOB-${2001 + index}`,
      title,
      employer,
      location: pick(random, LOCATIONS),
      type,
      salary: pick(random, SALARIES[type]),
      postedDate: isoDate(int(random, 120, DAYS - 1)),
      description: `${summary} You will join a small team at ${employer} that ships every week and talks to customers directly.`,
      questions,
    };
  });
}

const REGIONS = ['North', 'South', 'East', 'West', 'Central'] as const;
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June'] as const;

function createReports(random: Random): Report[] {
  const reports = MONTH_NAMES.map((month, m) => {
    const rowCount = int(random, 8, 16);
    const rows: ReportRow[] = Array.from({ length: rowCount }, () => {
      const product = pick(random, PRODUCTS);
      const units = int(random, 5, 400);
      return { region: pick(random, REGIONS), product: product.name, units, revenue: money(units * product.cents) };
    });
    const next = String(m + 2).padStart(2, '0');
    return {
      id: `RPT-2026-${String(m + 1).padStart(2, '0')}`,
      title: `Monthly sales summary - ${month} 2026`,
      generatedAt: `2026-${next}-01T06:${String(int(random, 0, 59)).padStart(2, '0')}:00Z`,
      rowCount,
      rows,
    };
  });
  return reports.toReversed();
}

/** Builds the seeded data; the same seed always gives equal data. */
export function createPortalData(seed: number = DEFAULT_SEED): PortalData {
  if (!Number.isSafeInteger(seed)) throw new Error(`createPortalData: seed must be an integer, got ${String(seed)}`);
  const random = createRandom(seed);
  const users: PortalUser[] = [
    { ...DEMO_USER, name: 'Dana Demo', company: 'Ember Roasters', locked: false },
    { ...LOCKED_USER, name: 'Lee Locked', company: 'Ember Roasters', locked: true },
  ];
  return { seed, users, orders: createOrders(random), jobs: createJobs(random), reports: createReports(random) };
}
