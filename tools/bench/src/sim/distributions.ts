import type { Random } from '@trellis/balance';

/** A latency in ms, drawn at simulated time `now`. */
export type Latency = (now: number, random: Random) => number;

export function constant(ms: number): Latency {
  return () => ms;
}

/** Exponential arrival gap or service time with the given mean. */
export function exponential(meanMs: number): Latency {
  return (_now, random) => -meanMs * Math.log(1 - random());
}

/** Log-normal with the given median and shape sigma (mean = median x e^(sigma^2 / 2)). */
export function logNormal(medianMs: number, sigma: number): Latency {
  return (_now, random) => {
    const u1 = 1 - random();
    const u2 = random();
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return medianMs * Math.exp(sigma * normal);
  };
}

export function logNormalMeanMs(medianMs: number, sigma: number): number {
  return medianMs * Math.exp((sigma * sigma) / 2);
}

/** `stuck` between fromMs (inclusive) and toMs (exclusive) of simulated time, `normal` otherwise. */
export function stuckBetween(fromMs: number, toMs: number, stuck: Latency, normal: Latency): Latency {
  return (now, random) => (now >= fromMs && now < toMs ? stuck(now, random) : normal(now, random));
}

export function scaled(factor: number, latency: Latency): Latency {
  return (now, random) => factor * latency(now, random);
}
