// The two seeded generators (data pipeline, engine) share one xoshiro128** core but keep their own
// seeding and integer rules. Their streams are pinned here to the values they produced before the
// core was shared: every seeded shuffle, augmentation and initialization depends on them.
import { describe, expect, it } from 'vitest';
import { permutation, Rng as DataRng } from '../../src/data/rng.js';
import { Rng as EngineRng } from '../../src/engine/random.js';

describe('seeded generators', () => {
  it('the engine generator: u32, uniform, normal, int, fork, zero and negative seeds', () => {
    const e = new EngineRng(12345);
    expect([e.nextU32(), e.nextU32(), e.nextU32()]).toEqual([518667457, 440444462, 4232892992]);
    expect([e.uniform(), e.uniform()]).toEqual([0.8749444106006941, 0.3107552296191898]);
    expect([e.normal(), e.normal(), e.normal()]).toEqual([0.5009057316961271, 1.0895552149794936, -0.3479175680670481]);
    expect([e.int(10), e.int(1000)]).toEqual([1, 746]);
    expect(e.fork().nextU32()).toBe(3678305164);
    const zero = new EngineRng(0);
    expect([zero.nextU32(), zero.normal()]).toEqual([3809008728, -0.757049755361406]);
    const neg = new EngineRng(-7);
    expect([neg.nextU32(), neg.uniformIn(-2, 3)]).toEqual([4105674630, -0.1966965146135473]);
  });

  it('the data generator: keyed seeding (keys past 2^32), rejection int, normal, gamma, beta, shuffle', () => {
    const d = new DataRng(7, 3, 2 ** 40 + 5);
    expect([d.nextU32(), d.nextU32()]).toEqual([3882043893, 1010018291]);
    expect([d.float(), d.float()]).toEqual([0.3016033553531774, 0.698904088224886]);
    expect([d.int(10), d.int(2 ** 32), d.int(7)]).toEqual([7, 412189773, 2]);
    expect([d.normal(), d.normal(), d.normal()]).toEqual([2.5742563128094904, -0.005548137704397443, 0.3902639093170588]);
    expect([d.gamma(0.4), d.gamma(2.5)]).toEqual([0.2059020979268814, 2.3181937521231646]);
    expect(d.beta(0.8, 0.8)).toBe(0.9951856368770124);
    expect(Array.from(permutation(10, new DataRng(1)))).toEqual([8, 1, 2, 6, 0, 5, 3, 7, 4, 9]);
  });
});
