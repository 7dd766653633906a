// Test-only preload (node --expose-gc --import <this file>): SIGUSR2 toggles 64 MiB of live arrays on the heap,
// so a test can push a real proxy's heap use past an overload threshold and take it back down.
const BALLAST_MIB = 64;
let ballast = [];
process.on('SIGUSR2', () => {
  if (ballast.length === 0) {
    // Packed double arrays keep their 8-byte elements on the V8 heap (typed arrays and Buffers would not).
    for (let i = 0; i < BALLAST_MIB; i++) ballast.push(Array.from({ length: (1 << 20) / 8 }, (_, j) => i + j + 0.5));
  } else {
    ballast = [];
    globalThis.gc?.();
  }
});
