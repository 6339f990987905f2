export * from './telemetry';
export * from './logger';
export * from './tracing';
export * from './redaction';
