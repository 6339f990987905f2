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
}

const RANK: Record<AssetCriticality, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/**
 * The registered assets an alert's assets are: by identifier (regardless of case), by hostname (an
 * alert's `name` is often a hostname too) or by IP address, each compared in its one spelling.
 * One indexed query; most critical first, then by identifier, so the order is stable.
 */
export async function matchAssets(manager: EntityManager, assets: readonly AffectedAsset[]): Promise<RegisteredAsset[]> {
  const identifiers = [...new Set(assets.flatMap((a) => (a.id ? [a.id.trim().toLowerCase()] : [])))];
  const hostnames = normaliseAll(
    assets.flatMap((a) => [a.hostname, a.name].filter((v): v is string => v !== undefined)),
    normaliseHostname,
  );
  const ips = normaliseAll(
    assets.flatMap((a) => (a.ip ? [a.ip] : [])),
    normaliseIp,
  );
  if (identifiers.length === 0 && hostnames.length === 0 && ips.length === 0) return [];
  const rows: Array<{
    id: string;
    identifier: string;
    name: string;
    criticality: AssetCriticality;
    data_classification: DataClassification;
    owner: string | null;
    business_service: string | null;
  }> = await manager.query(
    `SELECT id, identifier, name, criticality, data_classification, owner, business_service
       FROM triage.assets
      WHERE lower(identifier) = ANY($1::text[]) OR hostnames && $2::text[] OR ips && $3::text[]
      ORDER BY CASE criticality WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, lower(identifier)`,
    [identifiers, hostnames, ips],
  );
  return rows.map((r) => ({
    assetId: r.id,
    identifier: r.identifier,
    name: r.name,
    criticality: r.criticality,
    dataClassification: r.data_classification,
    owner: r.owner,
    businessService: r.business_service,
  }));
}

/** The highest criticality among the assets; null when there are none. */
export function mostCritical(assets: readonly RegisteredAsset[]): AssetCriticality | null {
  let most: AssetCriticality | null = null;
  for (const { criticality } of assets) if (most === null || RANK[criticality] > RANK[most]) most = criticality;
  return most;
}
