import type { Sequelize, Transaction } from 'sequelize';
import { chatModels, type VisitorRow } from './models.js';

export type ContactDetails = { name?: string; email?: string; phone?: string };

/** The `visitors` table: who a token belongs to and how to reach them. */
export function visitorsRepository(sequelize: Sequelize) {
  const { Visitor } = chatModels(sequelize);
  const plain = (row: { get(o: { plain: true }): VisitorRow } | null) => (row ? row.get({ plain: true }) : null);

  return {
    async findByTokenHash(tokenHash: string, t?: Transaction): Promise<VisitorRow | null> {
      return plain(await Visitor.findOne({ where: { token_hash: tokenHash }, transaction: t }));
    },

    /** Reads and write-locks the visitor, so one visitor's conversation changes run one at a time. */
    async lock(id: number, t: Transaction): Promise<VisitorRow | null> {
      return plain(await Visitor.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE }));
    },

    async insert(fields: { tokenHash: string; ip: string | null; now: Date } & ContactDetails, t: Transaction): Promise<VisitorRow> {
      const row = await Visitor.create(
        {
          token_hash: fields.tokenHash,
          name: fields.name ?? null,
          email: fields.email ?? null,
          phone: fields.phone ?? null,
          ip: fields.ip,
          created_at: fields.now,
          updated_at: fields.now,
        },
        { transaction: t },
      );
      return row.get({ plain: true });
    },

    /** Records the details a visitor gave and the address they came from; absent fields stay. */
    async updateContact(id: number, fields: ContactDetails & { ip: string | null; now: Date }, t: Transaction): Promise<void> {
      const changes: Partial<VisitorRow> = { updated_at: fields.now };
      if (fields.name !== undefined) changes.name = fields.name;
      if (fields.email !== undefined) changes.email = fields.email;
      if (fields.phone !== undefined) changes.phone = fields.phone;
      if (fields.ip !== null) changes.ip = fields.ip;
      await Visitor.update(changes, { where: { id }, transaction: t });
    },
  };
}

export type VisitorsRepository = ReturnType<typeof visitorsRepository>;
