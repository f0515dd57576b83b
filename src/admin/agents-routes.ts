import express, { type Request, type Response, type Router } from 'express';
import { DuplicateEmailError, newAgentSchema, type AgentStore } from '../auth/agents.js';
import type { SessionTokens } from '../auth/session.js';
import { adminSession, requireAdminSession } from './auth.js';
import type { SafeHtml } from '../ui/html.js';
import { agentsBody, type AgentsPageState } from './pages/agents.js';

type Send = (req: Request, res: Response, title: string, script: string | undefined, body: SafeHtml, status?: number) => void;

const notices: Record<string, string> = { added: 'Agent added. They can sign in now.', removed: 'Agent removed and signed out.' };

/**
 * Admin → Agents (admins only): list, add (POST /admin/agents) and remove
 * (POST /admin/agents/:id/delete). Plain forms with the CSRF token; errors shown beside the fields.
 */
export function agentsRoutes(deps: { agents: AgentStore; tokens: SessionTokens; send: Send }): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const adminOnly = requireAdminSession(deps.tokens);

  const render = async (req: Request, res: Response, extra: Partial<AgentsPageState> = {}, status = 200) => {
    const session = adminSession(res)!;
    const state: AgentsPageState = { agents: await deps.agents.list(), selfId: session.agentId, csrfToken: deps.tokens.csrfToken(session), ...extra };
    deps.send(req, res, 'Agents', undefined, agentsBody(state), status);
  };

  router.get('/admin/agents', adminOnly, async (req, res) => {
    await render(req, res, { notice: notices[String(req.query.done)] });
  });

  router.post('/admin/agents', form, adminOnly, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input = { name: body.name, email: body.email, password: body.password, role: body.role ?? 'agent' };
    const values = { name: str(body.name), email: str(body.email), role: str(body.role) };
    const parsed = newAgentSchema.safeParse(input);
    if (!parsed.success) {
      const errors: AgentsPageState['errors'] = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as keyof NonNullable<AgentsPageState['errors']>;
        errors[key] ??= typeof input[key] === 'string' ? issue.message : 'Required.';
      }
      return render(req, res, { values, errors }, 422);
    }
    try {
      await deps.agents.create(parsed.data);
    } catch (err) {
      if (err instanceof DuplicateEmailError) return render(req, res, { values, errors: { email: err.message } }, 422);
      throw err;
    }
    res.redirect(303, '/admin/agents?done=added');
  });

  router.post('/admin/agents/:id/delete', form, adminOnly, async (req, res) => {
    const id = /^[1-9]\d{0,9}$/.test(String(req.params.id)) ? Number(req.params.id) : null;
    const session = adminSession(res)!;
    if (id !== null && id === session.agentId) return render(req, res, { errors: {}, notice: undefined }, 409);
    if (id === null || !(await deps.agents.remove(id))) return void res.redirect(303, '/admin/agents');
    res.redirect(303, '/admin/agents?done=removed');
  });

  return router;
}

const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 255) : undefined);
