import type { SuppressionMatch } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { assetLookupOf, assetMatchParams, assetMatchSql, type RegisteredAsset } from '../assets';
import type { CorrelationRule } from './correlation-keys';
import { RULE_ORDER } from './rules/correlation-rules';
import { firstMatchingRule, SUPPRESSION_ORDER, suppressionRulesInForceSql } from './suppression';
import type { AlertReceived } from './triage-alert';

export interface PlacementContext {
  /** The suppression rule the alert falls under, if it was checked and one does. */
  suppressionRuleId?: string;
  rules: CorrelationRule[];
  assets: RegisteredAsset[];
}

/**
 * What placing an alert reads before it locks anything — the suppression rules in force when it was
 * received, the correlation rules, and the registered assets it names — in one statement: these are
 * read per alert (a rule changed through the API applies to the very next alert, on every replica),
 * so they cost one round trip, not three.
 */
export async function readPlacementContext(manager: Pick<EntityManager, 'query'>, alert: AlertReceived, checkSuppression: boolean): Promise<PlacementContext> {
  const assets = assetMatchSql(3);
  const [row]: Array<{
    suppression: Array<{ id: string; match: SuppressionMatch }> | null;
    rules: CorrelationRule[];
    assets: RegisteredAsset[];
  }> = await manager.query(
    `SELECT
       CASE WHEN $1 THEN (SELECT coalesce(json_agg(json_build_object('id', id, 'match', match) ORDER BY ${SUPPRESSION_ORDER}), '[]')
                            FROM ${suppressionRulesInForceSql('$2::timestamptz')}) END AS suppression,
       (SELECT json_agg(json_build_object('kind', kind, 'enabled', enabled, 'windowSeconds', window_seconds, 'observableTypes', observable_types)
                        ORDER BY ${RULE_ORDER})
          FROM triage.correlation_rules) AS rules,
       (SELECT coalesce(json_agg(json_build_object('assetId', id, 'identifier', identifier, 'name', name, 'criticality', criticality,
                                                   'dataClassification', data_classification, 'owner', owner, 'businessService', business_service,
                                                   'hostnames', hostnames, 'ips', ips)
                                 ORDER BY ${assets.order}), '[]')
          FROM ${assets.from}) AS assets`,
    [checkSuppression, alert.receivedAt, ...assetMatchParams(assetLookupOf(alert.assets))],
  );
  // The JSON objects are built with the fields of CorrelationRule and RegisteredAsset.
  return {
    suppressionRuleId: row.suppression ? firstMatchingRule(row.suppression, alert) : undefined,
    rules: row.rules,
    assets: row.assets,
  };
}
