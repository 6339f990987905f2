import './instrumentation';
import { runService } from '@vigil/platform';
import { service } from './service';

void runService(service);
