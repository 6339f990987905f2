export default async function globalTeardown() {
  const stops = globalThis.__vigilStack?.stops ?? [];
  for (const stop of stops.reverse()) await stop().catch((e) => console.error(`teardown: ${e.message}`));
}
