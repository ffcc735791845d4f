// format.js - Japanese display helpers: 和暦 dates and fiscal years (Intl's Japanese calendar), numbers.
//
// The API speaks ISO 8601 (SPEC "Vocabulary"); the UI shows the era as the seed report does
// (令和6年3月31日, 令和5年度末). Intl.DateTimeFormat with the Japanese calendar knows the era
// boundaries (平成31年4月30日 → 令和元年5月1日), so no era table is written by hand here.

const ERA_DAY = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', {
  era: 'long', year: 'numeric', month: 'long', day: 'numeric',
});
const ERA_YEAR = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', { era: 'long', year: 'numeric' });
const ERA_TIME = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', {
  era: 'long', year: 'numeric', month: 'long', day: 'numeric',
  hour: 'numeric', minute: '2-digit', timeZone: 'Asia/Tokyo',
});
const INTEGER = new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 0 });

/** parseIsoDate('2024-03-31') → a local Date at midnight, or null when the text is not a date.
 *  (new Date('2024-03-31') would be UTC midnight and show the previous day west of Greenwich.) */
export function parseIsoDate(text) {
  if (typeof text !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  const date = new Date(y, mo - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date;
}

/** Joins formatToParts output, writing year 1 of an era as 元 (令和元年) as official documents do. */
function eraText(parts) {
  return parts.map((p) => (p.type === 'year' && p.value === '1' ? '元' : p.value)).join('');
}

/** warekiDate('2024-03-31') → '令和6年3月31日'; the input unchanged when it is not a date. */
export function warekiDate(iso) {
  const d = parseIsoDate(iso);
  return d ? eraText(ERA_DAY.formatToParts(d)) : String(iso ?? '');
}

/** warekiMonth('2024-10-31') → '令和6年10月'. */
export function warekiMonth(iso) {
  const d = parseIsoDate(iso);
  if (!d) return String(iso ?? '');
  return `${eraText(ERA_YEAR.formatToParts(d))}${d.getMonth() + 1}月`;
}

/** warekiDateTime('2024-05-10T09:00:00+09:00') → '令和6年5月10日 9:00' (Japan time). */
export function warekiDateTime(ts) {
  const d = new Date(ts);
  if (typeof ts !== 'string' || Number.isNaN(d.getTime())) return String(ts ?? '');
  return eraText(ERA_TIME.formatToParts(d));
}

/** fiscalYearOf(date) → the fiscal year (April–March) a date falls in: 2024-03-31 → 2023. */
export function fiscalYearOf(date) {
  return date.getMonth() >= 3 ? date.getFullYear() : date.getFullYear() - 1;
}

/** fiscalYearLabel(2023) → '令和5年度'. The era is the one in force on May 1 of that fiscal year,
 *  so FY2019 (平成31年4月 – 令和2年3月) is 令和元年度, as the government names it. */
export function fiscalYearLabel(fy) {
  return `${eraText(ERA_YEAR.formatToParts(new Date(fy, 4, 1)))}度`;
}

/** asOfLabel('2024-03-31') → '令和5年度末'; '2023-09-30' → '令和5年9月末'; otherwise the 和暦 date. */
export function asOfLabel(iso) {
  const d = parseIsoDate(iso);
  if (!d) return String(iso ?? '');
  const next = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1);
  if (next.getDate() !== 1) return warekiDate(iso);
  if (d.getMonth() === 2) return `${fiscalYearLabel(fiscalYearOf(d))}末`;
  return `${warekiMonth(iso)}末`;
}

/** formatCount(6841) → '6,841'. */
export function formatCount(n) {
  return typeof n === 'number' && Number.isFinite(n) ? INTEGER.format(n) : '—';
}

/** formatPercent(78.1) → '78.1%'. The API has already rounded (half away from zero); toFixed(1)
 *  of a one-decimal value only pads, it never re-rounds. */
export function formatPercent(p) {
  return typeof p === 'number' && Number.isFinite(p) ? `${p.toFixed(1)}%` : '—';
}

/** formatAttainment(0.6954) → '69.5%': a KPI's attainment, which the API gives as an unrounded
 *  fraction, written as a percent with one decimal. Rounded half away from zero on the decimal
 *  value (first to 15 significant digits), as SPEC "Precise semantics" rounds every figure, so the
 *  page writes what the report writes. Only the writing happens here: the fraction is the API's. */
export function formatAttainment(f) {
  if (typeof f !== 'number' || !Number.isFinite(f)) return '—';
  const digits = Math.abs(f * 100).toPrecision(15);
  let tenths = 0n;
  if (!/e/i.test(digits)) { // an exponent form is below 1e-6 % (rounds to 0.0) or absurdly large
    const [int, frac = ''] = digits.split('.');
    tenths = BigInt(int + (frac[0] || '0')) + ((frac[1] || '0') >= '5' ? 1n : 0n);
  } else if (Math.abs(f * 100) >= 1) {
    return `${(f * 100).toFixed(1)}%`;
  }
  const sign = f < 0 && tenths > 0n ? '-' : '';
  return `${sign}${tenths / 10n}.${tenths % 10n}%`;
}

/** formatScore(61.5) → '61.5'; null → '—' (no score: every component was null). */
export function formatScore(s) {
  return typeof s === 'number' && Number.isFinite(s) ? s.toFixed(1) : '—';
}

/** formatNumber(0.425) → '0.425': a fact or rule value as a person reads it (no float noise). */
export function formatNumber(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  // amounts in yen read better grouped (8,000,000); small numbers such as years stay as written
  return new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 4, useGrouping: Math.abs(x) >= 10000 }).format(x);
}

/** formatAmount(6841) → '6,841'; a KPI value with grouping and up to two decimals. */
export function formatAmount(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 2 }).format(x);
}

/** formatValue(v) → a fact, input or result shown in Japanese: true/false/null spelled out. */
export function formatValue(v) {
  if (v === null || v === undefined) return 'なし（null）';
  if (v === true) return 'はい（true）';
  if (v === false) return 'いいえ（false）';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
