import { afterSubmission, earliest, fill, hoursAfter, monthsAfter, withoutUndueDelay, type ObligationRule } from './rule';

const GDPR_URL = 'https://eur-lex.europa.eu/eli/reg/2016/679/oj';
const NIS2_URL = 'https://eur-lex.europa.eu/eli/dir/2022/2555/oj';
const DORA_URL = 'https://eur-lex.europa.eu/eli/reg/2022/2554/oj';

/** GDPR art. 33: the controller notifies the supervisory authority within 72 hours of becoming aware. */
export const gdprArt33: ObligationRule = {
  id: 'gdpr-art33',
  regulation: 'GDPR',
  title: 'Notify the supervisory authority of a personal data breach',
  trigger: 'personal_data_breach',
  impliedBy: { describe: 'information impact "privacy"', test: (incident) => incident.classification?.informationImpact === 'privacy' },
  audience: 'regulators',
  recipient: 'the competent supervisory authority (GDPR art. 55, 56)',
  citation: 'Regulation (EU) 2016/679 (GDPR), Art. 33(1) and (3)',
  sourceUrl: GDPR_URL,
  pause: null,
  stages: [
    {
      stage: 'notification',
      title: 'Notification to the supervisory authority',
      describe: 'without undue delay and, where feasible, not later than 72 hours after becoming aware of the breach; later notifications carry the reasons for the delay',
      deadline: (ctx) => ({ at: hoursAfter(ctx.effectiveAt, 72), kind: 'statutory', basis: '72 hours after becoming aware of the breach' }),
      checklist: [
        { key: 'nature', label: 'Nature of the breach, including the categories and approximate number of data subjects and of personal data records concerned (art. 33(3)(a))', required: true, fill: fill.nature },
        { key: 'data_subjects', label: 'Approximate number of data subjects concerned (art. 33(3)(a))', required: true, fill: fill.affected },
        { key: 'contact', label: 'Name and contact details of the data protection officer or other contact point (art. 33(3)(b))', required: true, fill: fill.contact },
        { key: 'consequences', label: 'Likely consequences of the breach (art. 33(3)(c))', required: true },
        { key: 'measures', label: 'Measures taken or proposed to address the breach and mitigate its effects (art. 33(3)(d))', required: true, fill: fill.measures },
        { key: 'awareness', label: 'When the controller became aware of the breach', required: false, fill: fill.awareness },
      ],
    },
  ],
};

/** GDPR art. 34: high risk to people's rights and freedoms: tell them, without undue delay. */
export const gdprArt34: ObligationRule = {
  id: 'gdpr-art34',
  regulation: 'GDPR',
  title: 'Communicate a high-risk personal data breach to the data subjects',
  trigger: 'high_risk_to_data_subjects',
  audience: 'customers',
  recipient: 'the data subjects concerned',
  citation: 'Regulation (EU) 2016/679 (GDPR), Art. 34(1) and (2)',
  sourceUrl: GDPR_URL,
  pause: null,
  stages: [
    {
      stage: 'communication',
      title: 'Communication to the data subjects',
      describe: 'without undue delay once the breach is judged likely to result in a high risk (no fixed hours: shown against the internal target)',
      deadline: (ctx) => withoutUndueDelay(ctx, ctx.effectiveAt, 'the high-risk assessment'),
      checklist: [
        { key: 'nature', label: 'The nature of the breach, in clear and plain language (art. 34(2))', required: true, fill: fill.nature },
        { key: 'contact', label: 'Name and contact details of the data protection officer or other contact point (art. 34(2), 33(3)(b))', required: true, fill: fill.contact },
        { key: 'consequences', label: 'Likely consequences of the breach (art. 34(2), 33(3)(c))', required: true },
        { key: 'measures', label: 'Measures taken or proposed, including to mitigate possible adverse effects (art. 34(2), 33(3)(d))', required: true, fill: fill.measures },
      ],
    },
  ],
};

