import { usBusinessDaysAfter } from './business-days';
import { daysAfter, fill, withoutUndueDelay, type ChecklistItem, type ObligationRule, type StageRule } from './rule';

/**
 * SEC Form 8-K Item 1.05: a registrant files within four business days after it determines a
 * cybersecurity incident is material (General Instruction B.1; Instruction 1 to Item 1.05).
 */
export const sec8k105: ObligationRule = {
  id: 'sec-8k-1.05',
  regulation: 'SEC',
  title: 'File a Form 8-K (Item 1.05) for a material cybersecurity incident',
  trigger: 'material_cybersecurity_incident',
  audience: 'regulators',
  recipient: 'the U.S. Securities and Exchange Commission (EDGAR)',
  citation: 'Form 8-K, Item 1.05 and General Instruction B.1 (SEC Release No. 33-11216, 2023)',
  sourceUrl: 'https://www.sec.gov/files/form8-k.pdf',
  pause: 'Item 1.05(c): the U.S. Attorney General determines that disclosure poses a substantial risk to national security or public safety and notifies the SEC in writing (30 days, extendable)',
  stages: [
    {
      stage: 'filing',
      title: 'Form 8-K, Item 1.05',
      describe: 'within four business days after the materiality determination (the determination day is day zero; US federal holidays and weekends are not business days; due by 5:30 p.m. Eastern, the close of EDGAR\'s filing day)',
      deadline: (ctx) => ({ at: usBusinessDaysAfter(ctx.effectiveAt, 4), kind: 'statutory', basis: '4 business days after the materiality determination' }),
      checklist: [
        { key: 'nature', label: 'Material aspects of the nature, scope and timing of the incident (Item 1.05(a))', required: true, fill: fill.nature },
        { key: 'impact', label: 'Material impact or reasonably likely material impact on the registrant, including its financial condition and results of operations (Item 1.05(a))', required: true },
        { key: 'unavailable', label: 'Information not determined or unavailable at the time of filing, to be filed by amendment (Instruction 2 to Item 1.05)', required: false },
      ],
    },
  ],
};

const HIPAA_URL = 'https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-D';
const hipaaContent: ChecklistItem[] = [
  { key: 'description', label: 'What happened, including the date of the breach and of its discovery (§ 164.404(c)(1)(A))', required: true, fill: fill.detected },
  { key: 'phi_types', label: 'Types of unsecured protected health information involved (§ 164.404(c)(1)(B))', required: true },
  { key: 'steps', label: 'Steps individuals should take to protect themselves (§ 164.404(c)(1)(C))', required: true },
  { key: 'response', label: 'What the covered entity is doing to investigate, mitigate and protect against further breaches (§ 164.404(c)(1)(D))', required: true, fill: fill.measures },
  { key: 'contact', label: 'Contact procedures: toll-free number, e-mail address, web site or postal address (§ 164.404(c)(1)(E))', required: true, fill: fill.organisationContact },
];

/**
 * HIPAA breach notification: individuals without unreasonable delay and within 60 calendar days
 * of discovery; HHS at the same time for 500 or more people, else within 60 days of the end of the
 * calendar year; prominent media outlets for more than 500 residents of a state.
 */
export const hipaaBreach: ObligationRule = {
  id: 'hipaa-breach',
  regulation: 'HIPAA',
  title: 'Notify a breach of unsecured protected health information',
  trigger: 'phi_breach',
  audience: 'customers',
  recipient: 'the individuals affected; the Secretary of HHS; media where required',
  citation: '45 CFR 164.404, 164.406, 164.408 (HIPAA Breach Notification Rule)',
  sourceUrl: HIPAA_URL,
  pause: '45 CFR 164.412: a law-enforcement official states that notice would impede a criminal investigation or damage national security',
  stages: [
    {
      stage: 'individuals',
      title: 'Notice to individuals',
      describe: 'without unreasonable delay and in no case later than 60 calendar days after discovery (§ 164.404(b))',
      deadline: (ctx) => ({ at: daysAfter(ctx.effectiveAt, 60), kind: 'statutory', basis: '60 calendar days after discovery' }),
      checklist: hipaaContent,
    },
    {
      stage: 'hhs',
      title: 'Notice to the Secretary of HHS',
      describe: '500 or more individuals: with the notice to individuals (60 days); fewer: within 60 days of the end of the calendar year of discovery (§ 164.408)',
      deadline: (ctx) => {
        if (ctx.affectedIndividuals !== null && ctx.affectedIndividuals < 500) {
          const endOfYear = new Date(Date.UTC(ctx.effectiveAt.getUTCFullYear() + 1, 0, 1));
          return { at: daysAfter(endOfYear, 60), kind: 'statutory', basis: 'fewer than 500 individuals: 60 days after the end of the calendar year of discovery' };
        }
        return { at: daysAfter(ctx.effectiveAt, 60), kind: 'statutory', basis: '500 or more individuals (or not yet counted): 60 calendar days after discovery' };
      },
      checklist: hipaaContent,
    },
    {
      stage: 'media',
      title: 'Notice to prominent media outlets',
      describe: 'more than 500 residents of a state or jurisdiction: within 60 calendar days after discovery (§ 164.406)',
      appliesWhen: (ctx) => ctx.affectedIndividuals !== null && ctx.affectedIndividuals > 500,
      deadline: (ctx) => ({ at: daysAfter(ctx.effectiveAt, 60), kind: 'statutory', basis: '60 calendar days after discovery' }),
      checklist: hipaaContent,
    },
  ],
};

