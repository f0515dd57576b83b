import got from 'got';
import type { Registry } from 'prom-client';
import type { Config } from '../../config.js';
import { createAddressGuard } from '../http/address-guard.js';
import { createDeliveryGot } from '../http/sender.js';
import type { DeliveryEngineOptions } from './engine.js';
import { registerAttemptMetrics } from './metrics.js';

/**
 * The options of a DeliveryEngine in whichever thread runs it (the chat's, or the delivery
 * worker's): the receivers' HTTP client behind the address guard, and the attempt metrics counted
 * in `registry`. `close` ends the HTTP client's keep-alive sockets after the engine has stopped.
 */
export function deliveryEngineParts(
  base: Omit<DeliveryEngineOptions, 'got' | 'guard' | 'metrics'> & { config: Config },
  registry: Registry,
): { options: DeliveryEngineOptions; close: () => void } {
  const guard = createAddressGuard(base.config.WEBHOOK_ALLOWED_HOSTS);
  const http = createDeliveryGot(got, guard);
  return { options: { ...base, got: http.got, guard, metrics: registerAttemptMetrics(registry) }, close: () => http.close() };
}
