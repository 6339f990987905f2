import type { AssetCriticality, AssetView, DataClassification, RegisterAsset } from '@vigil/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { normaliseAll, normaliseHostname, normaliseIp } from './normalise';

/** A row of triage.assets as the pg driver returns it (text[] as arrays, timestamptz as Date). */
export interface AssetRow {
  id: string;
  identifier: string;
  name: string;
  hostnames: string[];
  ips: string[];
  owner: string | null;
  business_service: string | null;
  recovery_time_objective_minutes: number | null;
  criticality: AssetCriticality;
  data_classification: DataClassification;
  created_at: Date;
  updated_at: Date;
}

export const ASSET_COLUMNS =
  'id, identifier, name, hostnames, ips, owner, business_service, recovery_time_objective_minutes, criticality, data_classification, created_at, updated_at';

export function toAssetView(row: AssetRow): AssetView {
  return {
    assetId: row.id,
    identifier: row.identifier,
    name: row.name,
    hostnames: row.hostnames,
    ips: row.ips,
    owner: row.owner,
    businessService: row.business_service,
    recoveryTimeObjectiveMinutes: row.recovery_time_objective_minutes,
    criticality: row.criticality,
    dataClassification: row.data_classification,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** An asset as it is stored: hostnames and IPs in their one spelling, each once. */
export interface AssetRecord {
  identifier: string;
  name: string;
  hostnames: string[];
  ips: string[];
  owner: string | null;
  businessService: string | null;
  recoveryTimeObjectiveMinutes: number | null;
  criticality: AssetCriticality;
  dataClassification: DataClassification;
}

export function toAssetRecord(asset: RegisterAsset): AssetRecord {
  return {
    identifier: asset.identifier,
    name: asset.name,
    hostnames: normaliseAll(asset.hostnames, normaliseHostname),
    ips: normaliseAll(asset.ips, normaliseIp),
    owner: asset.owner ?? null,
    businessService: asset.businessService ?? null,
    recoveryTimeObjectiveMinutes: asset.recoveryTimeObjectiveMinutes ?? null,
    criticality: asset.criticality,
    dataClassification: asset.dataClassification,
  };
}

/** The id of the asset registered under `identifier` (regardless of case), if any. */
export async function assetIdOf(db: DataSource | EntityManager, identifier: string, exceptId?: string): Promise<string | undefined> {
  const rows: Array<{ id: string }> = await db.query(
    `SELECT id FROM triage.assets WHERE lower(identifier) = lower($1) AND ($2::uuid IS NULL OR id <> $2::uuid)`,
    [identifier, exceptId ?? null],
  );
  return rows[0]?.id;
}

/** PostgreSQL's unique_violation on the case-insensitive identifier index. */
export function isIdentifierTaken(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.code ?? e?.driverError?.code;
  const constraint = e?.constraint ?? e?.driverError?.constraint;
  return code === '23505' && constraint === 'assets_identifier';
}
