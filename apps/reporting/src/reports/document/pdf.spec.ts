import { toWinAnsi } from './pdf';

describe(toWinAnsi.name, () => {
  it('keeps what Windows-1252 encodes', () => {
    expect(toWinAnsi('Café – “quoted” … 5 €, naïve, Ærø')).toBe('Café – “quoted” … 5 €, naïve, Ærø');
  });

  it('writes arrows and maths as ASCII, so pdftotext and readers see them', () => {
    expect(toWinAnsi('Phase triaged → contained; detectedAt − occurredAt ≥ 0 ✔')).toBe('Phase triaged -> contained; detectedAt - occurredAt >= 0 x');
  });

  it('strips accents it cannot encode and marks what remains', () => {
    expect(toWinAnsi('Łódź ș 日本')).toBe('?ódz s ??');
  });
});