/** NIS2 art. 23(4): early warning 24 h, incident notification 72 h, final report one month later. */
export const nis2Art23: ObligationRule = {
  id: 'nis2-art23',
  regulation: 'NIS2',
  title: 'Report a significant incident to the CSIRT or competent authority',
  trigger: 'significant_incident',
  audience: 'regulators',
  recipient: 'the CSIRT or, where applicable, the competent authority',
  citation: 'Directive (EU) 2022/2555 (NIS2), Art. 23(1) and (4)',
  sourceUrl: NIS2_URL,
  pause: null,
  stages: [
    {
      stage: 'early_warning',
      title: 'Early warning',
      describe: 'without undue delay and in any event within 24 hours of becoming aware of the significant incident (art. 23(4)(a))',
      deadline: (ctx) => ({ at: hoursAfter(ctx.awareAt, 24), kind: 'statutory', basis: '24 hours after becoming aware of the significant incident' }),
      checklist: [
        { key: 'malicious', label: 'Whether the incident is suspected of being caused by unlawful or malicious acts (art. 23(4)(a))', required: true },
        { key: 'cross_border', label: 'Whether it could have a cross-border impact (art. 23(4)(a))', required: true },
      ],
    },
    {
      stage: 'notification',
      title: 'Incident notification',
      describe: 'without undue delay and in any event within 72 hours of becoming aware of the significant incident (art. 23(4)(b))',
      deadline: (ctx) => ({ at: hoursAfter(ctx.awareAt, 72), kind: 'statutory', basis: '72 hours after becoming aware of the significant incident' }),
      checklist: [
        { key: 'assessment', label: 'Initial assessment of the incident, including its severity and impact (art. 23(4)(b))', required: true, fill: fill.impact },
        { key: 'indicators', label: 'Indicators of compromise, where available (art. 23(4)(b))', required: false },
      ],
    },
    {
      stage: 'final_report',
      title: 'Final report',
      describe: 'not later than one month after the submission of the incident notification (art. 23(4)(d))',
      deadline: (ctx) => afterSubmission(ctx, 'notification', (at) => monthsAfter(at, 1), 'one month after the incident notification was submitted'),
      checklist: [
        { key: 'description', label: 'Detailed description of the incident, including its severity and impact (art. 23(4)(d)(i))', required: true, fill: fill.nature },
        { key: 'root_cause', label: 'Type of threat or root cause that is likely to have triggered the incident (art. 23(4)(d)(ii))', required: true },
        { key: 'mitigation', label: 'Applied and ongoing mitigation measures (art. 23(4)(d)(iii))', required: true, fill: fill.measures },
        { key: 'cross_border', label: 'Cross-border impact, where applicable (art. 23(4)(d)(iv))', required: false },
      ],
    },
  ],
};

/**
 * DORA art. 19(4) with the time limits of Commission Delegated Regulation (EU) 2025/301, art. 5:
 * initial notification within 4 hours of classifying the incident as major and at most 24 hours
 * after becoming aware of it; intermediate report within 72 hours of the initial notification;
 * final report within one month of the latest intermediate report.
 */
export const doraArt19: ObligationRule = {
  id: 'dora-art19',
  regulation: 'DORA',
  title: 'Report a major ICT-related incident to the competent authority',
  trigger: 'major_ict_incident',
  audience: 'regulators',
  recipient: 'the competent authority (DORA art. 46)',
  citation: 'Regulation (EU) 2022/2554 (DORA), Art. 19(1) and (4); Commission Delegated Regulation (EU) 2025/301, Art. 5',
  sourceUrl: DORA_URL,
  pause: null,
  stages: [
    {
      stage: 'initial',
      title: 'Initial notification',
      describe: 'within 4 hours of classification as major, and no later than 24 hours after becoming aware of the incident',
      deadline: (ctx) => {
        const byClassification = hoursAfter(ctx.effectiveAt, 4);
        const byAwareness = hoursAfter(ctx.awareAt, 24);
        const at = earliest(byClassification, byAwareness);
        return {
          at,
          kind: 'statutory',
          basis: at.getTime() === byClassification.getTime() ? '4 hours after classification as major' : '24 hours after becoming aware (earlier than 4 hours after classification)',
        };
      },
      checklist: [
        { key: 'classification', label: 'Classification criteria that made the incident major', required: true, fill: fill.impact },
        { key: 'detection', label: 'Date and time of detection and of classification', required: true, fill: fill.detected },
        { key: 'description', label: 'Description of the incident', required: true, fill: fill.nature },
        { key: 'services', label: 'Affected services, functions and third-party providers', required: true },
      ],
    },
    {
      stage: 'intermediate',
      title: 'Intermediate report',
      describe: 'within 72 hours of the submission of the initial notification',
      deadline: (ctx) => afterSubmission(ctx, 'initial', (at) => hoursAfter(at, 72), '72 hours after the initial notification was submitted'),
      checklist: [
        { key: 'impact', label: 'Impact of the incident and its status', required: true, fill: fill.impact },
        { key: 'measures', label: 'Actions taken to recover', required: true, fill: fill.measures },
      ],
    },
    {
      stage: 'final_report',
      title: 'Final report',
      describe: 'within one month of the latest intermediate report',
      deadline: (ctx) => afterSubmission(ctx, 'intermediate', (at) => monthsAfter(at, 1), 'one month after the intermediate report was submitted'),
      checklist: [
        { key: 'root_cause', label: 'Root cause analysis', required: true },
        { key: 'measures', label: 'Measures taken and lessons learned', required: true, fill: fill.measures },
        { key: 'costs', label: 'Direct and indirect costs and losses', required: false },
      ],
    },
  ],
};
