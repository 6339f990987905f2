import { ImportAssetsController } from './import-assets/import-assets.controller';
import { ListAssetsController } from './list-assets/list-assets.controller';
import { RegisterAssetController } from './register-asset/register-asset.controller';

/** The asset register's HTTP API (NIST SP 800-61 preparation: risk assessment). */
export const ASSET_CONTROLLERS = [RegisterAssetController, ListAssetsController, ImportAssetsController];

export { registerCsvBodyParser } from './csv-body';
export { assetLookupOf, assetMatchParams, assetMatchSql, isEmptyLookup, matchAssets, mostCritical, smallestRecoveryTimeObjective, type AssetLookup, type RegisteredAsset } from './match-assets';
