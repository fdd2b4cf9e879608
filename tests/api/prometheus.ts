/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every
 * line must be a HELP, a TYPE or a sample of a declared family; histograms must be cumulative
 * and end with le="+Inf" equal to _count. Throws on the first violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[-+]?(?:\\d+\\.?\\d*(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?)|NaN|[-+]Inf)';
const HELP_RE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_RE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}=${LABEL_VALUE})(?:,${LABEL}=${LABEL_VALUE})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
const PAIR_RE = new RegExp(`(${LABEL})=(${LABEL_VALUE})`, 'g');

function parseValue(v: string): number {
  if (v === 'NaN') return Number.NaN;
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  if (families.has(sample)) return families.get(sample);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const f = families.get(sample.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    let m: RegExpExecArray | null;
    if ((m = HELP_RE.exec(line))) {
      if (helps.has(m[1]!)) throw new Error(`duplicate HELP, ${where}`);
      helps.set(m[1]!, m[2]!);
      return;
    }
    if ((m = TYPE_RE.exec(line))) {
      if (families.has(m[1]!)) throw new Error(`duplicate TYPE, ${where}`);
      families.set(m[1]!, { name: m[1]!, help: helps.get(m[1]!) ?? '', type: m[2] as Family['type'], samples: [] });
      return;
    }
    if (line.startsWith('#')) throw new Error(`unknown comment, ${where}`);
    if (!(m = SAMPLE_RE.exec(line))) throw new Error(`not a sample, ${where}`);
    const family = familyOf(m[1]!, families);
    if (!family) throw new Error(`sample before its TYPE, ${where}`);
    const labels: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(PAIR_RE)) {
      if (p[1]! in labels) throw new Error(`duplicate label, ${where}`);
      labels[p[1]!] = JSON.parse(p[2]!);
    }
    const value = parseValue(m[3]!);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value, ${where}`);
    family.samples.push({ name: m[1]!, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family) {
  const series = new Map<string, Sample[]>();
  const key = (s: Sample) =>
    JSON.stringify(
      Object.entries(s.labels)
        .filter(([k]) => k !== 'le')
        .sort(),
    );
  for (const s of f.samples.filter((s) => s.name === `${f.name}_bucket`)) {
    if (!('le' in s.labels)) throw new Error(`${f.name}: bucket without le`);
    series.set(key(s), [...(series.get(key(s)) ?? []), s]);
  }
  for (const [k, buckets] of series) {
    let prev = -1;
    let prevCount = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le!);
      if (!(le > prev)) throw new Error(`${f.name}${k}: le not increasing`);
      if (b.value < prevCount) throw new Error(`${f.name}${k}: buckets not cumulative`);
      prev = le;
      prevCount = b.value;
    }
    if (buckets.at(-1)!.labels.le !== '+Inf') throw new Error(`${f.name}${k}: no +Inf bucket`);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && key(s) === k);
    if (!count || count.value !== prevCount) throw new Error(`${f.name}${k}: _count differs from the +Inf bucket`);
  }
}

export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
