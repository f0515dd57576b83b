import { QueryTypes, UniqueConstraintError, type Sequelize } from 'sequelize';
import { z } from 'zod';
import { decoyHash, hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from './passwords.js';

/** What a signed-in person may do: admins everything, agents the conversations only. */
export const ROLES = ['admin', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** An agent account as pages and sessions see it; the password hash never leaves this module. */
export interface Agent {
  id: number;
  name: string;
  email: string;
  role: Role;
  created_at: Date;
}

/** Input of "Add agent": trimmed, email lowercased (one account per address, however typed). */
export const newAgentSchema = z.strictObject({
  name: z.string().trim().min(1, 'Enter a name.').max(100, 'At most 100 characters.'),
  email: z.string().trim().toLowerCase().max(255, 'At most 255 characters.').pipe(z.email('Enter an email address.')),
  password: z.string().min(PASSWORD_MIN, `At least ${PASSWORD_MIN} characters.`).max(PASSWORD_MAX, `At most ${PASSWORD_MAX} characters.`),
  role: z.enum(ROLES, 'Choose admin or agent.'),
});
export type NewAgent = z.output<typeof newAgentSchema>;

/** An email that is already taken, as a field error. */
export class DuplicateEmailError extends Error {
  readonly code = 'ERR_DUPLICATE_EMAIL';
  constructor(cause?: unknown) {
    super('An agent with this email already exists.', { cause });
  }
}

type Row = Agent & { password_hash: string };
const toAgent = (row: Row): Agent => ({ id: Number(row.id), name: row.name, email: row.email, role: row.role === 'admin' ? 'admin' : 'agent', created_at: new Date(row.created_at) });

/** The `agents` table (migrations/0010): accounts people sign in with at /admin. */
export class AgentStore {
  constructor(private readonly sequelize: Sequelize) {}

  async create(input: NewAgent, now = new Date()): Promise<Agent> {
    const password_hash = await hashPassword(input.password);
    try {
      await this.sequelize.getQueryInterface().bulkInsert('agents', [
        { name: input.name, email: input.email, password_hash, role: input.role, created_at: now, updated_at: now },
      ]);
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw new DuplicateEmailError(err);
      throw err;
    }
    const agent = await this.#one('SELECT * FROM agents WHERE email = ?', input.email);
    return agent!;
  }

  async list(): Promise<Agent[]> {
    const rows = await this.sequelize.query<Row>('SELECT * FROM agents ORDER BY name, id', { type: QueryTypes.SELECT });
    return rows.map(toAgent);
  }

  async findById(id: number): Promise<Agent | null> {
    return this.#one('SELECT * FROM agents WHERE id = ?', id);
  }

  /** Whether an account exists for this email: which account a failed sign-in is aimed at. */
  async emailExists(email: string): Promise<boolean> {
    return (await this.#one('SELECT * FROM agents WHERE email = ?', normalizeEmail(email))) !== null;
  }

  /** Removes an account; its sessions stop working at their next request (see SessionTokens). */
  async remove(id: number): Promise<boolean> {
    const [found] = await this.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM agents WHERE id = ?', { replacements: [id], type: QueryTypes.SELECT });
    if (Number(found?.n ?? 0) === 0) return false;
    await this.sequelize.query('DELETE FROM agents WHERE id = ?', { replacements: [id] });
    return true;
  }

  /**
   * The agent these credentials belong to, or null. An unknown email still costs one scrypt, so
   * the time taken does not tell a guesser which addresses have accounts.
   */
  async authenticate(email: string, password: string): Promise<Agent | null> {
    const rows = await this.sequelize.query<Row>('SELECT * FROM agents WHERE email = ?', { replacements: [normalizeEmail(email)], type: QueryTypes.SELECT });
    const row = rows[0];
    const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
    return row && ok ? toAgent(row) : null;
  }

  async #one(sql: string, value: string | number): Promise<Agent | null> {
    const rows = await this.sequelize.query<Row>(sql, { replacements: [value], type: QueryTypes.SELECT });
    return rows[0] ? toAgent(rows[0]) : null;
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
