import { doraArt19, gdprArt33, gdprArt34, nis2Art23 } from './eu';
import type { ObligationRule } from './rule';
import { hipaaBreach, newYork, sec8k105, texas } from './us';

export * from './rule';
export { usStateRule, type UsStateLaw } from './us';

/** Every rule Vigil knows, by id. Which apply to an organisation is COMMS_OBLIGATION_RULES. */
export const OBLIGATION_RULES: Readonly<Record<string, ObligationRule>> = Object.fromEntries(
  [gdprArt33, gdprArt34, nis2Art23, doraArt19, sec8k105, hipaaBreach, texas, newYork].map((rule) => [rule.id, rule]),
);

/** Enabled unless configured otherwise: the federal and EU rules (state rules are opted into). */
export const DEFAULT_ENABLED_RULES = ['gdpr-art33', 'gdpr-art34', 'nis2-art23', 'dora-art19', 'sec-8k-1.05', 'hipaa-breach'] as const;
