import { migrateService } from '@vigil/platform';
import { service } from './service';

void migrateService(service);
