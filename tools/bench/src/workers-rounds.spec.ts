import { describe, expect, it } from 'vitest';
import { describeRatios, pairedRatios, parseWorkersBenchFlags, roundOrder, SINGLE_VARIANT, WORKER_VARIANTS } from './workers-rounds';

describe('parseWorkersBenchFlags', () => {
  it('has defaults: 6 rounds of 10 s at 50 connections, nothing pinned, no single-process variant', () => {
    expect(parseWorkersBenchFlags([])).toEqual({ rounds: 6, duration: 10, connections: 50, pin: false, withSingle: false, help: false });
  });

  it('reads every flag', () => {
    expect(parseWorkersBenchFlags(['--rounds', '8', '--duration', '5', '--connections', '20', '--pin', '--with-single', '--help'])).toEqual({
      rounds: 8,
      duration: 5,
      connections: 20,
      pin: true,
      withSingle: true,
      help: true,
    });
  });

  it.each([
    [['--rounds', '0'], /--rounds must be an integer from 1 to 50, not "0"/],
    [['--duration', '1.5'], /--duration must be an integer/],
    [['--connections', '10x'], /--connections must be an integer/],
    [['--rounds', '51'], /--rounds/],
    [['--pin-load'], /Unknown option '--pin-load'/],
  ])('refuses %j', (args, message) => {
    expect(() => parseWorkersBenchFlags(args)).toThrow(message);
  });
});

describe('roundOrder', () => {
  it('alternates the two worker variants round by round (AB, BA, AB)', () => {
    const ids = [0, 1, 2].map((r) => roundOrder(WORKER_VARIANTS, r).map((v) => v.id));
    expect(ids).toEqual([
      ['workers-1', 'workers-2'],
      ['workers-2', 'workers-1'],
      ['workers-1', 'workers-2'],
    ]);
  });

  it('puts each of three variants first once in three rounds', () => {
    const all = [SINGLE_VARIANT, ...WORKER_VARIANTS];
    const firsts = [0, 1, 2].map((r) => roundOrder(all, r)[0]?.id);
    expect(new Set(firsts)).toEqual(new Set(['single', 'workers-1', 'workers-2']));
  });
});

describe('pairedRatios', () => {
  it('divides within each round, not the medians of the variants', () => {
    const rounds = [
      new Map([['workers-1', 10_000], ['workers-2', 11_000]]),
      new Map([['workers-1', 20_000], ['workers-2', 19_000]]),
    ];
    expect(pairedRatios(rounds, 'workers-2', 'workers-1')).toEqual([1.1, 0.95]);
  });

  it('leaves out rounds missing a variant or with a rate that is not positive', () => {
    const rounds = [new Map([['workers-1', 10_000]]), new Map([['workers-1', 0], ['workers-2', 5_000]]), new Map([['workers-1', 4_000], ['workers-2', Number.NaN]])];
    expect(pairedRatios(rounds, 'workers-2', 'workers-1')).toEqual([]);
  });
});

describe('describeRatios', () => {
  it('gives the median and the range', () => {
    expect(describeRatios([1.12, 0.98, 1.05])).toBe('median 1.05× (min 0.98×, max 1.12×, 3 rounds)');
    expect(describeRatios([1.2])).toBe('median 1.20× (min 1.20×, max 1.20×, 1 round)');
  });

  it('says so when no round had both', () => {
    expect(describeRatios([])).toBe('no round measured both variants');
  });
});
