import { renderRequest, TemplateError } from './render-request';

describe(renderRequest.name, () => {
  const values = { 'target.value': 'ws-042"; rm -rf /', 'incident.id': 'a1b2', 'params.minutes': 30, 'params.quiet': true };

  it('fills placeholders as JSON values, escaped by serialisation, and keeps a whole placeholder\'s type', () => {
    const r = renderRequest({ method: 'POST', path: '/hosts/{{ target.value }}/isolate', body: { host: '{{target.value}}', note: 'incident {{ incident.id }}', minutes: '{{ params.minutes }}', quiet: '{{ params.quiet }}' } }, 'https://edr.example.com/api/', values);
    expect(r.url).toBe('https://edr.example.com/api/hosts/ws-042%22%3B%20rm%20-rf%20%2F/isolate');
    expect(JSON.parse(r.body!)).toEqual({ host: 'ws-042"; rm -rf /', note: 'incident a1b2', minutes: 30, quiet: true });
    expect(r.headers['content-type']).toBe('application/json');
  });

  it('refuses unknown placeholders, reserved headers and line breaks in headers, and stays under the base URL', () => {
    expect(() => renderRequest({ method: 'POST', path: '/x', body: { a: '{{ params.nope }}' } }, 'https://e.example', values)).toThrow(TemplateError);
    expect(() => renderRequest({ method: 'POST', path: '/x', headers: { Host: 'evil' } }, 'https://e.example', values)).toThrow(/set by Vigil/);
    expect(() => renderRequest({ method: 'POST', path: '/x', headers: { 'X-Note': '{{ params.note }}' } }, 'https://e.example', { 'params.note': 'a\r\nX-Evil: 1' })).toThrow(/line break/);
    // Appended to the base URL, a path cannot name another host.
    expect(new URL(renderRequest({ method: 'POST', path: '//evil.example/x' }, 'https://e.example', values).url).host).toBe('e.example');
    expect(new URL(renderRequest({ method: 'POST', path: '/{{ target.value }}' }, 'https://e.example', { 'target.value': '@evil.example/../x' }).url).host).toBe('e.example');
    expect(() => renderRequest({ method: 'POST', path: '/x', body: '{{ constructor.name }}' }, 'https://e.example', values)).toThrow(/unknown placeholder/);
  });
});
