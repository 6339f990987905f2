import type { AffectedAsset, AssetCriticality, DataClassification } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { normaliseAll, normaliseHostname, normaliseIp } from './normalise';

/** A registered asset an alert touches: what classification and correlation need of it. */
export interface RegisteredAsset {
  assetId: string;
  identifier: string;
  name: string;
  criticality: AssetCriticality;
  dataClassification: DataClassification;
  owner: string | null;
  businessService: string | null;
  /** As the register spells them; an incident can be found by them. */
  hostnames: string[];
  ips: string[];
}

const RANK: Record<AssetCriticality, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** What an alert's assets are looked up by, each in its one spelling. */
export interface AssetLookup {
  identifiers: string[];
  hostnames: string[];
  ips: string[];
}

export function assetLookupOf(assets: readonly AffectedAsset[]): AssetLookup {
  return {
    identifiers: [...new Set(assets.flatMap((a) => (a.id ? [a.id.trim().toLowerCase()] : [])))],
    hostnames: normaliseAll(
      assets.flatMap((a) => [a.hostname, a.name].filter((v): v is string => v !== undefined)),
      normaliseHostname,
    ),
    ips: normaliseAll(
      assets.flatMap((a) => (a.ip ? [a.ip] : [])),
      normaliseIp,
    ),
  };
}

/**
 * The query's FROM, WHERE and ORDER for the lookup, its three arrays bound at `$first`, `$first+1`
 * and `$first+2`: most critical first, then by identifier, so the order is stable.
 */
export function assetMatchSql(first: number): { from: string; order: string } {
  return {
    from: `triage.assets WHERE lower(identifier) = ANY($${first}::text[]) OR hostnames && $${first + 1}::text[] OR ips && $${first + 2}::text[]`,
    order: `CASE criticality WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, lower(identifier)`,
  };
}

/** The lookup's arrays, in the order `assetMatchSql` binds them. */
export const assetMatchParams = (lookup: AssetLookup) => [lookup.identifiers, lookup.hostnames, lookup.ips];

export function isEmptyLookup(lookup: AssetLookup): boolean {
  return lookup.identifiers.length === 0 && lookup.hostnames.length === 0 && lookup.ips.length === 0;
}

/**
 * The registered assets an alert's assets are: by identifier (regardless of case), by hostname (an
 * alert's `name` is often a hostname too) or by IP address, each compared in its one spelling.
 * One indexed query.
 */
export async function matchAssets(manager: Pick<EntityManager, 'query'>, assets: readonly AffectedAsset[]): Promise<RegisteredAsset[]> {
  const lookup = assetLookupOf(assets);
  if (isEmptyLookup(lookup)) return [];
  const sql = assetMatchSql(1);
  const rows: Array<{
    id: string;
    identifier: string;
    name: string;
    criticality: AssetCriticality;
    data_classification: DataClassification;
    owner: string | null;
    business_service: string | null;
    hostnames: string[];
    ips: string[];
  }> = await manager.query(
    `SELECT id, identifier, name, criticality, data_classification, owner, business_service, hostnames, ips FROM ${sql.from} ORDER BY ${sql.order}`,
    assetMatchParams(lookup),
  );
  return rows.map((r) => ({
    assetId: r.id,
    identifier: r.identifier,
    name: r.name,
    criticality: r.criticality,
    dataClassification: r.data_classification,
    owner: r.owner,
    businessService: r.business_service,
    hostnames: r.hostnames,
    ips: r.ips,
  }));
}

/** The highest criticality among the assets; null when there are none. */
export function mostCritical(assets: readonly RegisteredAsset[]): AssetCriticality | null {
  let most: AssetCriticality | null = null;
  for (const { criticality } of assets) if (most === null || RANK[criticality] > RANK[most]) most = criticality;
  return most;
}
