import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';

/** The chat tables of migrations/0001-create-chat-tables.ts (and 0008) as plain attribute types. */
export interface VisitorRow {
  id: number;
  token_hash: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  ip: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ConversationRow {
  id: number;
  visitor_id: number;
  status: 'open' | 'closed';
  visitor_name: string | null;
  visitor_email: string | null;
  visitor_phone: string | null;
  visitor_ip: string | null;
  current_url: string | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface MessageRow {
  id: number;
  conversation_id: number;
  content: string;
  is_from_admin: boolean;
  admin_name: string | null;
  /** The sender's visitor id, kept with `client_message_id` (migrations/0008); null for agents and older rows. */
  visitor_id: number | null;
  /** The id the visitor's client chose, unique per visitor: a resend finds the original by it. */
  client_message_id: string | null;
  created_at: Date;
  updated_at: Date;
}

type Creation<R extends { id: number }> = Omit<R, 'id'> & { id?: number };
export type ChatModels = {
  Visitor: ModelStatic<Model<VisitorRow, Creation<VisitorRow>>>;
  Conversation: ModelStatic<Model<ConversationRow, Creation<ConversationRow>>>;
  Message: ModelStatic<Model<MessageRow, Creation<MessageRow>>>;
};

const cache = new WeakMap<Sequelize, ChatModels>();

// Times are set by the caller (one clock for the row, the hook's occurredAt and the ack), so
// Sequelize's automatic timestamps are off.
const options = { underscored: true, timestamps: false } as const;
// Factories, not shared objects: Sequelize writes each attribute's field name into its definition.
const id = () => ({ type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true });
const date = () => ({ type: DataTypes.DATE(3), allowNull: false });
const text = (length: number) => ({ type: DataTypes.STRING(length), allowNull: true });

/** The chat's Sequelize models on this connection, defined once. */
export function chatModels(sequelize: Sequelize): ChatModels {
  let models = cache.get(sequelize);
  if (models) return models;
  models = {
    Visitor: sequelize.define(
      'ChatVisitor',
      {
        id: id(),
        token_hash: { type: DataTypes.CHAR(64), allowNull: false },
        name: text(255),
        email: text(255),
        phone: text(64),
        ip: text(64),
        created_at: date(),
        updated_at: date(),
      },
      { ...options, tableName: 'visitors' },
    ),
    Conversation: sequelize.define(
      'ChatConversation',
      {
        id: id(),
        visitor_id: { type: DataTypes.INTEGER, allowNull: false },
        status: { type: DataTypes.STRING(16), allowNull: false },
        visitor_name: text(255),
        visitor_email: text(255),
        visitor_phone: text(64),
        visitor_ip: text(64),
        current_url: text(2048),
        closed_at: { type: DataTypes.DATE(3), allowNull: true },
        created_at: date(),
        updated_at: date(),
      },
      { ...options, tableName: 'conversations' },
    ),
    Message: sequelize.define(
      'ChatMessage',
      {
        id: id(),
        conversation_id: { type: DataTypes.INTEGER, allowNull: false },
        content: { type: DataTypes.TEXT, allowNull: false },
        is_from_admin: { type: DataTypes.BOOLEAN, allowNull: false },
        admin_name: text(255),
        visitor_id: { type: DataTypes.INTEGER, allowNull: true },
        client_message_id: { type: DataTypes.STRING(64), allowNull: true },
        created_at: date(),
        updated_at: date(),
      },
      { ...options, tableName: 'messages' },
    ),
  };
  cache.set(sequelize, models);
  return models;
}
