import { parseJsonBody, unstorableStrings } from './json-body';

describe(parseJsonBody.name, () => {
  it('parses ordinary JSON, escapes and all', () => {
    expect(parseJsonBody('{"title":"caf\\u00e9 \\ud83d\\ude00","n":[1,{"a":null}]}')).toEqual({ ok: true, value: { title: 'café 😀', n: [1, { a: null }] } });
  });

  it('refuses malformed JSON and depth bombs', () => {
    expect(parseJsonBody('{"title": ')).toMatchObject({ ok: false, detail: expect.stringMatching(/^Malformed JSON/) });
    expect(parseJsonBody('['.repeat(40) + ']'.repeat(40))).toMatchObject({ ok: false, detail: 'JSON nested deeper than 32 levels' });
  });

  it('names every string and key holding U+0000 or a lone surrogate by its JSON Pointer', () => {
    const body = '{"title":"a\\u0000b","labels":{"k\\u0000":"v","a/b":"\\ud800"},"assets":[{"name":"ok"},{"name":"\\uDC00x"}]}';
    const parsed = parseJsonBody(body);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([
      { pointer: '/title', detail: 'must not contain the NUL character (U+0000)' },
      { pointer: '/labels/k\u0000', detail: 'has a name that must not contain the NUL character (U+0000)' },
      { pointer: '/labels/a~1b', detail: expect.stringMatching(/lone UTF-16 surrogate/) },
      { pointer: '/assets/1/name', detail: expect.stringMatching(/lone UTF-16 surrogate/) },
    ]);
  });

  it('takes an escaped backslash before u0000 as the text it is', () => {
    expect(parseJsonBody('{"path":"C:\\\\u0000"}')).toEqual({ ok: true, value: { path: 'C:\\u0000' } });
  });

  it('names at most 20 fields', () => {
    expect(unstorableStrings(Array.from({ length: 100 }, () => '\u0000'))).toHaveLength(20);
  });
});
