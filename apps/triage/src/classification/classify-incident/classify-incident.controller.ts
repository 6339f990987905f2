import { Body, Controller, Get, Headers, Inject, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClassifyIncident, createEvent, IncidentClassifiedV1 } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Caller, CONFIG, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import type { TriageConfig } from '../../config';
import { expectedVersion, IncidentETagInterceptor } from '../../incidents/concurrency';
import { IncidentChangeRoute } from '../../incidents/incident-change-route';
import { toOneView } from '../../incidents/incident-views';
import { TERMINAL_PHASES } from '../../lifecycle/phases';
import { changeIncident } from '../../lifecycle/record-change';
import { toSnapshot } from '../../persistence/incident.entity';
import { impactLevel, SeverityMatrix, severityOf } from '../severity-matrix';

@ApiTags('classification')
@Controller('v1')
@UseInterceptors(IncidentETagInterceptor)
export class ClassifyIncidentController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: TriageConfig,
  ) {}

  @IncidentChangeRoute('incidents/:incidentId/classify', {
    permission: 'incidents.classify',
    operation: {
      summary: 'Classify or re-classify an incident (NIST SP 800-61)',
      description:
        'Category, functional impact, information impact and recoverability; severity follows from the severity matrix with the ' +
        'most critical asset involved, unless given. Who and why are recorded, and from then on alerts no longer change the classification.',
      operationId: 'classifyIncident',
    },
    body: ClassifyIncident,
    response: 'The incident as classified',
    conflicts: true,
  })
  async classify(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(ClassifyIncident)) body: ClassifyIncident,
    @Caller() caller: Principal,
  ) {
    const actor = caller.subject;
    const incident = await changeIncident(this.dataSource, incidentId, expectedVersion(ifMatch), caller, (incident) => {
      if (TERMINAL_PHASES.includes(incident.phase)) {
        throw new Problem(409, 'Incident is final', `Incident ${incidentId} is ${incident.phase}; its classification is kept as it was.`);
      }
      const previous = {
        category: incident.category,
        severity: incident.severity,
        functionalImpact: incident.functionalImpact,
        informationImpact: incident.informationImpact,
        recoverability: incident.recoverability,
      };
      incident.category = body.category ?? incident.category;
      incident.functionalImpact = body.functionalImpact ?? incident.functionalImpact;
      incident.informationImpact = body.informationImpact ?? incident.informationImpact;
      incident.recoverability = body.recoverability ?? incident.recoverability;
      const fromMatrix = severityOf(incident, this.config.TRIAGE_SEVERITY_MATRIX);
      incident.severity = body.severity ?? fromMatrix;
      incident.classifiedBy = actor;
      return {
        history: {
          actor: caller,
          action: 'classified',
          reason: body.reason,
          details: {
            previous,
            current: { ...previous, category: incident.category, severity: incident.severity, functionalImpact: incident.functionalImpact, informationImpact: incident.informationImpact, recoverability: incident.recoverability },
            impact: impactLevel(incident),
            assetCriticality: incident.assetCriticality,
            severityFromMatrix: fromMatrix,
            severityOverridden: body.severity !== undefined && body.severity !== fromMatrix,
          },
        },
        event: (i) =>
          createEvent(IncidentClassifiedV1, { source: '/vigil/triage', subject: i.id, data: { incident: toSnapshot(i), previous, actor, reason: body.reason } }),
      };
    });
    return toOneView(this.dataSource, incident);
  }

  @Get('classification/severity-matrix')
  @Permit('triage-rules.read')
  @ApiOperation({ summary: 'The severity matrix in force (defaults merged with TRIAGE_SEVERITY_MATRIX)', operationId: 'getSeverityMatrix' })
  @ApiJsonResponse(200, SeverityMatrix, 'The matrix, the category floors and the criticality assumed for unregistered assets')
  @ApiProblems(503)
  matrix() {
    return this.config.TRIAGE_SEVERITY_MATRIX;
  }
}
