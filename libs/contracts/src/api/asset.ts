import { z } from 'zod';
import { AssetCriticality, DataClassification, Timestamp } from '../vocabulary';
import { Page } from './incident';

/**
 * A DNS label of letters, digits, hyphens and underscores (NetBIOS-style names in asset inventories
 * carry them), dot-separated, with an optional trailing root dot. Case does not matter: the
 * register stores hostnames lower-cased.
 */
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

const AssetHostname = z.string().trim().min(1).max(253).regex(HOSTNAME, { error: 'is not a hostname' });
const AssetIp = z.union([z.ipv4(), z.ipv6()], { error: 'is not an IPv4 or IPv6 address' });

const Text = z.string().trim().min(1).max(200);

const ASSET_EXAMPLE = {
  identifier: 'CMDB-00417',
  name: 'Payments API web server',
  hostnames: ['web-01.prod.example.com', 'web-01'],
  ips: ['10.0.4.21', '2001:db8::21'],
  owner: 'payments-team@example.com',
  businessService: 'Card payments',
  recoveryTimeObjectiveMinutes: 240,
  criticality: 'critical',
  dataClassification: 'restricted',
} as const;

export const RegisterAsset = z
  .strictObject({
    identifier: Text.describe('the asset\'s key in the register (CMDB id, asset tag, FQDN…); unique regardless of case'),
    name: Text,
    hostnames: z.array(AssetHostname).max(50).default([]).describe('names alerts may use for the asset; matched regardless of case'),
    ips: z.array(AssetIp).max(50).default([]),
    owner: Text.nullable().optional().describe('who answers for the asset; absent or null for nobody'),
    businessService: Text.nullable().optional().describe('the business service the asset supports'),
    recoveryTimeObjectiveMinutes: z
      .int()
      .positive()
      .max(525_600)
      .nullable()
      .optional()
      .describe('the recovery time objective of that business service, in minutes: recovery tasks of incidents on the asset are due within it'),
    criticality: AssetCriticality.describe('how much the asset matters to the business; raises the severity of incidents that touch it'),
    dataClassification: DataClassification.describe('the most sensitive data the asset holds'),
  })
  .meta({
    id: 'RegisterAsset',
    examples: [ASSET_EXAMPLE],
  });
export type RegisterAsset = z.infer<typeof RegisterAsset>;

export const AssetView = z
  .object({
    assetId: z.uuid(),
    identifier: z.string(),
    name: z.string(),
    hostnames: z.array(z.string()).describe('lower-cased, without a trailing dot'),
    ips: z.array(z.string()).describe('canonical text form (IPv6 compressed, lower-case)'),
    owner: z.string().nullable(),
    businessService: z.string().nullable(),
    recoveryTimeObjectiveMinutes: z.int().nullable().describe('the business service\'s recovery time objective, in minutes'),
    criticality: AssetCriticality,
    dataClassification: DataClassification,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({
    id: 'Asset',
    examples: [
      {
        assetId: '3b0f5e2c-8a1d-4f7e-9c61-2d4a5b6c7d8e',
        ...ASSET_EXAMPLE,
        createdAt: '2026-11-20T09:12:00.000Z',
        updatedAt: '2026-11-20T09:12:00.000Z',
      },
    ],
  });
export type AssetView = z.infer<typeof AssetView>;

export const AssetPage = Page(AssetView, 'AssetPage');
export type AssetPage = z.infer<typeof AssetPage>;

export const AssetImportFailure = z.object({
  row: z.int().min(2).describe('line of the file where the row starts (the header is line 1)'),
  identifier: z.string().nullable().describe("the row's identifier, when it has one"),
  errors: z.array(
    z.object({
      column: z.string().describe('the column at fault; empty when the row as a whole is (e.g. a wrong number of fields)'),
      detail: z.string(),
    }),
  ),
});

export const AssetImportResult = z
  .object({
    created: z.int().nonnegative(),
    updated: z.int().nonnegative(),
    failed: z.array(AssetImportFailure).describe('rows that were not imported; the other rows were'),
  })
  .meta({
    id: 'AssetImportResult',
    examples: [
      {
        created: 41,
        updated: 3,
        failed: [{ row: 7, identifier: 'CMDB-00422', errors: [{ column: 'criticality', detail: 'Invalid option: expected one of "low"|"medium"|"high"|"critical"' }] }],
      },
    ],
  });
export type AssetImportResult = z.infer<typeof AssetImportResult>;
