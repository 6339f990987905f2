import { Topics, allTopics, deadLetterTopicOf } from './topics';

describe(deadLetterTopicOf.name, () => {
  it.each(Object.values(Topics))('parks messages of %s in a .dlq topic next to it', (topic) => {
    expect(deadLetterTopicOf(topic)).toBe(`${topic}.dlq`);
  });

  it('never names a dead-letter topic the same as a live topic', () => {
    for (const topic of allTopics) expect(allTopics).not.toContain(deadLetterTopicOf(topic));
  });
});

describe('Topics', () => {
  it.each(Object.values(Topics))('carries the contract version in the name of %s', (topic) => {
    expect(topic).toMatch(/^vigil\.[a-z]+\.v\d+$/);
  });

  it('lists every topic once in allTopics', () => {
    expect([...allTopics].sort()).toEqual(Object.values(Topics).sort());
    expect(new Set(allTopics).size).toBe(allTopics.length);
  });
});
