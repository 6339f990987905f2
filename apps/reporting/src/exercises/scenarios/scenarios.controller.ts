import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Scenario, ScenarioList } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Permit } from '@vigil/platform';
import { injectCount } from './scenario-library';
import { ScenarioLibrary } from './scenario-library.provider';

@ApiTags('exercises')
@Controller('v1/exercise-scenarios')
export class ScenariosController {
  constructor(private readonly library: ScenarioLibrary) {}

  @Get()
  @Permit('exercises.read')
  @ApiOperation({ summary: 'The scenario library: each scenario with its ATT&CK techniques and how many modules, injects and expected actions it has', operationId: 'listExerciseScenarios' })
  @ApiJsonResponse(200, ScenarioList, 'The scenarios')
  @ApiProblems(503)
  list() {
    return {
      items: [...this.library.scenarios.values()].map((s) => ({
        key: s.key,
        title: s.title,
        summary: s.summary,
        attack: s.attack,
        modules: s.modules.length,
        injects: injectCount(s),
        expectedActions: s.expectedActions.length,
      })),
    };
  }

  @Get(':scenario')
  @Permit('exercises.read')
  @ApiOperation({ summary: 'One scenario in full: modules, injects on their timeline, expected actions with target times, capabilities', operationId: 'getExerciseScenario' })
  @ApiJsonResponse(200, Scenario, 'The scenario')
  @ApiProblems(404, 503)
  get(@Param('scenario') key: string): Scenario {
    return this.library.get(key);
  }
}
