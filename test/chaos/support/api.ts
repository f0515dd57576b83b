/** A tiny client of the SPEC §8 REST API, for scenario set-up. */
export interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Creates a webhook and returns its id; throws unless the API answers 201. */
  createWebhook(input: { name: string; url: string; events: string[]; secret?: string }): Promise<number>;
}

export function apiClient(baseUrl: string, apiKey: string): ApiClient {
  const request = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: the caller sees the text.
    }
    return { status: res.status, body: parsed as any };
  };
  return {
    request,
    async createWebhook(input) {
      const res = await request('POST', '/webhooks', input);
      if (res.status !== 201) throw new Error(`creating webhook ${input.url} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return Number(res.body.data.id);
    },
  };
}
