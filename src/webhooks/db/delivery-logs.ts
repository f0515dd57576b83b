import { QueryTypes, type Sequelize } from 'sequelize';
import { parseBool, parseDate } from './values.js';

/**
 * Read side of the delivery log for the REST API and the admin pages: one webhook's deliveries a
 * page at a time, and one delivery with every attempt. The engine owns the writes.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryLog {
  rowId: number;
  deliveryId: string;
  event: string;
  status: DeliveryStatus;
  isTest: boolean;
  attemptNumber: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** The newest attempt's response body, as stored (at most 64 KiB); null before the first attempt. */
  lastResponseBody: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryAttemptLog {
  attemptNumber: number;
  requestHeaders: Record<string, string>;
  responseStatus: number | null;
  responseBody: string | null;
  durationMs: number;
  error: string | null;
  cause: string;
  createdAt: Date;
}

export interface DeliveryLogDetail extends DeliveryLog {
  body: string;
  attempts: DeliveryAttemptLog[];
}

export interface DeliveryPage {
  rows: DeliveryLog[];
  total: number;
}

// The request body (up to 16 MiB) is left out of listings on purpose.
const LIST_COLUMNS =
  'id, delivery_id, event, status, is_test, attempt_number, next_attempt_at, last_status_code, last_error, delivered_at, created_at, updated_at';

/**
 * The newest attempt's response body, which the seed's clients read on every log entry. A
 * correlated lookup on the attempts' (delivery_row_id, attempt_number) index: one index probe
 * per listed row, inside the same query.
 */
const LAST_RESPONSE_BODY = `(SELECT a.response_body FROM webhook_delivery_attempts a
    WHERE a.delivery_row_id = webhook_deliveries.id ORDER BY a.attempt_number DESC, a.id DESC LIMIT 1) AS last_response_body`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROW_ID = /^[1-9]\d{0,15}$/;

export class DeliveryLogs {
  constructor(private readonly sequelize: Sequelize) {}

  /** Newest first, optionally one status and one event only. `offset` past the end gives an empty page, not an error. */
  async page(webhookId: number, options: { page: number; perPage: number; status?: DeliveryStatus; event?: string }): Promise<DeliveryPage> {
    // Every value is bound (the status, the event and the numbers are checked before, but bound is bound).
    const conditions = ['webhook_id = $1'];
    const params: unknown[] = [webhookId];
    for (const [column, value] of [['status', options.status], ['event', options.event]] as const) {
      if (value === undefined) continue;
      params.push(value);
      conditions.push(`${column} = $${params.length}`);
    }
    const where = conditions.join(' AND ');
    const [countRow] = await this.sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE ${where}`, {
      bind: params,
      type: QueryTypes.SELECT,
    });
    const total = Number(countRow?.n ?? 0);
    const offset = (options.page - 1) * options.perPage;
    if (offset >= total) return { rows: [], total };
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${LIST_COLUMNS}, ${LAST_RESPONSE_BODY} FROM webhook_deliveries WHERE ${where} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      { bind: [...params, options.perPage, offset], type: QueryTypes.SELECT },
    );
    return { rows: rows.map(toDeliveryLog), total };
  }

  /**
   * One delivery of this webhook with its attempts (oldest first), by delivery_id or row id;
   * null when it does not exist or belongs to another webhook.
   */
  async find(webhookId: number, ref: string): Promise<DeliveryLogDetail | null> {
    const column = deliveryRefColumn(ref);
    if (!column) return null;
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${LIST_COLUMNS}, body FROM webhook_deliveries WHERE ${column} = $1 AND webhook_id = $2`,
      { bind: [column === 'id' ? Number(ref) : ref.toLowerCase(), webhookId], type: QueryTypes.SELECT },
    );
    if (!row) return null;
    const attempts = await this.sequelize.query<Record<string, unknown>>(
      `SELECT attempt_number, request_headers, response_status, response_body, duration_ms, error, cause, created_at
         FROM webhook_delivery_attempts WHERE delivery_row_id = $1 ORDER BY attempt_number, id`,
      { bind: [Number(row.id)], type: QueryTypes.SELECT },
    );
    const logs = attempts.map(toAttemptLog);
    // Attempts come oldest first, so the last one is the newest, as the list's lookup picks it.
    const lastResponseBody = logs.at(-1)?.responseBody ?? null;
    return { ...toDeliveryLog({ ...row, last_response_body: lastResponseBody }), body: String(row.body), attempts: logs };
  }

  /** The delivery_id a path segment names (a UUID or a row id) within this webhook, or null. */
  async resolveDeliveryId(webhookId: number, ref: string): Promise<string | null> {
    const column = deliveryRefColumn(ref);
    if (!column) return null;
    const [row] = await this.sequelize.query<{ delivery_id: string }>(
      `SELECT delivery_id FROM webhook_deliveries WHERE ${column} = $1 AND webhook_id = $2`,
      { bind: [column === 'id' ? Number(ref) : ref.toLowerCase(), webhookId], type: QueryTypes.SELECT },
    );
    return row?.delivery_id ?? null;
  }
}

function deliveryRefColumn(ref: string): 'delivery_id' | 'id' | null {
  if (UUID.test(ref)) return 'delivery_id';
  if (ROW_ID.test(ref)) return 'id';
  return null;
}

function toDeliveryLog(row: Record<string, unknown>): DeliveryLog {
  return {
    rowId: Number(row.id),
    deliveryId: String(row.delivery_id),
    event: String(row.event),
    status: String(row.status) as DeliveryStatus,
    isTest: parseBool(row.is_test),
    attemptNumber: Number(row.attempt_number),
    nextAttemptAt: parseDate(row.next_attempt_at),
    lastStatusCode: toNumber(row.last_status_code),
    lastError: row.last_error == null ? null : String(row.last_error),
    lastResponseBody: row.last_response_body == null ? null : String(row.last_response_body),
    deliveredAt: parseDate(row.delivered_at),
    createdAt: parseDate(row.created_at) ?? new Date(0),
    updatedAt: parseDate(row.updated_at) ?? new Date(0),
  };
}

function toAttemptLog(row: Record<string, unknown>): DeliveryAttemptLog {
  return {
    attemptNumber: Number(row.attempt_number),
    requestHeaders: parseHeaders(row.request_headers),
    responseStatus: toNumber(row.response_status),
    responseBody: row.response_body == null ? null : String(row.response_body),
    durationMs: Number(row.duration_ms),
    error: row.error == null ? null : String(row.error),
    cause: String(row.cause),
    createdAt: parseDate(row.created_at) ?? new Date(0),
  };
}

/** Stored as JSON text; a row written by an older version may hold anything. */
function parseHeaders(value: unknown): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(String(value));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
    }
  } catch {
    // fall through
  }
  return {};
}

function toNumber(value: unknown): number | null {
  return value == null ? null : Number(value);
}

