import { z } from 'zod';
import { LIMITS, Labels, epochTime, hashedKey, hostAsset, isoTime, neverThrow, oneLine, stringify, text, toSignal, truncate, uniqueAssets, zodErrors } from './common';
import { ObservableCollector } from './observables';
import { splunkSeverity } from './severity';
import type { MappingResult } from './signal';

/**
 * Splunk webhook alert action payload
 * (https://help.splunk.com/splunk-enterprise/alert-and-respond/alerting-manual/10.0/configure-alert-actions/use-a-webhook-alert-action):
 * the search id, a link to the results, owner and app, and the first result row. Splunk documents
 * `search_name` as null in its own example, so it may be.
 */
export const SplunkWebhook = z.looseObject({
  result: z.record(z.string(), z.unknown()).optional(),
  sid: z.string().trim().min(1),
  search_name: z.string().nullable().optional(),
  results_link: z.string().nullable().optional(),
  app: z.string().nullable().optional(),
  owner: z.string().nullable().optional(),
});
export type SplunkWebhook = z.infer<typeof SplunkWebhook>;

/** The fields of the result row naming the machine the alert is about, in order of preference. */
export const SPLUNK_HOST_FIELDS = ['host', 'dest', 'dvc', 'dest_host', 'hostname'] as const;

const first = (value: unknown) => (Array.isArray(value) ? value[0] : value);

/**
 * The saved search a sid belongs to: scheduled sids end in `_at_<epoch>_<n>`, which changes every
 * run; without it the sid names the search (used when `search_name` is null).
 */
export function searchOfSid(sid: string): string {
  return sid.replace(/_at_\d+_\d+$/, '');
}

/**
 * Maps one Splunk webhook into one trigger signal (Splunk sends no resolve).
 *
 * - dedupKey `splunk:` + a hash of (app, search, host): the search is `search_name`, else the sid
 *   without its per-run suffix; host is the first of result.host, dest, dvc, dest_host, hostname.
 *   The same search firing again for the same machine is one more occurrence.
 * - title: search_name (else "Splunk alert: <search>"); source `splunk:<app>`.
 * - description: which search, the results link, and the first result row.
 * - labels: splunk.sid, .app, .owner, .search_name, .results_link, then `result.<field>` for each
 *   field of the result row (multivalue fields joined).
 * - assets: result host, dest, dvc (the machines acted on; `src` is usually the other side of a
 *   connection or login, so it is an observable, not an affected asset).
 * - severity: from the result (severity, urgency, alert_severity, priority), else medium.
 * - occurredAt: result._time (epoch seconds or ISO 8601) when readable.
 * - observables: from every result value, users from user fields.
 */
export function mapSplunk(body: unknown): MappingResult {
  return neverThrow(() => {
    const parsed = SplunkWebhook.safeParse(body, { reportInput: true });
    if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
    const hook = parsed.data;
    const result = hook.result ?? {};
    const searchName = oneLine(hook.search_name, LIMITS.title);
    const search = text(hook.search_name) ?? searchOfSid(hook.sid.trim());
    const app = text(hook.app);
    const host = SPLUNK_HOST_FIELDS.map((f) => text(first(result[f]))).find(Boolean);

    const time = first(result._time);
    const occurredAt = (typeof time === 'string' && /^\d+(\.\d+)?$/.test(time.trim()) ? epochTime(time) : isoTime(time)) ?? undefined;

    const labels = new Labels()
      .add('splunk.sid', hook.sid)
      .add('splunk.app', hook.app)
      .add('splunk.owner', hook.owner)
      .add('splunk.search_name', hook.search_name)
      .add('splunk.results_link', hook.results_link);
    for (const key of Object.keys(result)) labels.add(`result.${key}`, result[key]);

    const rows = Object.keys(result)
      .slice(0, 200)
      .map((key) => `${key}: ${truncate(Array.isArray(result[key]) ? (result[key] as unknown[]).map(stringify).join(', ') : stringify(result[key]), 2000)}`);
    const description = [
      `Splunk search "${search}"${app ? ` in app ${app}` : ''} triggered an alert.`,
      text(hook.results_link) ? `Results: ${text(hook.results_link)}` : undefined,
      rows.length ? `First result:\n${rows.join('\n')}` : undefined,
    ]
      .filter(Boolean)
      .join('\n\n');

    const assets = uniqueAssets(SPLUNK_HOST_FIELDS.map((f) => hostAsset(first(result[f]))));
    const observables = new ObservableCollector().walk(result);

    const signal = toSignal(
      'splunk',
      'trigger',
      {
        title: searchName ?? truncate(`Splunk alert: ${oneLine(search, LIMITS.title) ?? hook.sid}`, LIMITS.title),
        source: app ? `splunk:${oneLine(app, LIMITS.source - 'splunk:'.length)}` : 'splunk',
        severity: splunkSeverity(result),
        occurredAt,
        dedupKey: hashedKey('splunk:', [app ?? null, search, host?.toLowerCase() ?? null]),
        description: truncate(description, LIMITS.description),
        labels: labels.toRecord(),
        assets,
        observables: observables.toField(),
      },
      body,
      '',
    );
    return 'errors' in signal ? { ok: false, errors: signal.errors } : { ok: true, signals: [signal.signal] };
  });
}
