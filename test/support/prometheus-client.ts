import { spawnSync } from 'node:child_process';

/** A sample as Prometheus's own Python client reads it: its family, type, name, labels and value. */
export interface ClientSample {
  family: string;
  type: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

// prometheus_client.parser raises on what the text format does not allow; JSON cannot carry
// +Inf/NaN, so values go as strings and are read back with Number().
const READER = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": repr(s.value)})
json.dump(out, sys.stdout)
`;

/**
 * Reads a Prometheus text exposition with the official Python client's parser (python3 and
 * prometheus_client: `npm test`'s pretest brings them). Throws with the parser's own message.
 */
export function readWithPrometheusClient(text: string): ClientSample[] {
  const python = process.env.PROMETHEUS_PYTHON ?? '/usr/bin/python3';
  const run = spawnSync(python, ['-c', READER], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`prometheus_client refused the exposition: ${run.stderr.trim().split('\n').pop()}`);
  return (JSON.parse(run.stdout) as (Omit<ClientSample, 'value'> & { value: string })[]).map((s) => ({ ...s, value: Number(s.value.replace('inf', 'Infinity')) }));
}