/** A US state's breach-notification law, in a few lines (see the examples below). */
export interface UsStateLaw {
  /** Two-letter postal code: the rule applies when a decision names `US-<state>` among its jurisdictions. */
  state: string;
  name: string;
  citation: string;
  sourceUrl: string;
  /** Days after discovery for notice to residents; null for "without unreasonable delay" only. */
  individualsDays: number | null;
  /** Notice to the state attorney general: days after discovery, above a number of residents. */
  attorneyGeneral?: { days: number; minResidents?: number; citation: string };
  /** The legal basis for a law-enforcement delay, where the statute allows one. */
  lawEnforcementDelay?: string;
}

export function usStateRule(law: UsStateLaw): ObligationRule {
  const content: ChecklistItem[] = [
    { key: 'description', label: 'A description of the breach and when it was discovered', required: true, fill: fill.detected },
    { key: 'information', label: 'The types of personal information involved', required: true },
    { key: 'residents', label: `Number of ${law.name} residents affected`, required: true, fill: fill.affected },
    { key: 'contact', label: 'How to contact the organisation', required: true, fill: fill.organisationContact },
  ];
  const stages: StageRule[] = [
    {
      stage: 'individuals',
      title: `Notice to affected ${law.name} residents`,
      describe: law.individualsDays === null ? 'without unreasonable delay' : `without unreasonable delay and within ${law.individualsDays} days after discovery`,
      deadline: (ctx) =>
        law.individualsDays === null
          ? withoutUndueDelay(ctx, ctx.effectiveAt, 'discovery')
          : { at: daysAfter(ctx.effectiveAt, law.individualsDays), kind: 'statutory', basis: `${law.individualsDays} days after discovery` },
      checklist: content,
    },
  ];
  const ag = law.attorneyGeneral;
  if (ag) {
    stages.push({
      stage: 'attorney_general',
      title: `Notice to the ${law.name} attorney general`,
      describe: `within ${ag.days} days after discovery${ag.minResidents ? `, when ${ag.minResidents} or more residents are affected` : ''} (${ag.citation})`,
      appliesWhen: (ctx) => !ag.minResidents || ctx.affectedIndividuals === null || ctx.affectedIndividuals >= ag.minResidents,
      deadline: (ctx) => ({ at: daysAfter(ctx.effectiveAt, ag.days), kind: 'statutory', basis: `${ag.days} days after discovery` }),
      checklist: content,
    });
  }
  return {
    id: `us-${law.state.toLowerCase()}`,
    regulation: `${law.name} breach notification`,
    title: `Notify ${law.name} residents of a breach of their personal information`,
    trigger: 'personal_data_breach',
    appliesTo: (decision) => decision.jurisdictions.includes(`US-${law.state}`),
    audience: 'customers',
    recipient: `affected ${law.name} residents${ag ? ` and the ${law.name} attorney general` : ''}`,
    citation: law.citation,
    sourceUrl: law.sourceUrl,
    pause: law.lawEnforcementDelay ?? null,
    stages,
  };
}

export const texas = usStateRule({
  state: 'TX',
  name: 'Texas',
  citation: 'Tex. Bus. & Com. Code § 521.053',
  sourceUrl: 'https://statutes.capitol.texas.gov/Docs/BC/htm/BC.521.htm',
  individualsDays: 60,
  attorneyGeneral: { days: 30, minResidents: 250, citation: '§ 521.053(i)' },
  lawEnforcementDelay: '§ 521.053(d): a law enforcement agency determines that the notification will impede a criminal investigation',
});

export const newYork = usStateRule({
  state: 'NY',
  name: 'New York',
  citation: 'N.Y. Gen. Bus. Law § 899-aa(2)',
  sourceUrl: 'https://www.nysenate.gov/legislation/laws/GBS/899-AA',
  individualsDays: 30,
  lawEnforcementDelay: '§ 899-aa(4): a law enforcement agency determines that the notification impedes a criminal investigation',
});
