export * from './address-policy';
export * from './signature';
export * from './outbound-guard';
