/**
 * Reads meter CSV files in the two formats the simulator replays:
 *  - classic `sensor.csv`: no header, one cumulative register value per line,
 *    one line per meter interval (timestamps are assigned by the simulator);
 *  - a table with the header `timestamp,device_id,measurement_value` (columns
 *    in any order), where each row names its own time and device.
 * A bad line is an error naming the file and line number: replaying a file
 * with a hole in it would quietly invent a meter reset or a gap.
 */
export class CsvError extends Error {
  override name = 'CsvError';
  constructor(
    readonly source: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${source} line ${line}: ${problem}`);
  }
}

/** One row of a table CSV, with its time already resolved to epoch ms. */
export interface TableRow {
  deviceId: string;
  at: number;
  value: number;
}

export type MeterCsv = { format: 'register'; values: number[] } | { format: 'table'; rows: TableRow[] };

const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH_MS = /^\d{10,15}$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

const COLUMN_ALIASES: Record<string, 'timestamp' | 'deviceId' | 'value'> = {
  timestamp: 'timestamp',
  device_id: 'deviceId',
  deviceid: 'deviceId',
  measurement_value: 'value',
  value: 'value',
};

/** Parses either format; `source` names the file in error messages. */
export function parseMeterCsv(text: string, source = 'csv'): MeterCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // One trailing newline is how every editor ends a file; it is not a blank line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new CsvError(source, 1, 'the file is empty');
  const first = lines[0]!.trim();
  if (/[a-z_]/i.test(first) && !NUMBER.test(first)) return parseTable(lines, source);
  return { format: 'register', values: lines.map((line, i) => parseValue(line.trim(), source, i + 1)) };
}

function parseValue(cell: string, source: string, line: number): number {
  if (cell === '') throw new CsvError(source, line, 'blank line (expected a meter value)');
  if (!NUMBER.test(cell)) throw new CsvError(source, line, `"${cell}" is not a non-negative number`);
  const value = Number(cell);
  if (!Number.isFinite(value)) throw new CsvError(source, line, `"${cell}" is not a finite number`);
  return value;
}

function parseTable(lines: string[], source: string): MeterCsv {
  const header = lines[0]!.split(',').map((name) => name.trim().toLowerCase());
  const index = { timestamp: -1, deviceId: -1, value: -1 };
  header.forEach((name, i) => {
    const column = COLUMN_ALIASES[name];
    if (column) index[column] = i;
  });
  const missing = Object.entries(index)
    .filter(([, i]) => i < 0)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new CsvError(
      source,
      1,
      `header "${lines[0]}" lacks ${missing.join(', ')}; expected timestamp,device_id,measurement_value`,
    );
  }
  const rows: TableRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!;
    if (raw.trim() === '')
      throw new CsvError(source, line, 'blank line (expected timestamp,device_id,value)');
    const cells = raw.split(',').map((cell) => cell.trim());
    if (cells.length !== header.length) {
      throw new CsvError(source, line, `expected ${header.length} columns, found ${cells.length}`);
    }
    const deviceId = cells[index.deviceId]!;
    if (deviceId === '') throw new CsvError(source, line, 'empty device_id');
    rows.push({
      deviceId,
      at: parseTime(cells[index.timestamp]!, source, line),
      value: parseValue(cells[index.value]!, source, line),
    });
  }
  if (rows.length === 0) throw new CsvError(source, 2, 'no rows after the header');
  return { format: 'table', rows };
}

function parseTime(cell: string, source: string, line: number): number {
  if (EPOCH_MS.test(cell)) return Number(cell);
  if (ISO_WITH_OFFSET.test(cell)) {
    const ms = Date.parse(cell.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms;
  }
  throw new CsvError(
    source,
    line,
    `"${cell}" is not a timestamp (ISO 8601 with an offset, or epoch milliseconds)`,
  );
}
