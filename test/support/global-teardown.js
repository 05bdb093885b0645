export default async function globalTeardown() {
  await globalThis.__chainsigLocalAws?.stop();
  globalThis.__chainsigLocalAws = undefined;
}
