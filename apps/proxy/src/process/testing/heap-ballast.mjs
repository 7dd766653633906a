// Test-only preload (node --expose-gc --import <this file>): SIGUSR2 toggles 64 MiB of live strings on the heap,
// so a test can push a real proxy's heap use past an overload threshold and take it back down.
const BALLAST_MIB = 64;
let ballast = [];
process.on('SIGUSR2', () => {
  if (ballast.length === 0) {
    for (let i = 0; i < BALLAST_MIB; i++) ballast.push(String(i).padEnd(1 << 20, 'x'));
  } else {
    ballast = [];
    globalThis.gc?.();
  }
});
