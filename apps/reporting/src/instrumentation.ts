// Imported first by main.ts: OpenTelemetry must patch http and pg before anything loads them.
import { startTelemetry } from '@vigil/telemetry';

startTelemetry('reporting');
