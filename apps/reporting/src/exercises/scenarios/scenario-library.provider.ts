import { Injectable } from '@nestjs/common';
import type { Scenario } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import { loadScenarios } from './scenario-library';

/** The scenario library, read once at start: a broken scenario file stops the service, naming it. */
@Injectable()
export class ScenarioLibrary {
  readonly scenarios: Map<string, Scenario> = loadScenarios();

  get(key: string): Scenario {
    const scenario = this.scenarios.get(key);
    if (!scenario) throw Problem.notFound(`Scenario ${key}`);
    return scenario;
  }
}
