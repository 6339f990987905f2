import { checkDestination, OutboundRefused, pinnedTransport, systemResolver, type Resolver } from '@vigil/platform';
import type { DeliveryGuard } from './channel';

/**
 * The platform's outbound guard (ADR 0011) for comms' deliveries: names resolved by `resolve`
 * (the system's, or a test's), every address checked, the connection pinned to the checked one.
 */
export function deliveryGuard(resolve: Resolver = systemResolver): DeliveryGuard {
  return {
    async destination(url, network) {
      try {
        return await checkDestination(url, network, resolve);
      } catch (e) {
        if (e instanceof OutboundRefused) return { delivered: false, statusCode: null, error: e.message, retryable: false, details: { refused: e.reason } };
        throw e;
      }
    },
    transport: pinnedTransport,
  };
}
